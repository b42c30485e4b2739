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
copies, pages); `handout_printing` feeds the pages to the printer. The dialogs that ask what to
make are `handout_dialogs`'.

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
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QMessageBox

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.services import handouts, listing
from desktop_app.services.handouts import raster
from desktop_app.storage.library import Library
from desktop_app.ui import file_dialogs, layout_state
from desktop_app.ui.handout_dialogs import (
    BOOKLET,
    FEEDBACK,
    GUIDE,
    KIND_LABELS,
    PACK,
    REPORT,
    SESSION_KINDS,
    SIGNIN,
    BookletDialog,
    ExportDialog,
    PhotoChoiceDialog,
)
from desktop_app.ui.handout_printing import PdfPrinter
from desktop_app.ui.ops import run_with_progress

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

__all__ = [
    "BOOKLET",
    "FEEDBACK",
    "GUIDE",
    "PACK",
    "REPORT",
    "SIGNIN",
    "BookletDialog",
    "ExportDialog",
    "HandoutActions",
    "PhotoChoiceDialog",
    "Request",
    "build",
    "install",
]

log = logging.getLogger(__name__)

PREVIEW_DPI = 120
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
            chosen = file_dialogs.save_file(
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
    library: Library,
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
