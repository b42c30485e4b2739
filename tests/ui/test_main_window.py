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


def test_forms_are_built_when_first_needed_and_the_orm_warms_up_after_paint(
    demo_library: Library, qtbot: Any
) -> None:
    window = MainWindow(demo_library)
    qtbot.addWidget(window)
    built: list[str] = []
    window.when_form_built("guide", lambda form: built.append(form.kind))
    assert not any(window.forms.is_built(kind) for kind in window.forms)
    assert window.warm_up_thread is None  # nothing in the background before the first paint
    window.show()
    qtbot.waitUntil(lambda: window.warm_up_thread is not None)
    assert window.warm_up_thread is not None
    window.warm_up_thread.join(30)
    assert not window.warm_up_thread.is_alive()

    window.sidebar.setCurrentRow(2)
    assert not window.forms.is_built("guide")  # a list without a selection needs no form
    window.current_table().selectRow(0)
    assert window.forms.is_built("guide")
    assert window.shown_form() is window.forms["guide"]
    assert window.shown_form().record_id() == window.current_selection()[1][0]  # type: ignore[union-attr]
    assert built == ["guide"]
    # A hook added later still sees a form that is already built.
    window.when_form_built("guide", lambda form: built.append("late"))
    assert built == ["guide", "late"]
    assert not window.forms.is_built("team")
