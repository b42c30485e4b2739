"""The main window opens on a library, switches sections and filters the list."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QKeySequence

from desktop_app.storage.library import Library
from desktop_app.ui.main_window import MainWindow


def test_window_shows_sections_and_filters(demo_library: Library, qtbot: Any) -> None:
    window = MainWindow(demo_library)
    qtbot.addWidget(window)
    window.show()
    window.sidebar.setCurrentRow(0)
    assert window.current_model().rowCount() == 5
    # Offscreen windows never become active, so fire the shortcut's action directly.
    (switch,) = [a for a in window.actions() if a.shortcut() == QKeySequence("Ctrl+3")]
    switch.trigger()
    assert window.current_kind == "guide"
    window.search_box.setText("修剪")
    qtbot.waitUntil(lambda: window.current_model().rowCount() == 3)
    assert "3" in window.count_label.text()
    assert str(demo_library.root) in window.library_label.text()
