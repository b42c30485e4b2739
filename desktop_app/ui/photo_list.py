"""Photos as a list of thumbnails: the model and the view shared by the session's grid and a
guide step's strip.

`PhotoListModel` holds the photos (ids and facts, no pixels) and loads thumbnails lazily:
only rows the view asks to paint are loaded, on the background runner, a few at a time, and
kept in a bounded LRU cache of pixmaps (`PixmapCache`). Captions are edited in place;
dragging photos reorders them; dropping files or folders from the file manager asks for an
import (`filesDropped`). `PhotoListView` shows them in icon mode with the selection plain to
see.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
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
from PySide6.QtGui import QColor, QImage, QPixmap, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from desktop_app.core.progress import Progress
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui import appearance
from desktop_app.ui.workers import BackgroundRunner

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

            def done(image: QImage, key: tuple[str, int] = key) -> None:
                self._loaded(key, image)

            def failed(_exc: BaseException, key: tuple[str, int] = key) -> None:
                self._load_failed(key)

            self.runner.run(op, on_done=done, on_error=failed)

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


SELECTION_STYLE = """
QListView::item { border: 3px solid transparent; }
QListView::item:selected { border: 3px solid #0b57d0; background: #d3e3fd; color: #000; }
QListView::item:selected:!active { border: 3px solid #0b57d0; background: #e3ecfb; color: #000; }
"""


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
