"""A large preview of a session's photos with previous/next and rotate.

The picture is rendered by the photo service on the background runner (upright, the user's
rotation applied); the thumbnail is shown scaled up meanwhile so the dialog never waits.
Rotating stores a quarter turn on the photo record (a write, on the window's `LibraryWriter`);
the original file is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import Progress
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter, SynchronousRunner

# The preview's own keys (listed in Help → Keyboard shortcuts). Shortcuts, not key presses:
# a focused button takes ←/→ for moving focus before the dialog would see them.
SHORTCUTS: list[tuple[str, str]] = [
    ("←", N_("Previous photo")),
    ("→", N_("Next photo")),
    ("PgUp", N_("Previous photo")),
    ("PgDown", N_("Next photo")),
    ("Ctrl+R", N_("Rotate right")),
    ("Ctrl+Shift+R", N_("Rotate left")),
]


def _to_qimage(img: Any) -> QImage:
    """A Pillow RGB image as a QImage that owns its pixels."""
    data = img.tobytes("raw", "RGB")
    image = QImage(data, img.width, img.height, img.width * 3, QImage.Format.Format_RGB888)
    return image.copy()


class PhotoPreviewDialog(QDialog):
    rotated = Signal(str)  # photo id

    def __init__(
        self,
        library: Library,
        photo_ids: Sequence[str],
        row: int = 0,
        *,
        runner: BackgroundRunner,
        writer: LibraryWriter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.photo_ids = list(photo_ids)
        self.row = max(0, min(row, len(self.photo_ids) - 1))
        self.runner = runner
        self.writer = writer or LibraryWriter(SynchronousRunner(), self)
        self._pixmap = QPixmap()
        self._generation = 0
        self.setWindowTitle(_("Photo preview"))
        self.resize(1100, 680)  # fits a 1366×768 screen with its task bar

        self.image = QLabel()
        self.image.setObjectName("preview_image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.setMinimumSize(QSize(200, 150))
        self.image.setStyleSheet("background: #202020; color: #ddd;")
        self.caption = QLabel()
        self.caption.setObjectName("preview_caption")
        self.caption.setWordWrap(True)
        self.counter = QLabel()
        self.counter.setObjectName("preview_counter")

        self.prev_button = QPushButton(_("◀ Previous"))
        self.next_button = QPushButton(_("Next ▶"))
        self.left_button = QPushButton(_("Rotate left"))
        self.right_button = QPushButton(_("Rotate right"))
        close = QPushButton(_("Close"))
        self.prev_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.left_button.clicked.connect(lambda: self.rotate(-90))
        self.right_button.clicked.connect(lambda: self.rotate(90))
        close.clicked.connect(self.accept)
        bar = QHBoxLayout()
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.counter)
        bar.addStretch(1)
        bar.addWidget(self.left_button)
        bar.addWidget(self.right_button)
        bar.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        layout.addLayout(bar)
        slots = {
            "Previous photo": self.previous,
            "Next photo": self.next,
            "Rotate right": lambda: self.rotate(90),
            "Rotate left": lambda: self.rotate(-90),
        }
        arrows = {"←": "Left", "→": "Right"}
        for keys, what in SHORTCUTS:
            shortcut = QShortcut(QKeySequence(arrows.get(keys, keys)), self)
            shortcut.activated.connect(slots[what])
        self.show_row(self.row)

    def done(self, result: int) -> None:
        self._generation += 1  # a render still running must not touch a closed dialog
        super().done(result)

    # --- navigation -------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace):
            self.previous()
        elif event.key() in (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space):
            self.next()
        else:
            super().keyPressEvent(event)

    def previous(self) -> None:
        if self.row > 0:
            self.show_row(self.row - 1)

    def next(self) -> None:
        if self.row + 1 < len(self.photo_ids):
            self.show_row(self.row + 1)

    def current_id(self) -> str:
        return self.photo_ids[self.row]

    def show_row(self, row: int) -> None:
        self.row = row
        self._generation += 1
        generation = self._generation
        photo_id = self.current_id()
        try:
            info = photos.photo_info(self.library, photo_id)
        except UserError as err:
            self.image.setText(str(err))
            return
        self.caption.setText(info.caption or info.original_name)
        self.counter.setText(_("{n} of {total}").format(n=row + 1, total=len(self.photo_ids)))
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row + 1 < len(self.photo_ids))
        writable = not self.library.read_only
        self.left_button.setEnabled(writable)
        self.right_button.setEnabled(writable)
        thumb = QPixmap(str(photos.thumbnail_file(self.library, photo_id)))
        if not thumb.isNull():
            self._set_pixmap(thumb)
        edge = self._wanted_edge()

        def op(_progress: Progress) -> QImage:
            return _to_qimage(photos.render_preview(self.library, photo_id, edge))

        self.runner.run(
            op,
            on_done=lambda image: self._rendered(generation, image),
            on_error=lambda exc: self._failed(generation, exc),
        )

    def _wanted_edge(self) -> int:
        ratio = self.devicePixelRatioF() or 1.0
        size = self.image.size()
        return int(min(2400, max(800, max(size.width(), size.height()) * ratio)))

    def _rendered(self, generation: int, image: QImage) -> None:
        if generation == self._generation and not image.isNull():
            self._set_pixmap(QPixmap.fromImage(image))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        if isinstance(exc, UserError):
            self.image.setPixmap(QPixmap())
            self.image.setText(str(exc))
        else:
            raise exc

    def _set_pixmap(self, pixmap: QPixmap) -> None:
        self._pixmap = pixmap
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        self.image.setPixmap(
            self._pixmap.scaled(
                self.image.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    # --- rotation ---------------------------------------------------------------------------

    def rotate(self, quarter: int) -> None:
        if self.library.read_only:
            return
        library, photo_id = self.library, self.current_id()

        def op(_progress: Progress) -> None:
            # Read on the writer too: two quick presses add up, even behind an import.
            info = photos.photo_info(library, photo_id)
            photos.set_rotation(library, photo_id, (info.rotation + quarter) % 360)

        def done(_result: None) -> None:
            self.rotated.emit(photo_id)
            if self.isVisible() and self.current_id() == photo_id:
                self.show_row(self.row)

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, UserError):
                self.image.setText(str(exc))
                return True
            return False

        self.writer.submit(_("Rotate the photo"), op, on_done=done, on_error=failed)
