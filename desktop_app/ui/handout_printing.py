"""Printing a handout's PDF through Qt: the print preview shows the pages PDFium rendered in
the background, and each page is rasterised again at the printer's resolution (at most
300 dpi) as it is printed, so the paper copy is as sharp as the PDF.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QObject, QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPaintEngine, QPainter
from PySide6.QtPrintSupport import QPrinter

from desktop_app.services.handouts import raster

PRINT_DPI_MAX = 300


# --- printing -------------------------------------------------------------------------------


class PdfPrinter(QObject):
    """Feeds a handout PDF's pages to Qt's print preview and to the printer."""

    def __init__(self, pdf: Path, preview_pages: list[raster.PageImage], parent: QObject) -> None:
        super().__init__(parent)
        self.pdf = pdf
        self.preview_pages = preview_pages

    def configure(self, printer: QPrinter) -> None:
        if self.preview_pages:
            first = self.preview_pages[0]
            size = QPageSize(QSizeF(first.width_pt, first.height_pt), QPageSize.Unit.Point)
            printer.setPageLayout(
                QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0))
            )
        printer.setFullPage(True)
        printer.setDocName(self.pdf.stem)

    def paint(self, printer: QPrinter) -> None:
        """Draw every page: the prepared images for the preview, fresh ones for the printer."""
        # Qt's preview records pages through a picture engine; a real printer has its own.
        is_preview = printer.paintEngine().type() == QPaintEngine.Type.Picture
        painter = QPainter()
        if not painter.begin(printer):
            return
        try:
            count = len(self.preview_pages) if is_preview else raster.page_count(self.pdf)
            dpi = min(PRINT_DPI_MAX, max(printer.resolution(), 150))
            first, last = 0, count - 1
            if not is_preview and printer.printRange() == QPrinter.PrintRange.PageRange:
                # "Pages from … to …" in the print dialog
                first = max(printer.fromPage() - 1, 0)
                last = min(printer.toPage() - 1, count - 1) if printer.toPage() else last
            for index in range(first, last + 1):
                if index > first:
                    printer.newPage()
                if is_preview:
                    page = self.preview_pages[index]
                else:
                    (page,) = raster.render_pages(self.pdf, dpi, first=index, last=index)
                image = QImage(
                    page.rgb, page.width, page.height, page.stride, QImage.Format.Format_RGB888
                )
                target = printer.paperRect(QPrinter.Unit.DevicePixel)
                painter.drawImage(QRectF(0, 0, target.width(), target.height()), image)
        finally:
            painter.end()
