"""The global search panel: grouped, ranked, highlighted results that open their record."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QTreeWidgetItem

from desktop_app.services import search
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Photo, SessionPhoto
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.search_panel import HitRole, HtmlRole, SearchPanel
from desktop_app.ui.workers import SynchronousRunner


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> MainWindow:
    win = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(win)
    win.show()
    return win


def panel_of(window: MainWindow) -> SearchPanel:
    panel = window.search_panel  # type: ignore[attr-defined]
    assert isinstance(panel, SearchPanel)
    return panel


def groups(panel: SearchPanel) -> dict[str, list[QTreeWidgetItem]]:
    out: dict[str, list[QTreeWidgetItem]] = {}
    for i in range(panel.results.topLevelItemCount()):
        header = panel.results.topLevelItem(i)
        out[header.text(0)] = [header.child(j) for j in range(header.childCount())]
    return out


def test_shortcut_opens_grouped_highlighted_results(window: MainWindow) -> None:
    action = window.search_everything_action  # type: ignore[attr-defined]
    assert action.shortcut().toString() == "Ctrl+Shift+F"
    assert action in window.menus["edit"].actions()
    window.search_box.setText("修剪")
    action.trigger()
    panel = panel_of(window)
    assert panel.isVisible()
    assert panel.query_box.text() == "修剪"
    found = groups(panel)
    assert list(found) == ["Model workers (1)", "Skill guides (3)", "Field sessions (1)"]
    guide_html = [str(item.data(0, HtmlRole)) for item in found["Skill guides (3)"]]
    assert all("<span style=" in h and "修剪</span>" in h for h in guide_html)
    # The first hit is current, so ↓ and Enter open it at once.
    assert panel.results.currentItem() is found["Model workers (1)"][0]


def test_enter_in_the_toolbar_box_searches_everything(window: MainWindow) -> None:
    window.search_box.setText("天牛")
    window.search_box.returnPressed.emit()
    panel = panel_of(window)
    assert panel.isVisible()
    assert [h.kind for h in panel.hits] == ["guide", "session"]
    assert "2 matches" in panel.status.text()


def test_enter_opens_the_record_in_the_window(window: MainWindow) -> None:
    panel = panel_of(window)
    panel.search_for("肿腿蜂 天牛")
    guide_item = groups(panel)["Skill guides (1)"][0]
    panel.results.setCurrentItem(guide_item)
    panel.results.itemActivated.emit(guide_item, 0)  # Enter in the results
    assert not panel.isVisible()
    kind, ids = window.current_selection()
    assert kind == "guide"
    assert ids == [guide_item.data(0, HitRole)[1]]


def test_a_hit_hidden_by_the_list_filter_still_opens(window: MainWindow, qtbot: Any) -> None:
    # 苗圃 is only in a feedback quote: the plain list filter does not see it.
    window.sidebar.setCurrentRow(3)
    window.search_box.setText("苗圃")
    qtbot.waitUntil(lambda: window.current_model().total_count() == 0)
    panel = panel_of(window)
    panel.search_for("苗圃")
    (item,) = groups(panel)["Field sessions (1)"]
    panel.results.itemActivated.emit(item, 0)
    assert window.search_box.text() == ""
    assert window.current_selection() == ("session", [item.data(0, HitRole)[1]])


def test_a_photo_hit_opens_the_session_that_shows_it(
    window: MainWindow, demo_library: Library
) -> None:
    with demo_library.transaction() as s:
        session_id = s.query(FieldSession.id).first()[0]
        s.add(Photo(id="p-x", sha256="a" * 64, ext="jpg", caption="学员分组练习高枝锯"))
        s.flush()
        s.add(SessionPhoto(session_id=session_id, photo_id="p-x", position=0))
    panel = panel_of(window)
    panel.search_for("高枝锯")
    assert [h.kind for h in panel.hits] == ["photo"]
    assert panel.open_hit("photo", "p-x")
    assert window.current_selection() == ("session", [session_id])


def test_answers_to_superseded_queries_are_dropped(window: MainWindow) -> None:
    panel = panel_of(window)
    panel.search_for("天牛")
    stale = search.search(window.library, "修剪")
    panel._on_done(panel._generation - 1, "修剪", stale)
    assert [h.kind for h in panel.hits] == ["guide", "session"]
    panel.search_for("")
    assert panel.results.topLevelItemCount() == 0
    panel.search_for("潜水艇")
    assert "No matches" in panel.status.text()


def test_a_sheet_code_in_the_toolbar_box_opens_its_session(
    window: MainWindow, demo_library: Library
) -> None:
    from desktop_app.services.session_code import session_code

    with demo_library.session() as s:
        session_id = s.query(FieldSession.id).first()[0]
    window.sidebar.setCurrentRow(0)  # another list is showing
    # As a USB scanner types it: the code, then Enter, into the toolbar's search box.
    window.search_box.setText(session_code(session_id).lower())
    window.search_box.returnPressed.emit()
    panel = panel_of(window)
    assert not panel.isVisible()
    assert window.current_selection() == ("session", [session_id])
    assert window.search_box.text() == ""
