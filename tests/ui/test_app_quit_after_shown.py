"""JIANGXIN_QUIT_AFTER_SHOWN: the built program's smoke test opens the real window through
run_gui (fonts, translations, library, main window) and needs it to close by itself."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from desktop_app import app as app_module
from desktop_app.storage.library import Library
from desktop_app.ui import first_paint


@pytest.mark.timeout(60)
def test_window_closes_after_first_paint_and_saves_a_screenshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: Any
) -> None:
    shot = tmp_path / "window.png"
    library_dir = tmp_path / "library"
    monkeypatch.setenv(app_module.QUIT_AFTER_SHOWN_ENV, str(shot))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui replaces it; restore after

    # If the window never closed, app.exec() would block the whole run: a safety timer ends
    # the event loop instead, and the test fails.
    safety = QTimer()
    safety.setSingleShot(True)
    safety.setInterval(30_000)
    safety.timeout.connect(qapp.quit)
    safety.start()
    try:
        assert app_module.run_gui(str(library_dir), "en") == 0
        assert safety.isActive(), "the window did not close by itself"
    finally:
        safety.stop()

    assert shot.stat().st_size > 5000  # a real picture of the window, not an empty grab
    # Closed cleanly: the library (created with the demo on first run) is released.
    with Library.open(library_dir, write=True) as library:
        assert library.name


def test_without_the_variable_nothing_is_installed(
    monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QWidget

    monkeypatch.delenv(app_module.QUIT_AFTER_SHOWN_ENV, raising=False)
    widget = QWidget()
    qtbot.addWidget(widget)
    app_module.quit_after_shown(widget)
    assert not widget.findChildren(first_paint._FirstPaint)
