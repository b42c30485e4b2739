"""Handout PDFs turned into page images, for the print preview and for printing.

Qt Essentials has no PDF renderer (QtPdf is in the Addons), so pages are rasterised with
PDFium through pypdfium2 (a small wheel with the same engine QtPdf uses). PDFium is not
thread-safe: every call goes through one lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress

_lock = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """One page as packed 8-bit RGB rows, with the page's size in points."""

    width: int
    height: int
    stride: int
    rgb: bytes
    width_pt: float
    height_pt: float


def page_count(pdf: Path) -> int:
    with _lock:
        doc = _open(pdf)
        try:
            return len(doc)
        finally:
            doc.close()


def render_pages(
    pdf: Path,
    dpi: float,
    *,
    first: int = 0,
    last: int | None = None,
    progress: Progress | None = None,
) -> list[PageImage]:
    """Pages `first`..`last` (0-based, inclusive) at `dpi`."""
    progress = progress or NullProgress()
    images: list[PageImage] = []
    with _lock:
        doc = _open(pdf)
        try:
            end = len(doc) - 1 if last is None else min(last, len(doc) - 1)
            for index in range(first, end + 1):
                progress.check_cancelled()
                page = doc[index]
                try:
                    width_pt, height_pt = page.get_size()
                    bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
                    try:
                        images.append(
                            PageImage(
                                bitmap.width,
                                bitmap.height,
                                bitmap.stride,
                                bytes(bitmap.buffer),
                                width_pt,
                                height_pt,
                            )
                        )
                    finally:
                        bitmap.close()
                finally:
                    page.close()
                progress.step(index - first + 1, end - first + 1, _("Preparing the preview…"))
        finally:
            doc.close()
    return images


def _open(pdf: Path) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(pdf))
    except Exception as exc:  # PdfiumError, OSError: both mean the file is not usable
        raise UserError(_("Cannot read {path}: {reason}").format(path=pdf, reason=exc)) from None
