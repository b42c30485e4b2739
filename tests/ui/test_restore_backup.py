"""File → Restore backup…: a backup unpacked into a new folder, refusals in one sentence, and
the window switched to the restored library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.core.settings import Settings
from desktop_app.services import backup, listing
from desktop_app.storage.library import Library
from desktop_app.ui import restore_actions as ra
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner


def make_window(library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    return w


def test_restore_sits_beside_back_up(demo_library: Library, qtbot: Any) -> None:
    window = make_window(demo_library, qtbot)
    names = [a.objectName() for a in window.menus["file"].actions()]
    assert names.index("restore_backup") == names.index("backup") + 1


def test_restore_into_a_new_folder_and_open_it(
    demo_library: Library, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    zip_path = backup.create_backup(demo_library, tmp_path / "b.zip").path
    window = make_window(demo_library, qtbot)
    target = tmp_path / "restored"
    monkeypatch.setattr(ra.RestoreActions, "ask_restore", lambda self: (zip_path, target))
    monkeypatch.setattr(ra.RestoreActions, "ask_open", lambda self, path: True)
    window.restore_actions.action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20000)
    (switched,) = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, MainWindow) and w.isVisible() and w is not window
    ]
    qtbot.addWidget(switched)
    assert switched.library.root == target.absolute()
    assert len(listing.list_rows(switched.library, "team")) == len(
        listing.list_rows(demo_library, "team")
    )
    # The old library is closed (its lock is free): it can be opened again.
    Library.open(demo_library.root, write=True).close()
    switched.close()
    # The new window closed its own library: the restored one is free too.
    Library.open(target, write=True).close()


def test_restore_refused_in_one_sentence_and_nothing_left(
    demo_library: Library, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "not-a-backup.zip"
    bogus.write_bytes(b"this is not a zip")
    window = make_window(demo_library, qtbot)
    target = tmp_path / "restored"
    shown: list[str] = []
    monkeypatch.setattr(ra.RestoreActions, "ask_restore", lambda self: (bogus, target))
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _parent, _title, text, *a: shown.append(text)
    )
    window.restore_actions.action.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert len(shown) == 1 and "\n" not in shown[0] and "Traceback" not in shown[0]
    assert not target.exists()
    assert window.isVisible() and window.library is demo_library


def test_dialog_proposes_a_new_folder_named_after_the_backup(tmp_path: Path, qtbot: Any) -> None:
    (tmp_path / "b").mkdir()
    dialog = ra.RestoreDialog(None, start_dir=tmp_path, library_parent=tmp_path)
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled()
    dialog.set_source(tmp_path / "b.zip")
    assert dialog.chosen() == (tmp_path / "b.zip", tmp_path / "b-2")
    assert dialog.ok.isEnabled()
