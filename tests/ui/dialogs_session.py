"""Run by test_dialogs_clipping.py in a fresh interpreter on a real X server (xvfb-run, a
1366×768 screen): every dialog a user opens from the window, in Chinese, at the largest text
size (18 pt), then again in high contrast, checked for clipped text (tests/ui/clipping.py)
and for fitting on the screen. Prints one JSON line: the dialogs seen and the problems found.

Each dialog is opened the way the user opens it (its menu action, a form's "Add…" button),
so a modal one blocks in `exec()` meanwhile: a timer finds the new window, waits for it to
lay out, looks at it and closes it. The library gets what the dialogs need first: a conflict
(a team changed here and on another laptop), a pack to import, a guide with two versions, a
session with a photo. The file choosers (Qt's own dialog, sized by ui/file_dialogs.py, as on
a desktop that has none of its own) are opened from their buttons too and looked at alike.

`python -m tests.ui.dialogs_session LIBRARY_DIR WORK_DIR [SHOTS_DIR]` also saves a screenshot
of each dialog into SHOTS_DIR.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QListView,
    QMenu,
    QProgressDialog,
    QTreeView,
    QWidget,
)

from desktop_app.app import create_application, install_qt_translations, set_qt_locale
from desktop_app.core.i18n import set_language
from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library
from desktop_app.ui import appearance
from tests.ui.appearance_session import save_small_png
from tests.ui.clipping import clipped_texts

SHOWN_MS = 400  # what a dialog gets to lay out (and load its lists) before it is looked at


def prepare(library_dir: Path, work: Path) -> dict[str, str]:
    """Give the library what the dialogs show; returns ids and paths the openers need."""
    from desktop_app.services import catalog, listing, packs, photos

    library = Library.open(library_dir, write=True)
    other = Library.create(work / "other", name="李师傅的电脑")
    try:
        team = next(r for r in listing.list_rows(library, "team"))
        tid = str(team["id"])
        packs.import_pack(other, packs.export_pack(library, work / "a.jxpack").path)
        for lib, text in ((library, "本机的介绍"), (other, "对方的介绍")):
            data = catalog.load_team(lib, tid)
            data.description = text
            catalog.save_team(lib, data, tid)
        pack = packs.export_pack(other, work / "b.jxpack").path
        packs.import_pack(library, pack)
        guide = str(next(r for r in listing.list_rows(library, "guide"))["id"])
        data = catalog.load_guide(library, guide)
        data.season = data.season + "（修订）"
        catalog.save_guide(library, data, guide)
        session = str(next(r for r in listing.list_rows(library, "session"))["id"])
        pictures = sorted(Path("../shared/testdata/photos").glob("*.jp*g"))[:1]
        if not pictures:
            pictures = sorted(Path("/work/shared/testdata/photos").glob("*.jp*g"))[:1]
        photos.import_photos(library, pictures, photos.ImportTarget(session_id=session))
    finally:
        other.close()
        library.close()
    return {"team": tid, "guide": guide, "session": session, "pack": str(pack)}


def file_list_problems(dialog: QFileDialog) -> list[str]:
    """Cells of Qt's own file dialog cut off: its file list's columns (name, size, type,
    date) and its side panel of places are item views, which clipped_texts does not read."""
    problems = []
    metrics = dialog.fontMetrics()
    files = dialog.findChild(QTreeView, "treeView")
    if files is not None and files.isVisible():
        model, root, header = files.model(), files.rootIndex(), files.header()
        for row in range(min(model.rowCount(root), 30)):
            for column in range(model.columnCount(root)):
                if header.isSectionHidden(column):
                    continue
                text = str(model.index(row, column, root).data() or "")
                needed = metrics.horizontalAdvance(text) + 8
                if column == 0:
                    needed += files.iconSize().width() + 8
                if needed > header.sectionSize(column):
                    problems.append(
                        f"file list “{text}” needs {needed}px, has {header.sectionSize(column)}"
                    )
    look_in = dialog.findChild(QComboBox, "lookInCombo")
    if look_in is not None and look_in.isVisible():
        folder = Path(dialog.directory().absolutePath())
        shown = f"{folder.anchor}…{folder.name}"  # the least Qt's middle shortening keeps
        room = look_in.width() - look_in.iconSize().width() - 40  # frame, arrow, margins
        needed = metrics.horizontalAdvance(shown)
        if needed > room:
            problems.append(f"look in “{shown}” needs {needed}px, has {room}")
    places = dialog.findChild(QListView, "sidebar")
    if places is not None and places.isVisible():
        room = places.viewport().width()
        for row in range(places.model().rowCount()):
            text = str(places.model().index(row, 0).data() or "")
            needed = metrics.horizontalAdvance(text) + places.iconSize().width() + 12
            if needed > room:
                problems.append(f"places “{text}” needs {needed}px, has {room}")
    return problems


class Looker:
    """Finds each new window while an opener runs, looks at it, and closes it."""

    def __init__(self, main: QWidget, step: str, shots: Path | None) -> None:
        self.main = main
        self.step = step
        self.shots = shots
        self.seen: list[str] = []
        self.problems: list[str] = []
        self.known: set[int] = set()
        self.name = ""
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._poll)
        # A window nobody expected (a question, a second dialog) would block for ever.
        self.watchdog = QTimer()
        self.watchdog.setSingleShot(True)
        self.watchdog.setInterval(15000)
        self.watchdog.timeout.connect(self._stuck)

    def _stuck(self) -> None:
        stuck = QApplication.activeModalWidget()
        names = [f"{type(w).__name__}({w.windowTitle()})" for w in self._windows()]
        self.problems.append(f"{self.step}/{self.name}: stuck with {names}")
        self.name = ""
        if isinstance(stuck, QDialog):
            stuck.reject()
        elif stuck is not None:
            stuck.close()

    def _windows(self) -> list[QWidget]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if w.isVisible()
            and w is not self.main
            and not isinstance(w, (QMenu, QProgressDialog))  # a check before the dialog
        ]

    def open(self, name: str, opener: Callable[[], Any]) -> None:
        print(f"{self.step}/{name}", file=sys.stderr, flush=True)
        self.name = name
        self.known = {id(w) for w in self._windows()}
        self.timer.start()
        self.watchdog.start()
        opener()  # a modal dialog blocks here until `_look` closes it
        self.watchdog.stop()
        deadline = 40
        while self.name and deadline:  # a dialog opened with show() or open()
            QTest.qWait(100)
            deadline -= 1
        self.timer.stop()
        if self.name:
            self.problems.append(f"{self.step}/{name}: no window opened")
            self.name = ""

    def _poll(self) -> None:
        new = [w for w in self._windows() if id(w) not in self.known]
        if not new or not self.name:
            return
        self.timer.stop()
        widget = new[-1]
        QTimer.singleShot(SHOWN_MS, lambda: self._look(widget))

    def _look(self, widget: QWidget) -> None:
        name, self.name = self.name, ""
        self.seen.append(name)
        screen = QRect(0, 0, 1366, 768)
        frame = widget.frameGeometry()
        if not screen.contains(frame):
            self.problems.append(f"{self.step}/{name}: window {frame} is off the 1366×768 screen")
        problems = clipped_texts(widget)
        if isinstance(widget, QFileDialog):
            # Qt's "Look in" box shortens a long path in its middle by itself (both ends stay
            # readable): file_list_problems checks the part that matters, the folder's name.
            problems = [p for p in problems if "QComboBox(lookInCombo)" not in p]
            problems += file_list_problems(widget)
        self.problems += [f"{self.step}/{name}: {p}" for p in problems]
        if self.shots is not None:
            save_small_png(widget.grab(), self.shots / f"dialog-{self.step}-{name}.png")
        if isinstance(widget, QDialog):
            widget.reject()
        else:
            widget.close()


def main(library_dir: str, work_dir: str, shots_dir: str | None) -> dict[str, Any]:
    work = Path(work_dir)
    ids = prepare(Path(library_dir), work)
    settings = Settings()
    settings.set(appearance.TEXT_SIZE_KEY, appearance.TEXT_SIZES[-1])
    set_language("zh_CN")
    set_qt_locale("zh_CN")
    app = create_application()
    install_qt_translations(app, "zh_CN")
    appearance.apply_saved(settings)
    from desktop_app.ui import file_dialogs, pack_actions
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.restore_actions import RestoreDialog

    # The file choosers are looked at on their own (the *_chooser steps); where one comes
    # before a dialog, it answers at once, so that what comes after it is looked at.
    choose_pack = pack_actions.PackActions.ask_open_pack
    choose_folder = file_dialogs.existing_folder
    pack_actions.PackActions.ask_open_pack = lambda self: Path(ids["pack"])  # type: ignore[method-assign]

    def folder_given(opener: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            file_dialogs.existing_folder = lambda *_a, **_k: str(work)
            try:
                return opener()
            finally:
                file_dialogs.existing_folder = choose_folder

        return run

    def restore_dialog() -> RestoreDialog:
        # Never shown (only its choosers are); the window owns it and takes it along.
        return RestoreDialog(window, start_dir=work, library_parent=work)

    library = Library.open(Path(library_dir), write=True)
    window = MainWindow(library, settings=settings)
    window.resize(1366, 768)
    window.move(0, 0)
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowActive(window, 5000)
    QTest.qWait(300)
    actions = {a.objectName(): a for a in window.findChildren(QAction) if a.objectName()}
    shots = Path(shots_dir) if shots_dir else None
    out: dict[str, Any] = {"font": QApplication.font().pointSize(), "seen": {}, "problems": []}

    def select(kind: str, record_id: str) -> None:
        window.select_record(kind, record_id)
        QTest.qWait(100)

    def trigger(name: str) -> Callable[[], None]:
        return lambda: actions[name].trigger()

    def form(kind: str) -> Any:
        return window.forms[kind]

    guide, session = ("guide", ids["guide"]), ("session", ids["session"])
    nothing: tuple[str, str] | None = None
    openers: list[tuple[str, tuple[str, str] | None, Callable[[], Any]]] = [
        ("connect_hub", nothing, trigger("hub_connect")),
        ("conflicts", nothing, trigger("conflicts")),
        ("history", guide, trigger("record_history")),
        ("restore_backup", nothing, trigger("restore_backup")),
        ("export_photos", session, folder_given(trigger("export_photos_action"))),
        ("handout_options", guide, trigger("handout_export")),
        ("booklet_options", guide, trigger("handout_booklet")),
        ("signin_options", session, trigger("handout_signin")),
        ("returned_sheets", session, trigger("handout_returned")),
        ("organisation_name", nothing, trigger("handout_organisation")),
        ("import_preview", nothing, trigger("pack_import")),
        ("export_pack", guide, trigger("pack_export")),
        ("search", nothing, trigger("search_everything_action")),
        ("pick_members", ("team", ids["team"]), lambda: form("team")._pick_members()),
        ("pick_authors", guide, lambda: form("guide")._pick_authors()),
        ("statistics", nothing, trigger("report_stats")),
        ("news", session, trigger("report_news")),
        ("add_photos", session, lambda: form("session").photo_grid.choose_files()),
        ("help", nothing, trigger("help_guide")),
        ("shortcuts", nothing, trigger("help_shortcuts")),
        ("pack_chooser", nothing, lambda: choose_pack(window.pack_actions)),
        ("backup_chooser", nothing, lambda: window.pack_actions.ask_backup_target()),
        ("restore_chooser", nothing, lambda: restore_dialog()._choose_source()),
        ("folder_chooser", nothing, lambda: restore_dialog()._choose_target()),
    ]
    for step, contrast in (("18pt", False), ("18pt-contrast", True)):
        appearance.apply(appearance.TEXT_SIZES[-1], contrast)
        QTest.qWait(200)
        looker = Looker(window, step, shots)
        for name, record, opener in openers:
            if record is not None:
                select(*record)
            looker.open(name, opener)
        out["seen"][step] = looker.seen
        out["problems"] += looker.problems
    window.close()
    library.close()
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(args[0], args[1], args[2] if len(args) > 2 else None)))
