"""Every file and folder chooser of the window, in a dialog that is readable at large text sizes.

Where the desktop has no file dialog of its own for Qt to use (many Linux desktops, and
always under Xvfb), Qt draws one, at a fixed size: at 18 pt its columns, its folder box and
its "Files of type" box (ten patterns behind "Photos") were cut off. Here the dialog is sized
from the font (and the screen), and the filter says just "Photos": the patterns still filter.
A desktop's own dialog ignores both and looks as it always does.

The UI asks through these functions only, never through QFileDialog's static getters (which
build Qt's fixed-size dialog): `open_files` / `open_file` for existing files, `save_file` for a
file to write, `existing_folder` for a folder. Each returns "" (or []) when cancelled.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime
from PySide6.QtWidgets import QFileDialog, QHeaderView, QListView, QSplitter, QTreeView, QWidget
from shiboken6 import isValid

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
    _fit_columns(dialog, em=metrics.horizontalAdvance("中"))


def _fit_columns(dialog: QFileDialog, *, em: int) -> None:
    """Qt's own dialog keeps its list's columns and its side panel at pixel widths made for
    a small font: at 18 pt the type and date of each file and the places on the left were
    shown as "F…r", "1…:05" and "roo". They are sized from the font here, the name taking
    what is left."""
    metrics = dialog.fontMetrics()
    pad = em  # the cell's margins
    files = dialog.findChild(QTreeView, "treeView")
    if files is not None:
        late = QDateTime(QDate(2026, 12, 28), QTime(23, 59))
        dates = [
            locale.toString(late, QLocale.FormatType.ShortFormat)
            for locale in (QLocale(), QLocale.system())
        ]
        widths = {
            1: metrics.horizontalAdvance("1023.9 KB"),  # size
            2: 8 * em,  # type: "文件夹", "jxpack 文件", "jpg File"
            3: max(metrics.horizontalAdvance(text) for text in dates),  # date modified
        }
        header = files.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in widths.items():
            header.resizeSection(column, width + pad)
    places = dialog.findChild(QListView, "sidebar")
    split = dialog.findChild(QSplitter, "splitter")
    if places is not None and split is not None and split.count() == 2:
        texts = [str(places.model().index(row, 0).data() or "") for row in range(5)]
        side = max([8 * em] + [metrics.horizontalAdvance(text) for text in texts])
        side += places.iconSize().width() + 2 * pad
        split.setSizes([side, max(dialog.width() - side, side)])


def _run(dialog: QFileDialog) -> list[str]:
    """Show the dialog sized for the font; the chosen paths, or [] when cancelled."""
    dialog.setOption(QFileDialog.Option.HideNameFilterDetails, True)
    _fit(dialog)
    answer = dialog.exec()
    if not isValid(dialog):  # its parent window was closed meanwhile, and took it along
        return []
    chosen = list(dialog.selectedFiles()) if answer == QFileDialog.DialogCode.Accepted else []
    dialog.deleteLater()
    return chosen


def open_files(
    parent: QWidget | None, title: str, name_filter: str, *, many: bool = True, directory: str = ""
) -> list[str]:
    """The files the user picked (one at most unless `many`); an empty list when cancelled."""
    dialog = QFileDialog(parent, title, directory, name_filter)
    dialog.setFileMode(
        QFileDialog.FileMode.ExistingFiles if many else QFileDialog.FileMode.ExistingFile
    )
    return _run(dialog)


def open_file(parent: QWidget | None, title: str, name_filter: str, directory: str = "") -> str:
    """One existing file, or "" when cancelled."""
    chosen = open_files(parent, title, name_filter, many=False, directory=directory)
    return chosen[0] if chosen else ""


def save_file(parent: QWidget | None, title: str, proposed: str, name_filter: str) -> str:
    """The file to write, starting at `proposed` (a folder, or a path whose name is offered);
    "" when cancelled. A name typed without a suffix gets the proposed one; an existing file
    is only chosen after the dialog asked whether to replace it."""
    dialog = QFileDialog(parent, title, "", name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    if proposed:
        path = Path(proposed)
        if path.is_dir():
            dialog.setDirectory(str(path))
        else:
            dialog.setDirectory(str(path.parent))
            dialog.selectFile(path.name)
            if path.suffix:
                dialog.setDefaultSuffix(path.suffix.lstrip("."))
    chosen = _run(dialog)
    return chosen[0] if chosen else ""


def existing_folder(parent: QWidget | None, title: str, directory: str = "") -> str:
    """An existing folder, or "" when cancelled."""
    dialog = QFileDialog(parent, title, directory)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    chosen = _run(dialog)
    return chosen[0] if chosen else ""
