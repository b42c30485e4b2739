"""Help → "User guide" and "Keyboard shortcuts", both offline.

The guide is a few HTML pages with screenshots in `resources/help/<language>/` (Chinese is the
one written; other languages fall back to it), shown in a `QTextBrowser` that follows links
between the pages and never goes to the network. `PAGES` is its table of contents.

The shortcut list is built from the window's actions each time it is opened, so it lists
exactly the keys that work (feature modules included) and never goes stale. Keys that belong
to a dialog of their own (the photo preview) are declared next to that dialog
(`photo_preview.SHORTCUTS`) and listed after them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import paths
from desktop_app.core.i18n import N_, _, current_language
from desktop_app.ui import text_fit

# (file name, title): the guide's pages in reading order.
PAGES: list[tuple[str, str]] = [
    ("index.html", N_("First steps")),
    ("sessions.html", N_("Logging a session with photos")),
    ("handouts.html", N_("Printing handouts")),
    ("packs.html", N_("Sharing with knowledge packs")),
    ("backups.html", N_("Backups")),
]
GUIDE_LANGUAGE = "zh_CN"  # the language the guide is written in


def help_dir() -> Path:
    """The guide's folder for the UI language, or the Chinese one."""
    base = paths.resources_dir() / "help"
    own = base / current_language()
    return own if (own / PAGES[0][0]).is_file() else base / GUIDE_LANGUAGE


class OfflineBrowser(QTextBrowser):
    """Follows links between the guide's pages; anything else (http…) is not loaded."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.setOpenLinks(False)
        self.setSearchPaths([str(folder)])
        self.anchorClicked.connect(self._follow)

    def _follow(self, url: QUrl) -> None:
        if url.scheme() in ("", "file"):
            name = Path(url.path()).name
            if (self.folder / name).is_file():
                self.setSource(QUrl.fromLocalFile(str(self.folder / name)))


class HelpWindow(QDialog):
    """The user guide: its pages on the left, the page on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("User guide"))
        self.resize(1000, 680)
        self.folder = help_dir()
        self.pages = QListWidget()
        self.pages.setObjectName("help_pages")
        for _file, title in PAGES:
            self.pages.addItem(_(title))
        text_fit.fit_list_width(self.pages, fixed=True)  # the page titles whole, at any size
        self.browser = OfflineBrowser(self.folder)
        self.browser.setObjectName("help_browser")
        self.browser.sourceChanged.connect(self._source_changed)
        self.pages.currentRowChanged.connect(self.show_page)
        row = QHBoxLayout()
        row.addWidget(self.pages)
        row.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.pages.setCurrentRow(0)

    def show_page(self, row: int) -> None:
        if 0 <= row < len(PAGES):
            path = self.folder / PAGES[row][0]
            if self.browser.source().toLocalFile() != str(path):
                self.browser.setSource(QUrl.fromLocalFile(str(path)))

    def _source_changed(self, url: QUrl) -> None:
        names = [name for name, _title in PAGES]
        name = Path(url.toLocalFile()).name
        if name in names:
            self.pages.blockSignals(True)
            self.pages.setCurrentRow(names.index(name))
            self.pages.blockSignals(False)


def action_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(what, keys) for every action of the window that has a shortcut, in menu order first."""
    seen: set[int] = set()
    ordered: list[QAction] = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()  # typed as a QObject (Qt 6 made it a template)
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            ordered.append(action)
            sub = action.menu()
            if isinstance(sub, QMenu):
                ordered.extend(sub.actions())
    ordered.extend(window.findChildren(QAction))
    rows: list[tuple[str, str]] = []
    for action in ordered:
        if id(action) in seen:
            continue
        seen.add(id(action))
        keys = [
            k.toString(QKeySequence.SequenceFormat.NativeText)
            for k in action.shortcuts()
            if not k.isEmpty()
        ]
        text = action.text().replace("&", "").rstrip("…").strip()
        if keys and text:
            rows.append((text, " / ".join(keys)))
    return rows


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window, from its actions."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        from desktop_app.ui.photo_preview import SHORTCUTS as PREVIEW_KEYS

        self.setWindowTitle(_("Keyboard shortcuts"))
        self.resize(560, 620)
        rows = action_shortcuts(window)
        preview = _("Photo preview: {what}")
        rows += [(preview.format(what=_(what)), keys) for keys, what in PREVIEW_KEYS]
        self.table = QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcuts")
        self.table.setHorizontalHeaderLabels([_("Command"), _("Keys")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for r, (what, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(what))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        self.rows = rows
        note = QLabel(
            _(
                "In a text field, Ctrl+Z and Ctrl+Shift+Z undo and redo the typing; "
                "elsewhere they undo and redo saved changes."
            )
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
