"""Papercuts of issue 17, each reproduced before it was fixed: the photo preview's keys, the
Help menu's guide and shortcut list, scroll positions, filters, pickers and clipped texts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from desktop_app.core.settings import Settings
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui.help_window import PAGES, help_dir
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.photo_preview import PhotoPreviewDialog
from desktop_app.ui.workers import SynchronousRunner
from tests.fresh_python import run_json
from tests.services.photo_fixtures import new_session


@pytest.fixture
def three_photos(empty_library: Library, testdata: Path) -> tuple[Library, list[str]]:
    session_id = new_session(empty_library)
    files = [testdata / "landscape_1.jpg", testdata / "canon_hdr_NO.jpg", testdata / "arrow.heic"]
    results = photos.import_photos(empty_library, files, photos.ImportTarget(session_id=session_id))
    return empty_library, [r.photo_id or "" for r in results]


def test_preview_arrows_work_while_a_button_has_focus(
    qtbot: Any, three_photos: tuple[Library, list[str]]
) -> None:
    library, ids = three_photos
    dialog = PhotoPreviewDialog(library, ids, 1, runner=SynchronousRunner())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    dialog.next_button.setFocus()
    qtbot.keyClick(dialog.next_button, Qt.Key.Key_Left)
    assert dialog.counter.text() == "1 of 3"
    dialog.right_button.setFocus()
    qtbot.keyClick(dialog.right_button, Qt.Key.Key_Right)
    assert dialog.counter.text() == "2 of 3"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (make test has it)")
def test_no_window_shortcut_is_taken_by_text_fields_on_x11(demo_dir: Path, tmp_path: Path) -> None:
    swallowed = run_json(
        ["-m", "tests.ui.shortcut_clash_session", str(demo_dir)],
        {"QT_QPA_PLATFORM": "xcb", "JIANGXIN_CONFIG_DIR": str(tmp_path / "config")},
        drop_env=["QT_QPA_PLATFORM", "DISPLAY"],
        launcher=["xvfb-run", "-a"],
    )
    assert swallowed == {}


# --- Help ------------------------------------------------------------------------------------


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    return w


def test_help_lists_every_shortcut_from_the_actions(window: MainWindow, qtbot: Any) -> None:
    names = [a.objectName() for a in window.menus["help"].actions()]
    assert names.index("help_guide") < names.index("help_shortcuts")
    window.shortcuts_action.trigger()
    dialog = window.shortcuts_dialog
    qtbot.addWidget(dialog)
    listed = {keys for _what, keys in dialog.rows}
    listed_keys = {k for keys in listed for k in keys.split(" / ")}
    wanted = {
        s.toString(QKeySequence.SequenceFormat.NativeText)
        for a in window.findChildren(QAction)
        for s in a.shortcuts()
        if not s.isEmpty()
    }
    assert wanted <= listed_keys
    # An action a feature module adds later is listed the next time: nothing is hard-coded.
    extra = QAction("Brand new command", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.addAction(extra)
    window.shortcuts_action.trigger()
    assert ("Brand new command", "Ctrl+Alt+J") in window.shortcuts_dialog.rows
    texts = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "Export PDF" in texts and "Go to Skill guides" in texts
    assert any(t.startswith("Photo preview: ") for t in texts)
    window.shortcuts_dialog.close()


def test_user_guide_pages_open_offline_with_their_pictures(window: MainWindow, qtbot: Any) -> None:
    window.guide_action.trigger()
    guide = window.help_window
    qtbot.addWidget(guide)
    assert guide.pages.count() == len(PAGES) >= 5
    for row, (name, _title) in enumerate(PAGES):
        guide.pages.setCurrentRow(row)
        assert Path(guide.browser.source().toLocalFile()).name == name
        html = (help_dir() / name).read_text(encoding="utf-8")
        assert "http" not in html  # no network: nothing to fetch
        for image in re.findall(r'src="([^"]+)"', html):
            assert (help_dir() / image).is_file(), image
            assert (help_dir() / image).stat().st_size < 80_000  # small PNGs
    # Links between the pages are followed inside the window.
    guide.browser.anchorClicked.emit(QUrl("backups.html"))
    assert guide.pages.currentRow() == [n for n, _t in PAGES].index("backups.html")
    guide.close()
