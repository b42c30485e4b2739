"""A second start on a library that already has a window brings that window forward instead of
saying the library is locked (a local socket named after the library's path)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop_app import app as app_module
from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner


def test_keys_follow_the_library_path(tmp_path: Path) -> None:
    a = app_module.instance_key(tmp_path / "a")
    assert a == app_module.instance_key(tmp_path / "a")
    assert a != app_module.instance_key(tmp_path / "b")
    assert len(a) < 40  # short enough for a socket path on every system


@pytest.mark.timeout(60)
def test_second_start_raises_the_open_window_instead_of_an_error(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(window)
    window.show()
    server = app_module.InstanceServer(demo_library.root)
    try:
        raised: list[Any] = []
        monkeypatch.setattr(app_module, "raise_window", raised.append)
        errors: list[str] = []
        monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: errors.append(text))
        monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui replaces it

        # The library is locked by this window: a second start says nothing and exits 0 ...
        assert app_module.run_gui(str(demo_library.root), "en") == 0
        assert errors == []
        # ... and the window comes forward.
        qtbot.waitUntil(lambda: raised == [window])
        # Another library is not this window's business.
        assert not app_module.bring_forward_running(tmp_path / "other", timeout_ms=200)
    finally:
        server.server.close()
