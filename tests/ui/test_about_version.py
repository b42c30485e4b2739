"""Help → About shows the version from pyproject.toml, the one source of truth."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.storage.library import Library
from desktop_app.ui.main_window import MainWindow

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_about_shows_the_pyproject_version(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    match = re.search(r'^version\s*=\s*"([^"]+)"', PYPROJECT.read_text("utf-8"), re.M)
    assert match
    shown: list[str] = []
    # QMessageBox.about is modal; capture what it would show instead of blocking.
    monkeypatch.setattr(QMessageBox, "about", lambda _parent, _title, text: shown.append(text))
    window = MainWindow(demo_library)
    qtbot.addWidget(window)
    window.about_action.trigger()
    assert len(shown) == 1
    assert f"Version {match.group(1)}" in shown[0]


def test_about_is_in_the_help_menu(demo_library: Library, qtbot: Any) -> None:
    window = MainWindow(demo_library)
    qtbot.addWidget(window)
    help_menu: QWidget = window.menus["help"]
    assert window.about_action in help_menu.actions()
