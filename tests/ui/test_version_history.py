"""Record → History… and the field-level conflicts dialog in the window (offscreen, writes
run inline), with screenshots at 1366×768 in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.i18n import set_language
from desktop_app.core.settings import Settings
from desktop_app.services import catalog, listing, merge, packs, record_history
from desktop_app.storage.library import Library
from desktop_app.ui.conflicts_dialog import DIFF_BRUSH, ConflictsDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.version_history import HistoryDialog
from desktop_app.ui.workers import SynchronousRunner

SHOTS = Path("/tmp/jiangxin-history-shots")


def make_window(library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    return w


def guide_id(library: Library, part: str) -> str:
    rows = listing.list_rows(library, "guide")
    return next(str(r["id"]) for r in rows if part in str(r["title"]))


def team_id(library: Library, name: str) -> str:
    rows = listing.list_rows(library, "team")
    return next(str(r["id"]) for r in rows if r["name"] == name)


def shoot(widget: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def rows_of(table: Any) -> dict[str, tuple[str, str, bool]]:
    return {
        table.item(r, 0).text(): (
            table.item(r, 1).text(),
            table.item(r, 2).text(),
            table.item(r, 1).background().color().name() == DIFF_BRUSH.color().name(),
        )
        for r in range(table.rowCount())
    }


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh_CN")
    yield
    set_language("en")


def _edit_guide(library: Library, gid: str, **changes: object) -> None:
    data = catalog.load_guide(library, gid)
    for name, value in changes.items():
        setattr(data, name, value)
    catalog.save_guide(library, data, gid)


def test_history_shows_versions_side_by_side_and_restore_is_undoable(
    demo_library: Library, qtbot: Any
) -> None:
    gid = guide_id(demo_library, "花后修剪")
    original = catalog.load_guide(demo_library, gid)
    _edit_guide(demo_library, gid, season="六月上旬", steps=original.steps[:1])
    window = make_window(demo_library, qtbot)
    assert window.select_record("guide", gid)
    action = window.history_actions.action
    assert action in window.menus["record"].actions()
    action.trigger()
    dialog = window.history_actions.dialog
    assert isinstance(dialog, HistoryDialog) and dialog.list.count() == 2
    assert dialog.list.currentRow() == 1  # the earlier version, beside the current one
    assert "Created on this laptop" in dialog.list.item(1).text()
    rows = rows_of(dialog.table)
    assert rows["Season"] == (original.season, "六月上旬", True)
    assert rows["Title"][2] is False
    assert rows["Steps"][2] and rows["Steps"][0].startswith("1. ") and "\n2. " in rows["Steps"][0]
    dialog.only_changed.setChecked(True)
    assert set(rows_of(dialog.table)) == {"Season", "Steps"}

    assert dialog.restore.isEnabled()
    dialog.restore.click()
    restored = catalog.load_guide(demo_library, gid)
    assert restored.season == original.season and len(restored.steps) == len(original.steps)
    assert dialog.list.count() == 3 and "Restores revision 1" in dialog.list.item(0).text()
    assert window.undo_stack.canUndo()
    form = window.shown_form()
    assert form is not None and form.record_id() == gid
    window.undo_stack.undo()  # the window's Ctrl+Z takes the restore back
    assert catalog.load_guide(demo_library, gid).season == "六月上旬"
    dialog.close()


def test_history_restore_refused_when_the_record_changed_meanwhile(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gid = guide_id(demo_library, "花后修剪")
    _edit_guide(demo_library, gid, season="六月上旬")
    window = make_window(demo_library, qtbot)
    dialog = HistoryDialog(window, "guide", gid)
    _edit_guide(demo_library, gid, season="七月")  # an import, another form...
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    dialog.restore.click()
    assert len(shown) == 1 and "changed since you opened it" in shown[0]
    assert catalog.load_guide(demo_library, gid).season == "七月"
    assert not window.undo_stack.canUndo()
    assert dialog.list.count() == 3  # reloaded: the newer version is listed
    dialog.close()


def _conflict(library: Library, tmp_path: Path) -> str:
    """A team changed here and on another laptop (category, description, members)."""
    other = Library.create(tmp_path / "other", name="李师傅的电脑")
    tid = team_id(library, "专业技术服务2队")
    try:
        packs.import_pack(other, packs.export_pack(library, tmp_path / "a.jxpack").path)
        for lib, category, text in (
            (library, "education", "本机的介绍"),
            (other, "medical", "对方的介绍"),
        ):
            data = catalog.load_team(lib, tid)
            data.category, data.description = category, text
            if lib is other:
                data.members = data.members[:1]
            catalog.save_team(lib, data, tid)
        packs.import_pack(library, packs.export_pack(other, tmp_path / "b.jxpack").path)
    finally:
        other.close()
    return tid


def test_conflicts_dialog_merges_ticked_fields(
    demo_library: Library, tmp_path: Path, qtbot: Any
) -> None:
    tid = _conflict(demo_library, tmp_path)
    window = make_window(demo_library, qtbot)
    dialog = ConflictsDialog(window, lambda: None)
    rows = rows_of(dialog.table)
    assert rows["Category"] == ("Education and training", "Medical and health", True)
    assert rows["Description"][2] and rows["Team members"][2]
    assert not rows["Name"][2]
    assert not dialog.merge_ticked.isEnabled()
    dialog.table.set_ticked({"category"})
    assert dialog.merge_ticked.isEnabled()
    category_row = dialog.table.fields.index("category")
    assert dialog.table.item(category_row, 2).checkState() == Qt.CheckState.Checked
    # An unchanged field has no tick box.
    name_row = dialog.table.fields.index("name")
    assert not dialog.table.item(name_row, 2).flags() & Qt.ItemFlag.ItemIsUserCheckable
    members_before = catalog.load_team(demo_library, tid).members
    dialog.merge_ticked.click()
    team = catalog.load_team(demo_library, tid)
    assert (team.category, team.description) == ("medical", "本机的介绍")
    assert team.members == members_before
    assert merge.list_conflicts(demo_library) == [] and dialog.list.count() == 0
    versions = record_history.list_versions(demo_library, "team", tid)
    assert versions[0].how == "resolve"
    dialog.close()


def test_screenshots_in_chinese_at_1366x768(
    demo_library: Library, tmp_path: Path, qtbot: Any, chinese: None
) -> None:
    tid = _conflict(demo_library, tmp_path)
    gid = guide_id(demo_library, "花后修剪")
    original = catalog.load_guide(demo_library, gid)
    _edit_guide(demo_library, gid, season="六月上旬", steps=original.steps[:1])
    window = make_window(demo_library, qtbot)
    window.resize(1366, 768)
    history = HistoryDialog(window, "team", tid)
    history.resize(1366, 740)
    history.show()
    assert history.windowTitle().startswith("“专业技术服务2队”的历史")
    assert history.restore.text() == "恢复此版本"
    shoot(history, "history-team-zh")
    guide_history = HistoryDialog(window, "guide", gid)
    guide_history.resize(1366, 740)
    guide_history.show()
    shoot(guide_history, "history-guide-zh")
    conflicts = ConflictsDialog(window, lambda: None)
    conflicts.resize(1366, 740)
    conflicts.show()
    conflicts.table.set_ticked({"category"})
    assert conflicts.merge_ticked.text() == "合并：采用对方勾选的字段"
    shoot(conflicts, "conflicts-zh")
    for widget in (history, guide_history, conflicts):
        # Nothing is cut off: every button's text fits the width it was given.
        for button in (b for b in widget.findChildren(type(conflicts.keep_mine)) if b.isVisible()):
            assert button.width() >= button.sizeHint().width(), button.text()
        widget.close()


def test_a_deletion_conflict_offers_no_field_ticks(
    demo_library: Library, tmp_path: Path, qtbot: Any
) -> None:
    other = Library.create(tmp_path / "other")
    gid = guide_id(demo_library, "花后修剪")
    try:
        packs.import_pack(other, packs.export_pack(demo_library, tmp_path / "a.jxpack").path)
        catalog.delete_record(other, "guide", gid)
        _edit_guide(demo_library, gid, season="六月上旬")
        packs.import_pack(demo_library, packs.export_pack(other, tmp_path / "b.jxpack").path)
    finally:
        other.close()
    window = make_window(demo_library, qtbot)
    dialog = ConflictsDialog(window, lambda: None)
    rows = rows_of(dialog.table)
    assert rows["State"][1] == "Deleted on the other laptop"
    assert rows["Season"] == ("六月上旬", "", True)
    checkable = [
        r
        for r in range(dialog.table.rowCount())
        if dialog.table.item(r, 2).flags() & Qt.ItemFlag.ItemIsUserCheckable
    ]
    assert checkable == [] and not dialog.merge_ticked.isEnabled()
    assert dialog.keep_mine.isEnabled() and dialog.take_theirs.isEnabled()
    dialog.close()


def test_history_without_a_record_says_what_to_do(demo_library: Library, qtbot: Any) -> None:
    window = make_window(demo_library, qtbot)
    window.history_actions.action.trigger()
    assert window.history_actions.dialog is None
    assert "Select a record" in window.statusBar().currentMessage()


def _press(dialog: ConflictsDialog, qtbot: Any, modifiers: Qt.KeyboardModifier) -> None:
    """Ctrl(+Shift)+Z in the dialog, as the user presses it there."""
    dialog.activateWindow()
    assert QTest.qWaitForWindowActive(dialog, 5000)
    QTest.keyClick(dialog.list, Qt.Key.Key_Z, modifiers)


def test_ctrl_z_in_the_conflicts_dialog_opens_a_merged_conflict_again(
    demo_library: Library, tmp_path: Path, qtbot: Any
) -> None:
    """Issue 17: a resolution made in the dialog is undone like other edits, from the dialog
    too (the window's Ctrl+Z does not reach it): the conflict is open again with both versions,
    the team as it was on this laptop, members included."""
    tid = _conflict(demo_library, tmp_path)
    before = catalog.load_team(demo_library, tid)
    window = make_window(demo_library, qtbot)
    dialog = ConflictsDialog(window, lambda: None)
    dialog.show()
    dialog.activateWindow()
    assert QTest.qWaitForWindowActive(dialog, 5000)
    assert not dialog.undo_button.isEnabled()
    dialog.table.set_ticked({"category", "members"})
    dialog.merge_ticked.click()
    merged = catalog.load_team(demo_library, tid)
    assert merged.category == "medical" and len(merged.members) == 1
    assert dialog.list.count() == 0 and dialog.undo_button.isEnabled()
    _press(dialog, qtbot, Qt.KeyboardModifier.ControlModifier)
    assert catalog.load_team(demo_library, tid) == before
    (again,) = merge.list_conflicts(demo_library)
    assert again.theirs is not None and again.theirs["category"] == "medical"
    assert dialog.list.count() == 1 and not dialog.undo_button.isEnabled()
    assert rows_of(dialog.table)["Category"] == (
        "Education and training",
        "Medical and health",
        True,
    )
    _press(dialog, qtbot, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert catalog.load_team(demo_library, tid) == merged
    assert merge.list_conflicts(demo_library) == []
    dialog.undo_button.click()
    assert catalog.load_team(demo_library, tid) == before
    dialog.close()


def test_the_conflicts_dialog_undoes_only_resolutions(
    demo_library: Library, tmp_path: Path, qtbot: Any
) -> None:
    """A form's edit on top of the history is not undone from the conflicts dialog, where the
    user cannot see it."""
    _conflict(demo_library, tmp_path)
    gid = guide_id(demo_library, "花后修剪")
    window = make_window(demo_library, qtbot)
    window.select_record("guide", gid)
    form: Any = window.forms["guide"]
    form.season_edit.setText("九月")
    assert form.save()
    dialog = ConflictsDialog(window, lambda: None)
    dialog.show()
    dialog.activateWindow()
    assert QTest.qWaitForWindowActive(dialog, 5000)
    assert not dialog.undo_button.isEnabled()
    _press(dialog, qtbot, Qt.KeyboardModifier.ControlModifier)
    assert catalog.load_guide(demo_library, gid).season == "九月"
    assert window.undo_stack.index() == 1
    dialog.close()
