"""The photo grid of a field session: thumbnails in a `QListView` icon mode.

`PhotoListModel` holds the session's photos (ids and facts, no pixels) and loads thumbnails
lazily: only rows the view asks to paint are loaded, on the background runner, a few at a
time, and kept in a bounded LRU cache of pixmaps. Captions are edited in place; dragging
photos reorders them; dropping files or folders from the file manager imports them.

`PhotoGrid` wraps the view with its buttons and does the writes through the photo service, on
the window's `LibraryWriter` (one write at a time, off the GUI thread): every change (caption,
order, removal) is an undoable command on the undo `History` it is given, and imports run with
a progress dialog that has a count and Cancel (`ops.run_with_progress`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QKeySequence, QPixmap, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _, ngettext
from desktop_app.core.progress import Progress
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui import appearance, file_dialogs
from desktop_app.ui.history import History, WriteCommand
from desktop_app.ui.ops import ProgressOp, run_with_progress, show_failure, show_status
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter

PhotoIdRole = Qt.ItemDataRole.UserRole + 1
PhotoInfoRole = Qt.ItemDataRole.UserRole + 2
INTERNAL_MIME = "application/x-jiangxin-photo-ids"
ICON_SIZE = 150
CACHE_SIZE = 300  # pixmaps kept in memory (~256×192 each, ~60 MB at most)
MAX_LOADS = 4  # thumbnail loads in flight at once
IMAGE_FILTER = "*.jpg *.jpeg *.jpe *.png *.tif *.tiff *.webp *.heic *.heif *.hif"

Index = QModelIndex | QPersistentModelIndex


class PixmapCache:
    """A bounded least-recently-used cache of thumbnails."""

    def __init__(self, capacity: int = CACHE_SIZE) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()

    def get(self, key: tuple[str, int]) -> QPixmap | None:
        pixmap = self._items.get(key)
        if pixmap is not None:
            self._items.move_to_end(key)
        return pixmap

    def put(self, key: tuple[str, int], pixmap: QPixmap) -> None:
        self._items[key] = pixmap
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


ICON_BOX = QSize(ICON_SIZE, ICON_SIZE * 3 // 4)


def load_thumbnail(library: Library, photo_id: str, box: QSize, ratio: float = 1.0) -> QImage:
    """Worker side: the cached thumbnail scaled to fit `box` (re-rendered when damaged).

    The delegate draws a pixmap at its own size, so it is scaled here, off the GUI thread.
    """
    image = QImage(str(photos.thumbnail_file(library, photo_id)))
    if image.isNull():
        image = QImage(str(photos.thumbnail_file(library, photo_id, rebuild=True)))
    if image.isNull():
        return image
    scaled = image.scaled(
        box * ratio, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    scaled.setDevicePixelRatio(ratio)
    return scaled


def _placeholder(box: QSize) -> QPixmap:
    pixmap = QPixmap(box)
    pixmap.fill(QColor("#e6e6e6"))
    return pixmap


class PhotoListModel(QAbstractListModel):
    """The photos of one session, in order; thumbnails load lazily in the background."""

    captionEdited = Signal(str, str, str)  # photo id, old caption, new caption
    reorderRequested = Signal(list)  # the new order of photo ids
    filesDropped = Signal(list)  # paths (str) of dropped files and folders

    def __init__(
        self,
        library: Library,
        runner: BackgroundRunner,
        parent: Any = None,
        *,
        icon_box: QSize = ICON_BOX,
        cache: PixmapCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.runner = runner
        self.icon_box = QSize(icon_box)
        self.pixel_ratio = 1.0  # the view's device pixel ratio (set by the grid)
        self.cache = cache or PixmapCache()
        self._photos: list[photos.PhotoInfo] = []
        self._wanted: list[tuple[str, int]] = []
        self._loading: set[tuple[str, int]] = set()
        self._failed: set[tuple[str, int]] = set()
        self._placeholder = _placeholder(self.icon_box)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._load_wanted)

    # --- contents ---------------------------------------------------------------------------

    def set_photos(self, infos: Sequence[photos.PhotoInfo]) -> None:
        self.beginResetModel()
        self._photos = list(infos)
        self._wanted.clear()
        self.endResetModel()

    def photo_ids(self) -> list[str]:
        return [p.id for p in self._photos]

    def info(self, row: int) -> photos.PhotoInfo:
        return self._photos[row]

    def row_of(self, photo_id: str) -> int:
        for row, info in enumerate(self._photos):
            if info.id == photo_id:
                return row
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._photos)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        info = self._photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return info.caption or info.original_name
        if role == Qt.ItemDataRole.EditRole:
            return info.caption
        if role == Qt.ItemDataRole.ForegroundRole and not info.caption:
            return appearance.colour("missing")
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(info)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(info)
        if role == PhotoIdRole:
            return info.id
        if role == PhotoInfoRole:
            return info
        return None

    @staticmethod
    def _tooltip(info: photos.PhotoInfo) -> str:
        lines = [info.caption] if info.caption else []
        lines.append(info.original_name)
        width, height = info.display_size
        lines.append(f"{width} × {height}")
        if info.taken_at is not None:
            lines.append(info.taken_at.astimezone().strftime("%Y-%m-%d %H:%M"))
        if info.camera:
            lines.append(info.camera)
        return "\n".join(lines)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        info = self._photos[index.row()]
        new = " ".join(str(value or "").split())
        if new == info.caption:
            return False
        old = info.caption
        info.caption = new
        self.dataChanged.emit(index, index)
        self.captionEdited.emit(info.id, old, new)
        return True

    def update_caption(self, photo_id: str, caption: str) -> None:
        row = self.row_of(photo_id)
        if row >= 0:
            self._photos[row].caption = caption
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsEditable
            | Qt.ItemFlag.ItemIsDragEnabled
        )

    # --- thumbnails -------------------------------------------------------------------------

    def _pixmap(self, info: photos.PhotoInfo) -> QPixmap:
        key = (info.id, info.rotation)
        pixmap = self.cache.get(key)
        if pixmap is not None:
            return pixmap
        if key not in self._loading and key not in self._failed and key not in self._wanted:
            # Deferred: loading from inside data() would re-enter the view while it paints.
            self._wanted.append(key)
            self._timer.start()
        return self._placeholder

    def _load_wanted(self) -> None:
        while self._wanted and len(self._loading) < MAX_LOADS:
            key = self._wanted.pop()  # the most recently painted first
            self._loading.add(key)
            photo_id = key[0]

            box, ratio = QSize(self.icon_box), self.pixel_ratio

            def op(
                _progress: Progress,
                photo_id: str = photo_id,
                box: QSize = box,
                ratio: float = ratio,
            ) -> QImage:
                return load_thumbnail(self.library, photo_id, box, ratio)

            self.runner.run(
                op,
                on_done=lambda image, key=key: self._loaded(key, image),
                on_error=lambda _exc, key=key: self._load_failed(key),
            )

    def _loaded(self, key: tuple[str, int], image: QImage) -> None:
        self._loading.discard(key)
        if image.isNull():
            self._failed.add(key)
        else:
            self.cache.put(key, QPixmap.fromImage(image))
            self._changed(key[0])
        if self._wanted:
            self._timer.start()

    def _load_failed(self, key: tuple[str, int]) -> None:
        self._loading.discard(key)
        self._failed.add(key)  # shown as the grey placeholder; the tooltip still tells
        if self._wanted:
            self._timer.start()

    def _changed(self, photo_id: str) -> None:
        row = self.row_of(photo_id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def loads_pending(self) -> int:
        return len(self._wanted) + len(self._loading)

    # --- drag and drop ----------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [INTERNAL_MIME, "text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        ids = [self._photos[r].id for r in rows]
        mime.setData(INTERNAL_MIME, QByteArray(json.dumps(ids).encode()))
        return mime

    @staticmethod
    def _local_files(data: QMimeData) -> list[str]:
        return [u.toLocalFile() for u in data.urls() if u.isLocalFile() and u.toLocalFile()]

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if data.hasFormat(INTERNAL_MIME):
            return True
        return bool(self._local_files(data))

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if data.hasFormat(INTERNAL_MIME):
            moved = json.loads(bytes(data.data(INTERNAL_MIME).data()).decode())
            current = self.photo_ids()
            if row < 0:
                row = parent.row() if parent.isValid() else len(current)
            before = [pid for pid in current[:row] if pid not in moved]
            after = [pid for pid in current[row:] if pid not in moved]
            order = before + [pid for pid in current if pid in moved] + after
            if order != current:
                self.reorderRequested.emit(order)
            # False: the grid reorders through the service; the view must not remove rows.
            return False
        files = self._local_files(data)
        if files:
            self.filesDropped.emit(files)
            return True
        return False


# --- undoable changes --------------------------------------------------------------------------


class _PhotoCommand(WriteCommand):
    """A photo change already written by `do`; the history runs `undo`/`do` on the writer,
    and the grid reloads after either."""

    def __init__(
        self,
        text: str,
        do: Callable[[], Any],
        undo: Callable[[], Any],
        after: Callable[[], None],
    ) -> None:
        super().__init__(text)
        self._do, self._undo, self._after = do, undo, after

    def undo_write(self) -> Callable[[], Any]:
        return self._undo

    def redo_write(self) -> Callable[[], Any]:
        return self._do

    def after(self) -> None:
        self._after()


def submit_photo_change(
    writer: LibraryWriter,
    history: History | None,
    text: str,
    do: Callable[[], None],
    undo: Callable[[], None],
    after: Callable[[], None],
    *,
    written: Callable[[], None] | None = None,
) -> None:
    """Write `do` on the writer; once written, push it on the history (undo runs `undo`).
    `after` runs after every write of it (undo and redo too), `written` after the first."""

    def done(_result: object) -> None:
        if history is not None:
            history.push(_PhotoCommand(text, do, undo, after))
        after()
        if written is not None:
            written()

    def failed(_exc: BaseException) -> bool:
        after()  # show what the library holds; the writer shows why
        return False

    writer.submit(text, lambda _progress: do(), on_done=done, on_error=failed)


def own_writer(
    owner: QWidget, runner: BackgroundRunner, report: Callable[[UserError], None]
) -> LibraryWriter:
    """A writer for a photo widget used outside the window (tests, tools)."""
    writer = LibraryWriter(runner.serial(), owner)

    def shown(_label: str, exc: BaseException) -> None:
        if isinstance(exc, UserError):
            report(exc)
        else:
            show_failure(owner, _("Cannot do that"), exc)

    writer.report = shown
    return writer


# --- the widget --------------------------------------------------------------------------------


SELECTION_STYLE = """
QListView::item { border: 3px solid transparent; }
QListView::item:selected { border: 3px solid #0b57d0; background: #d3e3fd; color: #000; }
QListView::item:selected:!active { border: 3px solid #0b57d0; background: #e3ecfb; color: #000; }
"""
GRID_ROWS_SHOWN = 2  # the grid is tall enough for two rows of photos before it scrolls
UNDO_SHOWN_MS = 15000  # how long "Undo" stays beside a removal


class PhotoListView(QListView):
    """Icon mode with wrapping; Enter opens the preview."""

    activatedPreview = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # drops go through the model: reorder
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setIconSize(ICON_BOX)
        self.setGridSize(QSize(ICON_BOX.width() + 16, ICON_BOX.height() + 46))
        self.setSpacing(4)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)  # drops land on the viewport, in its coordinates
        self.setDropIndicatorShown(True)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        # The selected photo must be plain to see, in sunlight too: a thick blue frame.
        self.setStyleSheet(SELECTION_STYLE)

    def wheelEvent(self, event: QWheelEvent) -> None:
        super().wheelEvent(event)
        # At either end the grid keeps the wheel: the form around it must not start scrolling.
        event.accept()


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
        library = self.library
        target = photos.ImportTarget(session_id=session_id)

        def op(progress: Progress) -> list[photos.ImportResult]:
            return photos.import_photos(library, paths, target, progress)

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, photos.ImportCancelled):
                self._show_results(exc.results, cancelled=True)
                return True
            self._changed()  # what got in before the failure; the failure itself is shown
            return False

        job = run_with_progress(
            self,
            _("Importing photos…"),
            op,
            lambda results: self._show_results(results, cancelled=False),
            via=self.writer,
            failure_title=_("Cannot import photos"),
            modal=False,  # the window stays usable; the import goes on in the background
            object_name="photo_import_progress",
            label=_("Import photos"),
            text=lambda done, total, name: _("Importing photos… {done} of {total}\n{name}").format(
                done=done, total=total, name=name
            ),
            on_finish=self._finish_import,
            on_failed=failed,
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
