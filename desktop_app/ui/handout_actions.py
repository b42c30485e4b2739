"""PDF handouts in the window: "Export PDF…", "Print…", "Booklet from selected guides…", and a
session's blank "Sign-in sheet…" and "Feedback form…".

For the selected guide this makes its handout; for a selected session, its report, its
take-home pack, or its blank sign-in sheet or feedback form (chosen in the dialog; the File
menu also has "Sign-in sheet…" and "Feedback form…" that go straight to one of those). The
dialog also picks the paper size, which is remembered in the settings. The PDF is built by
`services.handouts` on the background runner with a progress dialog that can cancel; the
window stays responsive.

Printing builds the same PDF into a temporary folder, renders its pages (PDFium, in the
background) into Qt's print preview, and prints from there through Qt's print dialog (printer,
copies, pages). Each page is rasterised again at the printer's resolution (at most 300 dpi) as
it is printed, so the paper copy is as sharp as the PDF.

A guide without safety notes asks for confirmation before anything is built. After an export a
message names the file, with buttons that open it or its folder in the system's programs.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QEvent,
    QMarginsF,
    QObject,
    QRectF,
    QSizeF,
    QStandardPaths,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPaintEngine,
    QPainter,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import Progress
from desktop_app.services import handouts, listing
from desktop_app.services.handouts import raster
from desktop_app.ui import appearance, layout_state
from desktop_app.ui.ops import run_with_progress

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

log = logging.getLogger(__name__)

GUIDE, REPORT, PACK, BOOKLET = "guide", "report", "pack", "booklet"
SIGNIN, FEEDBACK = "signin", "feedback"
KIND_LABELS = {
    GUIDE: N_("Guide handout"),
    REPORT: N_("Session report (for the union's records)"),
    PACK: N_("Take-home pack (cover and every guide covered)"),
    BOOKLET: N_("Guide booklet"),
    SIGNIN: N_("Sign-in sheet (blank, with the session's code)"),
    FEEDBACK: N_("Feedback form for trainees (blank, with the session's code)"),
}
SESSION_KINDS = [REPORT, PACK, SIGNIN, FEEDBACK]
PREVIEW_DPI = 120
PRINT_DPI_MAX = 300
LAST_DIR_KEY = layout_state.HANDOUTS_LAST_DIR


@dataclass
class Request:
    """What to build: the kind, the record ids, and a booklet's title."""

    kind: str
    ids: list[str]
    title: str = ""
    name: str = ""  # for the default file name
    choices: list[str] = field(default_factory=list)
    # A session report's photos, in print order (None: all, in the session's order).
    photo_ids: list[str] | None = None


def safe_file_name(name: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name).strip().strip(".")
    return (cleaned or "handout")[:80]


# --- dialogs --------------------------------------------------------------------------------


class PaperBox(QComboBox):
    def __init__(self, paper: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paper")
        self.addItem(_("A4 (standard)"), "A4")
        self.addItem(_("A5 (booklet size)"), "A5")
        self.setCurrentIndex(max(0, self.findData(paper)))

    def paper(self) -> str:
        return str(self.currentData())


class PathRow(QWidget):
    """A file name with a "Choose…" button that opens the save dialog."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(str(path))
        self.edit.setObjectName("path")
        self.edit.setMinimumWidth(360)
        button = QPushButton(_("Choose…"))
        button.clicked.connect(self._choose)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(button)

    def _choose(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, _("Save the PDF as"), self.edit.text(), _("PDF files (*.pdf)")
        )
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")


class ExportDialog(QDialog):
    """Which document (for a session), which paper, and where (export) — or just print."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        choices: list[str],
        paper: str,
        target: Path | None,
        printing: bool,
        photos: list[handouts.PhotoChoice] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Print") if printing else _("Export PDF"))
        form = QFormLayout()
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        if len(choices) > 1:
            column = QVBoxLayout()
            for i, kind in enumerate(choices):
                button = QRadioButton(_(KIND_LABELS[kind]))
                button.setObjectName(f"kind_{kind}")
                button.setChecked(i == 0)
                self.kind_group.addButton(button, i)
                self.kind_buttons[kind] = button
                column.addWidget(button)
            form.addRow(_("Document:"), column)
        else:
            form.addRow(_("Document:"), QLabel(_(KIND_LABELS[choices[0]])))
        self.choices = choices
        # A session report's photos: all in the session's order until the user chooses.
        self.photos = photos or []
        self.photo_ids: list[str] | None = None
        self.photos_label: QLabel | None = None
        self.photos_button: QPushButton | None = None
        if REPORT in choices and self.photos:
            self.photos_label = QLabel()
            self.photos_label.setObjectName("photos_summary")
            self.photos_button = QPushButton(_("Choose photos…"))
            self.photos_button.setObjectName("choose_photos")
            self.photos_button.clicked.connect(self.choose_photos)
            row = QHBoxLayout()
            row.addWidget(self.photos_label, 1)
            row.addWidget(self.photos_button)
            form.addRow(_("Photos in the report:"), row)
            self.kind_group.buttonToggled.connect(lambda *_a: self._photos_enabled())
            self._show_photo_count()
            self._photos_enabled()
        self.paper_box = PaperBox(paper)
        form.addRow(_("Paper:"), self.paper_box)
        self.path_row: PathRow | None = None
        if not printing and target is not None:
            self.path_row = PathRow(target)
            form.addRow(_("File:"), self.path_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Preview…") if printing else _("Export"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _photos_enabled(self) -> None:
        if self.photos_button is not None and self.photos_label is not None:
            on = self.kind() == REPORT
            self.photos_button.setEnabled(on)
            self.photos_label.setEnabled(on)

    def _show_photo_count(self) -> None:
        if self.photos_label is None:
            return
        total = len(self.photos)
        if self.photo_ids is None:
            text = _("All {n}, in the session's order").format(n=total)
        else:
            text = _("{n} of {total}").format(n=len(self.photo_ids), total=total)
        self.photos_label.setText(text)

    def choose_photos(self) -> None:
        dialog = PhotoChoiceDialog(self, self.photos, self.photo_ids)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = dialog.chosen_ids()
            everything = [p.id for p in self.photos]
            self.photo_ids = None if chosen == everything else chosen
            self._show_photo_count()

    def kind(self) -> str:
        for kind, button in self.kind_buttons.items():
            if button.isChecked():
                return kind
        return self.choices[0]

    def target(self) -> Path | None:
        return self.path_row.path() if self.path_row else None


class OrderedChecklist(QWidget):
    """A list to tick and put in order: Space ticks, Move up / Move down (Ctrl+↑ / Ctrl+↓)."""

    def __init__(self, items: list[tuple[str, str, bool]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("items")
        self.list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        for key, text, checked in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        up = QPushButton(_("Move up"))
        up.setObjectName("up")
        down = QPushButton(_("Move down"))
        down.setObjectName("down")
        up.clicked.connect(lambda: self.move(-1))
        down.clicked.connect(lambda: self.move(1))
        self.list.installEventFilter(self)
        every = QPushButton(_("Tick all"))
        every.setObjectName("all")
        every.clicked.connect(lambda: self.tick_all(True))
        none = QPushButton(_("Tick none"))
        none.setObjectName("none")
        none.clicked.connect(lambda: self.tick_all(False))
        side = QVBoxLayout()
        for button in (up, down, every, none):
            side.addWidget(button)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(side)

    def move(self, delta: int) -> None:
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Ctrl+↑ / Ctrl+↓ move the current item; plain arrows still move the selection.
        if (
            watched is self.list
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            delta = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(Qt.Key(event.key()))
            if delta is not None:
                self.move(delta)
                return True
        return super().eventFilter(watched, event)

    def tick_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for row in range(self.list.count()):
            self.list.item(row).setCheckState(state)

    def chosen(self) -> list[str]:
        out = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out


class PhotoChoiceDialog(QDialog):
    """Which of a session's photos go into its report, and in what order."""

    def __init__(
        self,
        parent: QWidget | None,
        photos: list[handouts.PhotoChoice],
        chosen: list[str] | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Photos in the report"))
        self.resize(560, 440)
        by_id = {p.id: p for p in photos}
        # The chosen ones first, in their order, then the others in the session's order.
        order = [i for i in chosen if i in by_id] if chosen is not None else []
        order += [p.id for p in photos if p.id not in order]
        ticked = set(chosen) if chosen is not None else set(by_id)
        self.checklist = OrderedChecklist(
            [(i, self.describe(by_id[i]), i in ticked) for i in order], self
        )
        self.list = self.checklist.list
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        hint = QLabel(
            _(
                "Tick the photos to print (Space) and put them in order (Ctrl+↑ / Ctrl+↓). "
                "They print in this order, each with its caption and time."
            )
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.checklist, 1)
        layout.addWidget(buttons)
        self.list.setFocus()

    @staticmethod
    def describe(photo: handouts.PhotoChoice) -> str:
        parts = [photo.label]
        if photo.taken:
            parts.append(_("taken {when}").format(when=photo.taken))
        text = " · ".join(parts)
        if photo.days_off is not None:
            text = (
                "⚠ " + text + "  " + _("({days} days from the session)").format(days=photo.days_off)
            )
        return text

    def chosen_ids(self) -> list[str]:
        return self.checklist.chosen()


class BookletDialog(QDialog):
    """Pick guides, put them in order, give the booklet a title; then export or print."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        guides: list[tuple[str, str]],
        selected: list[str],
        paper: str,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Booklet from selected guides"))
        self.resize(520, 480)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("title")
        self.title_edit.setPlaceholderText(_("e.g. Pruning flowering shrubs"))
        self.list = QListWidget()
        self.list.setObjectName("guides")
        self.list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        titles = dict(guides)
        # Chosen guides first, in the order they were selected, then the others.
        ordered = [g for g in selected if g in titles] + [
            g for g, _t in guides if g not in selected
        ]
        for guide_id in ordered:
            item = QListWidgetItem(titles[guide_id])
            item.setData(Qt.ItemDataRole.UserRole, guide_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = guide_id in selected
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        up = QPushButton(_("Move up"))
        up.setObjectName("up")
        down = QPushButton(_("Move down"))
        down.setObjectName("down")
        up.clicked.connect(lambda: self.move(-1))
        down.clicked.connect(lambda: self.move(1))
        side = QVBoxLayout()
        side.addWidget(up)
        side.addWidget(down)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.list, 1)
        middle.addLayout(side)
        self.paper_box = PaperBox(paper)
        form = QFormLayout()
        form.addRow(_("Title:"), self.title_edit)
        form.addRow(_("Paper:"), self.paper_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            _("Export PDF…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.print_button = self.buttons.addButton(
            _("Print…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.printing = False
        self.export_button.clicked.connect(lambda: self._finish(False))
        self.print_button.clicked.connect(lambda: self._finish(True))
        self.buttons.rejected.connect(self.reject)
        self.message = QLabel()
        self.message.setObjectName("message")
        appearance.set_text_role(self.message, "alert")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(_("Tick the guides to include and put them in order:")))
        layout.addLayout(middle, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def move(self, delta: int) -> None:
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def chosen_ids(self) -> list[str]:
        ids = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    def title(self) -> str:
        return self.title_edit.text().strip()

    def _finish(self, printing: bool) -> None:
        if not self.chosen_ids():
            self.message.setText(_("Tick at least one guide."))
            return
        if not self.title():
            self.message.setText(_("Give the booklet a title."))
            self.title_edit.setFocus()
            return
        self.printing = printing
        self.accept()


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


# --- the actions ----------------------------------------------------------------------------


class HandoutActions(QObject):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.busy = False
        self.printers: list[PdfPrinter] = []
        self.saved_box: QMessageBox | None = None  # "PDF saved", with open file / folder
        self.export_action = QAction(_("Export PDF…"), self.window)
        self.export_action.setObjectName("handout_export")
        # Not Ctrl+E: on Linux a focused text field takes it (end of line).
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_action.setStatusTip(
            _("Save the selected guide's handout, or a session's report or pack, as a PDF")
        )
        self.export_action.triggered.connect(lambda: self.start_from_selection(printing=False))
        self.print_action = QAction(_("Print…"), self.window)
        self.print_action.setObjectName("handout_print")
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.print_action.triggered.connect(lambda: self.start_from_selection(printing=True))
        self.booklet_action = QAction(_("Booklet from selected guides…"), self.window)
        self.booklet_action.setObjectName("handout_booklet")
        self.booklet_action.triggered.connect(self.booklet)
        self.signin_action = QAction(_("Sign-in sheet…"), self.window)
        self.signin_action.setObjectName("handout_signin")
        self.signin_action.setStatusTip(
            _("Save the selected session's blank sign-in sheet as a PDF, to print and take along")
        )
        self.signin_action.triggered.connect(lambda: self.start_sheet(SIGNIN))
        self.feedback_action = QAction(_("Feedback form…"), self.window)
        self.feedback_action.setObjectName("handout_feedback")
        self.feedback_action.setStatusTip(
            _("Save the selected session's blank feedback form for trainees as a PDF")
        )
        self.feedback_action.triggered.connect(lambda: self.start_sheet(FEEDBACK))
        self.returned_action = QAction(_("Enter returned sheets…"), self.window)
        self.returned_action.setObjectName("handout_returned")
        self.returned_action.setStatusTip(
            _("Head counts by group and trainee quotes from the sheets that came back")
        )
        self.returned_action.triggered.connect(self.enter_returned)
        self.organisation_action = QAction(_("Organisation name on handouts…"), self.window)
        self.organisation_action.setObjectName("handout_organisation")
        self.organisation_action.setStatusTip(
            _("The organisation (单位名称) handouts name in their footer and as the PDF's author")
        )
        self.organisation_action.triggered.connect(self.edit_organisation)
        menu = ctx.menus["file"]
        if menu.actions():  # first in File, above what others put there
            first = menu.actions()[0]
            menu.insertActions(first, self.all_actions())
            menu.insertSeparator(first)
        else:
            menu.addActions(self.all_actions())
        ctx.toolbar.addAction(self.print_action)

    def all_actions(self) -> list[QAction]:
        return [
            self.export_action,
            self.print_action,
            self.booklet_action,
            self.signin_action,
            self.feedback_action,
            self.returned_action,
            self.organisation_action,
        ]

    # --- choosing what to build -------------------------------------------------------------

    def request_from_selection(self) -> Request | None:
        kind, ids = self.ctx.current_selection()
        if kind not in ("guide", "session") or not ids:
            return None
        rows = listing.fetch_rows(self.ctx.library, kind, ids[:1])
        row = rows.get(ids[0], {})
        if kind == "guide":
            return Request(GUIDE, ids[:1], name=str(row.get("title", "")), choices=[GUIDE])
        name = str(row.get("theme") or row.get("venue") or "")
        return Request(REPORT, ids[:1], name=name, choices=list(SESSION_KINDS))

    def start_from_selection(self, *, printing: bool, only: str | None = None) -> None:
        """The export (or print) dialog for the selection; `only` offers that one kind."""
        if self.busy:
            return
        request = self.request_from_selection()
        if only is not None and request is not None and only in request.choices:
            request.kind, request.choices = only, [only]
        elif only is not None:
            request = None
        if request is None:
            QMessageBox.information(
                self.window,
                _("Nothing to print"),
                _("Select a field session in the list first.")
                if only is not None
                else _("Select a guide, or a field session, in the list first."),
            )
            return
        paper = str(self.ctx.settings.get("handout.paper"))
        photos = (
            handouts.session_photos(self.ctx.library, request.ids[0])
            if REPORT in request.choices
            else None
        )
        dialog = ExportDialog(
            self.window,
            choices=request.choices,
            paper=paper,
            target=self.default_target(request),
            printing=printing,
            photos=photos,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        request.kind = dialog.kind()
        request.photo_ids = dialog.photo_ids if request.kind == REPORT else None
        target = None if printing else dialog.target()
        if not printing and (target is None or not self.may_write(target)):
            return
        self.run(request, dialog.paper_box.paper(), target)

    def may_write(self, target: Path) -> bool:
        """A file typed into the export dialog that exists already is replaced only when the
        user says so (the save dialog behind "Choose…" asks by itself)."""
        if not target.exists():
            return True
        answer = QMessageBox.question(
            self.window,
            _("Replace the file?"),
            _("{name} already exists in {folder}. Replace it?").format(
                name=target.name, folder=target.parent
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def start_sheet(self, kind: str) -> None:
        """File ▸ Sign-in sheet… / Feedback form…: the selected session's blank sheet."""
        self.start_from_selection(printing=False, only=kind)

    def enter_returned(self) -> None:
        """File ▸ Enter returned sheets…: for the selected session."""
        from desktop_app.ui.returned_sheets import enter_returned_sheets

        kind, ids = self.ctx.current_selection()
        if kind != "session" or not ids:
            QMessageBox.information(
                self.window, _("Nothing selected"), _("Select a field session in the list first.")
            )
            return
        enter_returned_sheets(self.ctx, ids[0])

    def edit_organisation(self) -> None:
        """File ▸ Organisation name on handouts…: the 单位名称 stored in the library."""
        library = self.ctx.library
        current = handouts.organisation_name(library)
        name, ok = QInputDialog.getText(
            self.window,
            _("Organisation name"),
            _(
                "The organisation printed in the footer of every handout and named as the PDF's "
                "author, e.g. 丰台区总工会. Leave it empty to use the union the team belongs to."
            ),
            QLineEdit.EchoMode.Normal,
            current,
        )
        if not ok or name.strip() == current:
            return
        try:
            handouts.set_organisation_name(library, name)
        except UserError as exc:
            QMessageBox.warning(self.window, _("Organisation name"), str(exc))
            return
        self.ctx.show_status(
            _("Handouts will name “{name}”.").format(
                name=handouts.organisation_name(library) or _("the team's union")
            ),
            8000,
        )

    def booklet(self) -> None:
        if self.busy:
            return
        library = self.ctx.library
        all_ids = listing.list_ids(library, "guide")
        titles = listing.fetch_rows(library, "guide", all_ids)
        guides = [(g, str(titles[g].get("title", ""))) for g in all_ids if g in titles]
        kind, ids = self.ctx.current_selection()
        dialog = BookletDialog(
            self.window,
            guides=guides,
            selected=ids if kind == "guide" else [],
            paper=str(self.ctx.settings.get("handout.paper")),
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        request = Request(BOOKLET, dialog.chosen_ids(), title=dialog.title(), name=dialog.title())
        target = None
        if not dialog.printing:
            chosen, _filter = QFileDialog.getSaveFileName(
                self.window,
                _("Save the PDF as"),
                str(self.default_target(request)),
                _("PDF files (*.pdf)"),
            )
            if not chosen:
                return
            target = Path(chosen)
        self.run(request, dialog.paper_box.paper(), target)

    def default_target(self, request: Request) -> Path:
        folder = layout_state.layout_settings().value(LAST_DIR_KEY, "")
        if not folder or not Path(str(folder)).is_dir():
            folder = QStandardPaths.writableLocation(
                QStandardPaths.StandardLocation.DocumentsLocation
            ) or str(Path.home())
        name = request.name or _(KIND_LABELS[request.kind])
        if request.kind == PACK:
            name = _("{name} – take-home pack").format(name=name)
        elif request.kind == REPORT:
            name = _("{name} – session report").format(name=name)
        elif request.kind == SIGNIN:
            name = _("{name} – sign-in sheet").format(name=name)
        elif request.kind == FEEDBACK:
            name = _("{name} – feedback form").format(name=name)
        return Path(str(folder)) / f"{safe_file_name(name)}.pdf"

    # --- building ---------------------------------------------------------------------------

    def confirm_safety(self, request: Request) -> bool | None:
        """None: cancelled; otherwise whether guides without safety notes were confirmed."""
        library = self.ctx.library
        if request.kind in (REPORT, SIGNIN, FEEDBACK):
            return False
        ids = (
            handouts.session_guide_ids(library, request.ids[0])
            if request.kind == PACK
            else request.ids
        )
        missing = handouts.guides_missing_safety(library, ids)
        if not missing:
            return False
        names = "、".join(f"“{t}”" for t in missing)
        answer = QMessageBox.warning(
            self.window,
            _("No safety notes"),
            _(
                "{guides} has no safety notes. Pruning tools, ladders and biological agents "
                "carry real risks: trainees should read the safety notes on paper.\n\n"
                "Print without safety notes anyway?"
            ).format(guides=names),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return True if answer == QMessageBox.StandardButton.Yes else None

    def confirm_photos(self, request: Request, paper: str) -> bool:
        """Point out photos that will print blurred (or look misplaced) before building."""
        kinds = {GUIDE: "guide", REPORT: "report", PACK: "pack", BOOKLET: "booklet"}
        if request.kind not in kinds:
            return True
        try:
            options = handouts.options_from_settings(self.ctx.settings, paper=paper)
            warnings = handouts.photo_warnings(
                self.ctx.library,
                kinds[request.kind],
                request.ids,
                options,
                title=request.title,
                photo_ids=request.photo_ids,
            )
        except UserError:
            return True  # the build itself reports the problem in its own words
        if not warnings:
            return True
        shown = warnings[:8] + (
            [_("…and {n} more.").format(n=len(warnings) - 8)] if len(warnings) > 8 else []
        )
        answer = QMessageBox.warning(
            self.window,
            _("Check the photos"),
            "\n\n".join(shown) + "\n\n" + _("Make the PDF anyway?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def run(self, request: Request, paper: str, target: Path | None) -> None:
        """Build `request` in the background; export to `target`, or print when it is None."""
        try:
            confirmed = self.confirm_safety(request)
        except UserError as exc:
            QMessageBox.warning(self.window, _("Cannot print"), str(exc))
            return
        if confirmed is None:
            return
        if not self.confirm_photos(request, paper):
            return
        self.ctx.settings.set("handout.paper", paper)
        if target is not None:
            layout_state.layout_settings().setValue(LAST_DIR_KEY, str(target.parent))
        options = handouts.options_from_settings(
            self.ctx.settings, paper=paper, confirm_missing_safety=confirmed
        )
        library = self.ctx.library
        temp_dir: Path | None = None
        if target is None:
            temp_dir = Path(tempfile.mkdtemp(prefix="jiangxin-print-"))
            pdf = temp_dir / f"{safe_file_name(request.name)}.pdf"
        else:
            pdf = target

        def op(progress: Progress) -> tuple[handouts.HandoutResult, list[raster.PageImage]]:
            result = build(library, request, pdf, options, progress)
            pages: list[raster.PageImage] = []
            if target is None:
                pages = raster.render_pages(pdf, PREVIEW_DPI, progress=progress)
            return result, pages

        self.busy = True
        self._set_enabled(False)

        def on_finish() -> None:
            self.busy = False
            self._set_enabled(True)

        def on_done(value: tuple[handouts.HandoutResult, list[raster.PageImage]]) -> None:
            result, pages = value
            if target is None:
                self.preview(result.path, pages, temp_dir)
            else:
                self.ctx.show_status(
                    _("Saved {path} ({pages} pages).").format(path=result.path, pages=result.pages),
                    10000,
                )
                self.show_saved(result)

        def on_failed(_exc: BaseException) -> bool:
            if temp_dir is not None:
                shutil.rmtree(temp_dir, ignore_errors=True)
            return False  # shown by run_with_progress

        # A read: it runs beside the writes. Not modal: the window stays usable while the PDF
        # is built (one build at a time).
        self.job = run_with_progress(
            self.window,
            _("Preparing the PDF…"),
            op,
            on_done,
            via=self.ctx.runner,
            failure_title=_("Cannot make the PDF"),
            modal=False,
            object_name="handout_progress",
            cancelled_text=_("Cancelled."),
            on_finish=on_finish,
            on_failed=on_failed,
        )

    def show_saved(self, result: handouts.HandoutResult) -> None:
        """Say where the PDF went, with buttons that open it or its folder (opened, not
        exec'd: nothing waits on it, and a button or Esc closes it)."""
        box = QMessageBox(self.window)
        box.setObjectName("handout_saved")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(_("PDF saved"))
        box.setText(
            _("Saved {name} ({pages} pages) in {folder}.").format(
                name=result.path.name, pages=result.pages, folder=result.path.parent
            )
        )
        open_file = box.addButton(_("Open file"), QMessageBox.ButtonRole.ActionRole)
        open_file.setObjectName("open_file")
        open_folder = box.addButton(_("Open folder"), QMessageBox.ButtonRole.ActionRole)
        open_folder.setObjectName("open_folder")
        # Our own word, not Qt's standard button: it follows the app's language.
        close = box.addButton(_("Close"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(open_file)
        box.setEscapeButton(close)
        open_file.clicked.connect(lambda: self.open_path(result.path))
        open_folder.clicked.connect(lambda: self.open_path(result.path.parent))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.saved_box is not None:
            with contextlib.suppress(RuntimeError):  # already closed and deleted
                self.saved_box.close()
        self.saved_box = box
        box.open()

    def open_path(self, path: Path) -> None:
        """Open a file or folder with the system's program for it; say so if none can."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.ctx.show_status(
                _("No program on this computer could open {path}.").format(path=path), 10000
            )

    def _set_enabled(self, enabled: bool) -> None:
        for action in self.all_actions():
            action.setEnabled(enabled)

    # --- printing ---------------------------------------------------------------------------

    def make_preview(
        self, pdf: Path, pages: list[raster.PageImage]
    ) -> tuple[QPrintPreviewDialog, PdfPrinter]:
        feeder = PdfPrinter(pdf, pages, self)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        feeder.configure(printer)
        preview = QPrintPreviewDialog(printer, self.window)
        preview.setWindowTitle(_("Print preview – {name}").format(name=pdf.stem))
        preview.resize(900, 700)
        preview.paintRequested.connect(feeder.paint)
        preview.printer_ref = printer  # type: ignore[attr-defined]  # keep it alive
        return preview, feeder

    def preview(self, pdf: Path, pages: list[raster.PageImage], temp_dir: Path | None) -> None:
        preview, feeder = self.make_preview(pdf, pages)
        self.printers.append(feeder)

        def finished(_result: int) -> None:
            with contextlib.suppress(ValueError):
                self.printers.remove(feeder)
            if temp_dir is not None:
                shutil.rmtree(temp_dir, ignore_errors=True)
            preview.deleteLater()

        preview.finished.connect(finished)
        preview.open()


def build(
    library: Any,
    request: Request,
    target: Path,
    options: handouts.HandoutOptions,
    progress: Progress,
) -> handouts.HandoutResult:
    builders: dict[str, Callable[[], handouts.HandoutResult]] = {
        GUIDE: lambda: handouts.build_guide_handout(
            library, request.ids[0], target, options, progress
        ),
        REPORT: lambda: handouts.build_session_report(
            library, request.ids[0], target, options, progress, photo_ids=request.photo_ids
        ),
        PACK: lambda: handouts.build_session_pack(
            library, request.ids[0], target, options, progress
        ),
        BOOKLET: lambda: handouts.build_booklet(
            library, request.ids, request.title, target, options, progress
        ),
        SIGNIN: lambda: handouts.build_signin_sheet(
            library, request.ids[0], target, options, progress
        ),
        FEEDBACK: lambda: handouts.build_feedback_form(
            library, request.ids[0], target, options, progress
        ),
    }
    return builders[request.kind]()


def install(ctx: WindowContext) -> HandoutActions:
    return HandoutActions(ctx)
