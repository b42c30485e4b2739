"""Switching the interface language: the window speaks it, and the choice is remembered."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.i18n import set_language
from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner


def _sidebar(window: MainWindow) -> list[str]:
    return [window.sidebar.item(i).text() for i in range(window.sidebar.count())]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh_CN", ["服务队", "劳模工匠", "技能指南", "现场活动"]),
        ("en", ["Service teams", "Model workers", "Skill guides", "Field sessions"]),
    ],
)
def test_window_speaks_the_chosen_language(
    demo_library: Library, qtbot: Any, lang: str, expected: list[str]
) -> None:
    set_language(lang)
    window = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(window)
    assert _sidebar(window) == expected
    assert window.language_actions[lang].isChecked()


def test_choosing_a_language_is_remembered(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args[2]))
    window = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(window)
    window.language_actions["zh_CN"].trigger()
    assert Settings().get("language") == "zh_CN"
    assert shown and "重新启动" in shown[0]  # said in the language chosen
