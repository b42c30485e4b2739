"""Choosing photo files, in a file dialog that is readable at large text sizes.

Where the desktop has no file dialog of its own for Qt to use (many Linux desktops, and
always under Xvfb), Qt draws one, at a fixed size: at 18 pt its columns, its folder box and
its "Files of type" box (ten patterns behind "Photos") were cut off. Here the dialog is sized
from the font (and the screen), and the filter says just "Photos": the patterns still filter.
A desktop's own dialog ignores both and looks as it always does.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget

WIDTH_EMS = 52  # a file list with name, size, type and date readable side by side
HEIGHT_LINES = 24


def _fit(dialog: QFileDialog) -> None:
    metrics = dialog.fontMetrics()
    width = WIDTH_EMS * metrics.horizontalAdvance("中")
    height = HEIGHT_LINES * metrics.height()
    screen = dialog.screen()
    if screen is not None:
        room = screen.availableGeometry()
        width = min(width, int(room.width() * 0.9))
        height = min(height, int(room.height() * 0.9))
    dialog.resize(max(dialog.width(), width), max(dialog.height(), height))


def open_files(
    parent: QWidget | None, title: str, name_filter: str, *, many: bool = True, directory: str = ""
) -> list[str]:
    """The files the user picked (one at most unless `many`); an empty list when cancelled."""
    dialog = QFileDialog(parent, title, directory, name_filter)
    dialog.setFileMode(
        QFileDialog.FileMode.ExistingFiles if many else QFileDialog.FileMode.ExistingFile
    )
    dialog.setOption(QFileDialog.Option.HideNameFilterDetails, True)
    _fit(dialog)
    try:
        if dialog.exec() != QFileDialog.DialogCode.Accepted:
            return []
        return list(dialog.selectedFiles())
    finally:
        dialog.deleteLater()
