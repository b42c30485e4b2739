"""The photo grid of a field session: its thumbnails (`photo_list`) with buttons.

`PhotoGrid` wraps the view with its buttons and does the writes through the photo service, on
the window's `LibraryWriter` (one write at a time, off the GUI thread): every change (caption,
order, removal) is an undoable command on the undo `History` it is given, and imports run with
a progress dialog that has a count and Cancel (`ops.run_with_progress`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _, ngettext
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui import appearance, file_dialogs
from desktop_app.ui.history import History
from desktop_app.ui.ops import ProgressOp, show_status
from desktop_app.ui.photo_list import (
    ICON_BOX,
    IMAGE_FILTER,
    PhotoListModel,
    PhotoListView,
    PixmapCache,
)
from desktop_app.ui.photo_writes import own_writer, start_photo_import, submit_photo_change
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter

__all__ = ["ICON_BOX", "PhotoGrid", "PhotoListModel", "PixmapCache"]  # tests reach them here

GRID_ROWS_SHOWN = 2  # the grid is tall enough for two rows of photos before it scrolls
UNDO_SHOWN_MS = 15000  # how long "Undo" stays beside a removal


class PhotoGrid(QWidget):
    """The photos of one session: view, add, remove, reorder, caption, preview, import."""

    photosChanged = Signal(list)  # the session's photo ids after a change made here
    importFinished = Signal(object)  # list[ImportResult] (also after a cancel)

    def __init__(
        self,
        library: Library,
        *,
        runner: BackgroundRunner,
        writer: LibraryWriter | None = None,
        undo_stack: History | None = None,
        report: Callable[[UserError], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        self.undo_stack = undo_stack
        self._report = report or self._warn
        self.writer = writer or own_writer(self, runner, self._report)
        self.session_id: str | None = None
        self.import_job: ProgressOp | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.last_results: list[photos.ImportResult] = []

        self.model = PhotoListModel(library, runner, self)
        self.model.captionEdited.connect(self._caption_edited)
        self.model.reorderRequested.connect(self._reorder, Qt.ConnectionType.QueuedConnection)
        self.model.filesDropped.connect(
            lambda files: self.import_files([Path(f) for f in files]),
            Qt.ConnectionType.QueuedConnection,
        )
        self.view = PhotoListView()
        self.view.setObjectName("photo_grid_view")
        self.view.setModel(self.model)
        self.model.pixel_ratio = self.view.devicePixelRatioF() or 1.0
        cell = self.view.gridSize().height() + 2 * self.view.spacing()
        self.view.setMinimumHeight(GRID_ROWS_SHOWN * cell + 2 * self.view.frameWidth() + 8)
        self.view.doubleClicked.connect(lambda index: self.open_preview(index.row()))
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())

        self.hint = QLabel()
        self.hint.setObjectName("photo_grid_hint")
        self.hint.setWordWrap(True)
        appearance.set_text_role(self.hint, "hint")
        self.add_button = QPushButton(_("Add photos…"))
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(_("Remove from session"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.undo_button = QPushButton(_("Undo"))
        self.undo_button.setObjectName("photo_undo_remove")
        self.undo_button.hide()
        self.undo_button.clicked.connect(self._undo_removal)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_SHOWN_MS)
        self._undo_timer.timeout.connect(self.undo_button.hide)
        self._removal_text = ""
        self.preview_button = QPushButton(_("Preview"))
        self.preview_button.clicked.connect(lambda: self.open_preview(self._current_row()))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.view)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(lambda: self.open_preview(self._current_row()))
        self.show_session(None)

    # --- which session ----------------------------------------------------------------------

    def show_session(self, session_id: str | None) -> None:
        """Show a saved session's photos; None (a session not saved yet) disables the grid."""
        self.session_id = session_id
        self.reload()

    def reload(self) -> None:
        if self.session_id is None:
            self.model.set_photos([])
        else:
            try:
                self.model.set_photos(photos.session_photos(self.library, self.session_id))
            except UserError:
                self.session_id = None
                self.model.set_photos([])
        enabled = self.session_id is not None
        self.view.setEnabled(enabled)
        self.add_button.setEnabled(enabled and not self.library.read_only)
        if not enabled:
            self.hint.setText(_("Save the session first, then add its photos here."))
        elif self.model.rowCount() == 0:
            self.hint.setText(
                _("Drag photos or whole folders here from the file manager, or click Add photos…")
            )
        else:
            self.hint.setText(
                _(
                    "{n} photos. Drag to reorder, F2 to edit a caption, double-click to preview."
                ).format(n=self.model.rowCount())
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        selected = bool(self.view.selectionModel().selectedIndexes())
        self.remove_button.setEnabled(selected and self.session_id is not None)
        self.preview_button.setEnabled(self.model.rowCount() > 0)

    def _current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else 0

    def _changed(self) -> None:
        self.reload()
        self.photosChanged.emit(self.model.photo_ids())

    def _push(self, text: str, do: Callable[[], None], undo: Callable[[], None]) -> None:
        submit_photo_change(self.writer, self.undo_stack, text, do, undo, self._changed)

    def _warn(self, err: UserError) -> None:
        QMessageBox.warning(self, _("Cannot do that"), str(err))

    # --- editing ----------------------------------------------------------------------------

    def _caption_edited(self, photo_id: str, old: str, new: str) -> None:
        def do() -> None:
            photos.set_caption(self.library, photo_id, new)

        def undo() -> None:
            photos.set_caption(self.library, photo_id, old)

        self._push(_("Edit photo caption"), do, undo)

    def _reorder(self, order: list[str]) -> None:
        session_id = self.session_id
        before = self.model.photo_ids()
        if session_id is None or sorted(order) != sorted(before):
            return

        def do() -> None:
            photos.reorder_session_photos(self.library, session_id, order)

        def undo() -> None:
            photos.reorder_session_photos(self.library, session_id, before)

        self._push(_("Reorder photos"), do, undo)

    def remove_selected(self) -> None:
        session_id = self.session_id
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})
        if session_id is None or not rows:
            return
        removed = [(row, self.model.info(row).id) for row in rows]

        def do() -> None:
            for _row, photo_id in removed:
                photos.remove_from_session(self.library, session_id, photo_id)

        def undo() -> None:
            for row, photo_id in removed:  # ascending rows: each goes back where it was
                photos.add_to_session(self.library, session_id, [photo_id], position=row)

        text = (
            _("Remove a photo from the session")
            if len(removed) == 1
            else _("Remove {n} photos from the session").format(n=len(removed))
        )

        def done() -> None:
            # Said where the user looks, with the way back (also Ctrl+Z).
            self._removal_text = text
            show_status(
                self,
                ngettext(
                    "Removed {n} photo from the session (the file stays in the library). "
                    "Undo brings it back.",
                    "Removed {n} photos from the session (the files stay in the library). "
                    "Undo brings them back.",
                    len(removed),
                ).format(n=len(removed)),
                UNDO_SHOWN_MS,
            )
            self.undo_button.setVisible(self.undo_stack is not None)
            self._undo_timer.start()

        submit_photo_change(
            self.writer, self.undo_stack, text, do, undo, self._changed, written=done
        )

    def _undo_removal(self) -> None:
        self.undo_button.hide()
        stack = self.undo_stack
        # Only while the removal is still the last step: never undo something else.
        if stack is not None and stack.canUndo() and stack.undoText() == self._removal_text:
            stack.undo()

    # --- preview ----------------------------------------------------------------------------

    def open_preview(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        from desktop_app.ui.photo_preview import PhotoPreviewDialog

        dialog = PhotoPreviewDialog(
            self.library,
            self.model.photo_ids(),
            row,
            runner=self.runner,
            writer=self.writer,
            parent=self,
        )
        dialog.rotated.connect(lambda _pid: self.reload())
        dialog.exec()
        dialog.deleteLater()

    # --- import -----------------------------------------------------------------------------

    def choose_files(self) -> None:
        if self.session_id is None:
            return
        files = file_dialogs.open_files(
            self, _("Add photos"), _("Photos ({patterns})").format(patterns=IMAGE_FILTER)
        )
        if files:
            self.import_files([Path(f) for f in files])

    def import_files(self, paths: list[Path]) -> ProgressOp | None:
        """Import into this session on the writer, with a progress dialog and Cancel."""
        session_id = self.session_id
        if session_id is None or not paths or self.import_job is not None:
            return None
        job = start_photo_import(
            self,
            self.writer,
            self.library,
            paths,
            photos.ImportTarget(session_id=session_id),
            lambda results, cancelled: self._show_results(results, cancelled=cancelled),
            on_finish=self._finish_import,
            # what got in before the failure; the failure itself is shown
            on_other_failure=self._changed,
            object_name="photo_import_progress",
        )
        if not job.finished:  # still waiting or running
            self.import_job = job
            self.progress_dialog = job.dialog
        return job

    def _finish_import(self) -> None:
        self.import_job = None
        self.progress_dialog = None

    def _show_results(self, results: list[photos.ImportResult], *, cancelled: bool) -> None:
        self.last_results = list(results)
        self._changed()
        counts = {
            s: sum(r.status == s for r in results)
            for s in (photos.IMPORTED, photos.DUPLICATE, photos.REJECTED)
        }
        summary = _("{imported} imported, {duplicate} already there, {rejected} rejected.").format(
            imported=counts[photos.IMPORTED],
            duplicate=counts[photos.DUPLICATE],
            rejected=counts[photos.REJECTED],
        )
        if cancelled:
            summary = _("Import cancelled. {summary}").format(summary=summary)
        self.hint.setText(summary)
        self.importFinished.emit(list(results))
        rejected = [r for r in results if r.status == photos.REJECTED]
        if rejected:
            box = QMessageBox(
                QMessageBox.Icon.Warning, _("Some files were not imported"), summary, parent=self
            )
            box.setDetailedText("\n".join(f"{Path(r.path).name}: {r.reason}" for r in rejected))
            box.setInformativeText(
                "\n".join(f"{Path(r.path).name}: {r.reason}" for r in rejected[:8])
            )
            box.setObjectName("photo_import_rejections")
            self.rejection_box = box
            box.open()
