"""Photos of one guide step, shown under the step's text in the guide form.

Unlike a session's grid, a step's photo list belongs to the form's unsaved edits: adding,
removing or reordering photos changes the form (it becomes dirty and saves them with the
guide, and Discard changes takes them back). Imported files go into the photo store at once
(on the window's writer, with a progress dialog and Cancel); a photo that ends up in no saved
step is "unused" until Tools → Clean up unused photos. Captions belong to the photo itself, so
they are saved at once (on the writer), as an undoable command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
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
from desktop_app.core.i18n import _
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui import appearance, file_dialogs
from desktop_app.ui.history import History
from desktop_app.ui.ops import ProgressOp
from desktop_app.ui.photo_list import ICON_BOX, IMAGE_FILTER, PhotoListModel, PhotoListView
from desktop_app.ui.photo_writes import own_writer, start_photo_import, submit_photo_change
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter


class StepPhotos(QWidget):
    """The photo ids of the selected step; `idsChanged` tells the form the new list."""

    idsChanged = Signal(list)

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
        self.ids: list[str] = []
        self.import_job: ProgressOp | None = None
        self.progress_dialog: QProgressDialog | None = None

        self.model = PhotoListModel(library, runner, self)
        self.model.captionEdited.connect(self._caption_edited)
        self.model.reorderRequested.connect(self._set_ids, Qt.ConnectionType.QueuedConnection)
        self.model.filesDropped.connect(
            lambda files: self.import_files([Path(f) for f in files]),
            Qt.ConnectionType.QueuedConnection,
        )
        self.view = PhotoListView()
        self.view.setObjectName("step_photos_view")
        self.view.setModel(self.model)
        self.view.setFixedHeight(ICON_BOX.height() + 64)
        self.view.setWrapping(False)  # one row that scrolls sideways: steps have few photos
        self.model.pixel_ratio = self.view.devicePixelRatioF() or 1.0
        self.hint = QLabel()
        appearance.set_text_role(self.hint, "hint")
        self.add_button = QPushButton(_("Add photos…"))
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(_("Remove from step"))
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        self.show_ids(None)

    def show_ids(self, ids: list[str] | None) -> None:
        """Show a step's photos; None when no step is selected."""
        enabled = ids is not None
        self.ids = list(ids or [])
        infos = []
        for photo_id in self.ids:
            try:
                infos.append(photos.photo_info(self.library, photo_id))
            except UserError:
                continue  # a photo cleaned up meanwhile: the form's save will drop the id
        self.model.set_photos(infos)
        self.setEnabled(enabled)
        writable = enabled and not self.library.read_only
        self.add_button.setEnabled(writable)
        self.remove_button.setEnabled(writable)
        if not enabled:
            self.hint.setText(_("Select a step to see its photos."))
        elif not self.ids:
            self.hint.setText(_("Drop photos here for this step."))
        else:
            self.hint.setText(_("{n} photos in this step.").format(n=len(self.ids)))

    def _set_ids(self, ids: list[str]) -> None:
        self.show_ids(ids)
        self.idsChanged.emit(list(ids))

    def _caption_edited(self, photo_id: str, old: str, new: str) -> None:
        library = self.library

        def shown() -> None:
            try:
                caption = photos.photo_info(library, photo_id).caption
            except UserError:
                return  # cleaned up meanwhile
            self.model.update_caption(photo_id, caption)

        submit_photo_change(
            self.writer,
            self.undo_stack,
            _("Edit photo caption"),
            lambda: photos.set_caption(library, photo_id, new),
            lambda: photos.set_caption(library, photo_id, old),
            shown,
        )

    def remove_selected(self) -> None:
        rows = {i.row() for i in self.view.selectionModel().selectedIndexes()}
        if rows:
            self._set_ids([pid for row, pid in enumerate(self.ids) if row not in rows])

    def _warn(self, err: UserError) -> None:
        QMessageBox.warning(self, _("Cannot do that"), str(err))

    def choose_files(self) -> None:
        files = file_dialogs.open_files(
            self, _("Add photos"), _("Photos ({patterns})").format(patterns=IMAGE_FILTER)
        )
        if files:
            self.import_files([Path(f) for f in files])

    def import_files(self, paths: list[Path]) -> None:
        if not self.isEnabled() or self.import_job is not None or not paths:
            return
        job = start_photo_import(
            self,
            self.writer,
            self.library,
            paths,
            None,  # into the photo store; the step holds them once the guide is saved
            lambda results, _cancelled: self._imported(results),
            on_finish=self._close_progress,
        )
        if not job.finished:
            self.import_job = job
            self.progress_dialog = job.dialog

    def _close_progress(self) -> None:
        self.import_job = None
        self.progress_dialog = None

    def _imported(self, results: list[photos.ImportResult]) -> None:
        new = [r.photo_id for r in results if r.photo_id and r.photo_id not in self.ids]
        self._set_ids(self.ids + list(dict.fromkeys(new)))
        rejected = [r for r in results if r.status == photos.REJECTED]
        if rejected:
            self._report(UserError("\n".join(f"{Path(r.path).name}: {r.reason}" for r in rejected)))
