"""Editing in the real main window: forms, validation next to fields, undo, delete, unsaved guard.

The window runs offscreen; dialogs are answered by monkeypatching `QMessageBox.question` and
the record picker, so each test drives what a team leader would click.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox

from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library
from desktop_app.ui.forms import widgets
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner

Button = QMessageBox.StandardButton


def _unexpected_dialog(*args: Any) -> Any:
    raise AssertionError(f"unexpected dialog: {args[1:3]}")


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A modal dialog nobody answers would hang the test: every one must be scripted.
    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, _unexpected_dialog)


@pytest.fixture
def window(demo_library: Library, qtbot: Any, no_dialogs: None) -> Iterator[MainWindow]:
    win = MainWindow(demo_library, runner=SynchronousRunner())  # no job outlives a test
    win.resize(1366, 768)
    win.show()
    yield win
    # Leave without prompts whatever a test left in the form.
    form = win.shown_form()
    if form is not None and form.is_dirty():
        form.revert()
    win.close()
    win.deleteLater()
    qtbot.wait(1)


class Answers:
    """Scripted answers for QMessageBox.question; records every question asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", self)

    def __call__(self, _parent: Any, _title: str, text: str, *_args: Any) -> Any:
        self.asked.append(text)
        return self.answers.pop(0)


def pick(monkeypatch: pytest.MonkeyPatch, ids: list[str]) -> None:
    monkeypatch.setattr(widgets, "pick_records", lambda *_args, **_kw: list(ids))


def ids_by_name(library: Library, kind: str, key: str = "name") -> dict[str, str]:
    return {r[key]: r["id"] for r in listing.list_rows(library, kind)}


def set_cell(editor: widgets.TableEditor, row: int, key: str, value: Any) -> None:
    column = [c.key for c in editor.model.columns].index(key)
    assert editor.model.setData(editor.model.index(row, column), value)


def new_member(window: MainWindow, qtbot: Any, name: str, phone: str = "") -> str:
    window.sidebar.setCurrentRow(1)
    window.new_action.trigger()
    form = window.forms["member"]
    form.name_edit.insert(name)  # keyClicks cannot type Chinese
    form.phone_edit.setText(phone)
    assert window.save_action.isEnabled()
    window.save_action.trigger()
    assert form.record_id() is not None
    return form.record_id() or ""


def test_create_team_with_captain_and_two_members(
    window: MainWindow, demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    third = new_member(window, qtbot, "王师傅", "138 0000 0000")
    members = ids_by_name(demo_library, "member")
    window.sidebar.setCurrentRow(0)
    window.new_action.trigger()
    form = window.forms["team"]
    assert window.shown_form() is form and form.is_new()
    form.name_edit.insert("绿化养护服务队")
    form.category_combo.setCurrentIndex(form.category_combo.findData("technical"))
    assert form.category_combo.currentText() == "Professional technology"  # translated label
    form.expertise.add()
    set_cell(form.expertise, 0, "text", "月季修剪")
    pick(monkeypatch, [members["周宗宝"], members["李佳"], third])
    qtbot.mouseClick(form.members.add_button, Qt.MouseButton.LeftButton)
    assert form.members.model.rowCount() == 3
    set_cell(form.members, 0, "role", "captain")
    assert form.members.model.data(form.members.model.index(0, 1)) == "Captain"
    assert form.is_dirty() and window.isWindowModified()

    window.save_action.trigger()

    team_id = form.record_id()
    assert team_id is not None and not form.is_dirty()
    saved = catalog.load_team(demo_library, team_id)
    assert saved.name == "绿化养护服务队" and saved.category == "technical"
    assert saved.expertise == ["月季修剪"]
    assert [(m.member_id, m.role) for m in saved.members] == [
        (members["周宗宝"], "captain"),
        (members["李佳"], "member"),
        (third, "member"),
    ]
    assert form.revision_label.text() == "Revision 1"
    # The new team is in the list and selected.
    assert window.current_selection() == ("team", [team_id])


def test_second_captain_is_refused_next_to_the_members_table(
    window: MainWindow, demo_library: Library, qtbot: Any
) -> None:
    team_id = ids_by_name(demo_library, "team")["专业技术服务2队"]
    before = catalog.load_team(demo_library, team_id)
    assert len(before.members) == 2
    assert window.select_record("team", team_id)
    form = window.forms["team"]
    assert form.record_id() == team_id
    for row in range(2):
        set_cell(form.members, row, "role", "captain")

    assert form.save() is False

    message = form.error_text("members")
    assert message == "A team has at most one captain."
    error = form.error_labels["members"]
    assert error.isVisible()
    # The message sits in the same field box as the members table, under it (once the box
    # has laid out again: the label was hidden until now).
    assert error.parent() is form.members.parent()
    qtbot.waitUntil(
        lambda: (
            error.mapTo(form, error.rect().topLeft()).y()
            > form.members.mapTo(form, form.members.rect().bottomLeft()).y() - 1
        ),
        timeout=2000,
    )
    assert catalog.load_team(demo_library, team_id) == before
    assert catalog.revision_of(demo_library, "team", team_id) == 1
    assert form.is_dirty()  # the edit is kept so the user can fix it
    set_cell(form.members, 1, "role", "vice_captain")
    assert form.save() is True
    assert form.error_text("members") == ""
    assert [m.role for m in catalog.load_team(demo_library, team_id).members] == [
        "captain",
        "vice_captain",
    ]


def test_member_phone_and_name_errors_show_next_to_their_fields(
    window: MainWindow, demo_library: Library, qtbot: Any
) -> None:
    window.sidebar.setCurrentRow(1)
    window.new_action.trigger()
    form = window.forms["member"]
    form.phone_edit.setText("call me")
    count = catalog.live_count(demo_library, "member")
    assert form.save() is False
    assert form.error_text("name") == "Enter the member's name."
    assert "is not a phone number" in form.error_text("phone")
    assert form.error_text("") == ""
    assert catalog.live_count(demo_library, "member") == count
    form.name_edit.setText("赵师傅")
    form.phone_edit.setText("010-12345678")
    form.honours.add()
    set_cell(form.honours, 0, "title", "首都劳动奖章")
    set_cell(form.honours, 0, "year", "2021")
    assert form.save() is True
    saved = catalog.load_member(demo_library, form.record_id() or "")
    assert saved.phone == "010-12345678"
    assert [(h.title, h.year) for h in saved.honours] == [("首都劳动奖章", 2021)]


def test_edit_guide_steps_and_reorder_them(
    window: MainWindow, demo_library: Library, qtbot: Any
) -> None:
    guide_id = ids_by_name(demo_library, "guide", "title")["月季修剪"]
    original = [s.text for s in catalog.load_guide(demo_library, guide_id).steps]
    assert len(original) >= 4
    assert window.select_record("guide", guide_id)
    form = window.forms["guide"]
    assert form.revision_label.text() == "Revision 1"
    steps = form.steps

    # Fix a typo in step 1 through the text box under the list.
    steps.select_row(0)
    assert form.step_text.isEnabled()
    form.step_text.setPlainText(original[0] + "（已核对）")
    assert steps.model.row_dict(0)["text"].endswith("（已核对）")
    # Down button: step 1 becomes step 2.
    qtbot.mouseClick(steps.down_button, Qt.MouseButton.LeftButton)
    assert steps.current_row() == 1
    # Up button on the last step moves it one up.
    last = steps.model.rowCount() - 1
    steps.select_row(last)
    qtbot.mouseClick(steps.up_button, Qt.MouseButton.LeftButton)
    # Drag and drop: the view drops the mime data of step 4 before step 1.
    mime = steps.model.mimeData([steps.model.index(3, 0)])
    assert (
        steps.model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex()) is False
    )  # False: the model moved the row itself, the view must not remove it
    # A new step, written and then added at the end.
    qtbot.mouseClick(steps.add_button, Qt.MouseButton.LeftButton)
    assert steps.current_row() == len(original)
    form.step_text.setPlainText("清理剪下的枝条。")

    expected = list(original)
    expected[0] += "（已核对）"
    expected[0], expected[1] = expected[1], expected[0]
    expected[-1], expected[-2] = expected[-2], expected[-1]
    expected.insert(0, expected.pop(3))
    expected.append("清理剪下的枝条。")
    assert [r["text"] for r in steps.rows()] == expected

    window.save_action.trigger()
    assert [s.text for s in catalog.load_guide(demo_library, guide_id).steps] == expected
    assert form.revision_label.text() == "Revision 2"
    assert not form.is_dirty()

    # Removing a step, and an empty step is refused next to the steps.
    steps.select_row(0)
    qtbot.mouseClick(steps.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(steps.add_button, Qt.MouseButton.LeftButton)
    assert form.save() is False
    assert form.error_text("steps") == "A step is empty; write what to do or remove it."
    assert [s.text for s in catalog.load_guide(demo_library, guide_id).steps] == expected


def test_undo_and_redo_an_edit_and_a_creation(
    window: MainWindow, demo_library: Library, qtbot: Any
) -> None:
    guide_id = ids_by_name(demo_library, "guide", "title")["花后修剪"]
    window.select_record("guide", guide_id)
    form = window.forms["guide"]
    form.title_edit.setText("花后修建")  # the typo
    window.save_action.trigger()
    form.title_edit.setText("花后修剪要点")
    window.save_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).title == "花后修剪要点"
    assert window.undo_action.isEnabled()
    assert "花后修剪要点" in window.undo_action.text()

    window.undo_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).title == "花后修建"
    assert form.title_edit.text() == "花后修建"  # the form follows
    window.undo_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).title == "花后修剪"
    assert not window.undo_action.isEnabled()
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).title == "花后修剪要点"
    assert form.title_edit.text() == "花后修剪要点"
    # Every step is a revision in history: 1 → 2 → 3, undo 4, 5, redo 6, 7.
    assert catalog.revision_of(demo_library, "guide", guide_id) == 7

    # Undoing a creation removes the record; redo brings it back.
    count = catalog.live_count(demo_library, "member")
    member_id = new_member(window, qtbot, "新成员")
    assert catalog.live_count(demo_library, "member") == count + 1
    window.undo_action.trigger()
    assert catalog.live_count(demo_library, "member") == count
    assert window.models["member"].row_of(member_id) == -1
    assert window.shown_form() is None  # the deleted record's form is gone
    window.redo_action.trigger()
    assert catalog.live_count(demo_library, "member") == count + 1
    assert window.forms["member"].record_id() == member_id


def test_undo_with_unsaved_edits_asks_first(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id = ids_by_name(demo_library, "team")["教育培训服务队"]
    window.select_record("team", team_id)
    form = window.forms["team"]
    form.union_edit.setText("北京市总工会")
    window.save_action.trigger()
    form.description_edit.setPlainText("未保存的修改")
    answers = Answers(monkeypatch, Button.Cancel, Button.Discard)
    window.undo_action.trigger()
    assert catalog.load_team(demo_library, team_id).parent_union == "北京市总工会"
    assert form.description_edit.toPlainText() == "未保存的修改"
    window.undo_action.trigger()
    assert catalog.load_team(demo_library, team_id).parent_union == "丰台区总工会"
    assert form.union_edit.text() == "丰台区总工会" and not form.is_dirty()
    assert len(answers.asked) == 2


def test_delete_asks_and_undo_restores(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide_id = ids_by_name(demo_library, "guide", "title")["榆叶梅修剪"]
    window.select_record("guide", guide_id)
    answers = Answers(monkeypatch, Button.No, Button.Yes)
    window.delete_action.trigger()
    assert catalog.live_count(demo_library, "guide") == 4  # "No" keeps it
    window.delete_action.trigger()
    assert "榆叶梅修剪" in answers.asked[1]
    assert catalog.live_count(demo_library, "guide") == 3
    assert window.models["guide"].row_of(guide_id) == -1
    assert window.shown_form() is None
    window.undo_action.trigger()
    assert catalog.live_count(demo_library, "guide") == 4
    assert window.current_selection() == ("guide", [guide_id])
    assert window.forms["guide"].title_edit.text() == "榆叶梅修剪"
    window.redo_action.trigger()
    assert catalog.live_count(demo_library, "guide") == 3


def test_unsaved_changes_guard_on_select_section_and_close(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    teams = ids_by_name(demo_library, "team")
    window.select_record("team", teams["综合管理服务队"])
    form = window.forms["team"]
    form.name_edit.setText("综合管理服务队（改）")
    answers = Answers(monkeypatch, Button.Cancel, Button.Cancel, Button.Cancel)

    # Another record: Cancel keeps the edits and the selection.
    window.select_record("team", teams["医疗卫生服务队"])
    assert form.record_id() == teams["综合管理服务队"]
    assert window.current_selection() == ("team", [teams["综合管理服务队"]])
    # Another section: Cancel stays in the section.
    window.sidebar.setCurrentRow(2)
    assert window.current_kind == "team" and form.is_dirty()
    # Closing: Cancel keeps the window open.
    assert window.close() is False
    assert window.isVisible()
    assert len(answers.asked) == 3 and "综合管理服务队" in answers.asked[0]

    # Discard when moving to another record drops the edits.
    Answers(monkeypatch, Button.Discard)
    window.select_record("team", teams["医疗卫生服务队"])
    assert form.record_id() == teams["医疗卫生服务队"]
    assert catalog.load_team(demo_library, teams["综合管理服务队"]).name == "综合管理服务队"

    # Save on close saves and closes.
    form.description_edit.setPlainText("关闭前保存")
    Answers(monkeypatch, Button.Save)
    assert window.close() is True
    assert catalog.load_team(demo_library, teams["医疗卫生服务队"]).description == "关闭前保存"


def test_save_refused_on_close_keeps_window_open(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.select_record("team", ids_by_name(demo_library, "team")["综合管理服务队"])
    form = window.forms["team"]
    form.name_edit.setText("")
    Answers(monkeypatch, Button.Save)
    assert window.close() is False
    assert form.error_text("name") == "Enter the team's name."


def test_rows_model_passes_the_model_tester(qtmodeltester: Any, qapp: Any) -> None:
    model = widgets.RowsModel(
        [
            widgets.Col("member_id", "Member", "choice"),
            widgets.Col("role", "Role", "choice"),
            widgets.Col("count", "Count", "int"),
        ]
    )
    model.options = {"member_id": {"a": "甲", "b": "乙"}, "role": {"captain": "Captain"}}
    model.set_rows(
        [
            {"member_id": "a", "role": "captain", "count": 3},
            {"member_id": "b", "role": "member", "count": None},
            {"member_id": "zz", "role": "", "count": 0},
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, 0)) == "甲"
    assert model.data(model.index(2, 0)) == "zz"  # unknown ids show as they are
    assert model.setData(model.index(1, 2), "12") and model.row_dict(1)["count"] == 12
    assert not model.setData(model.index(1, 2), "twelve")
    assert model.setData(model.index(1, 2), "") and model.row_dict(1)["count"] is None
    assert model.move_row(0, 2)
    assert [r["member_id"] for r in model.rows()] == ["b", "zz", "a"]
    assert model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    assert [r["member_id"] for r in model.rows()] == ["a", "b", "zz"]
    assert not model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 1)  # no-op move refused
    qtmodeltester.check(model)


def test_member_portrait_is_imported_shown_and_undoable(
    no_dialogs: None,
    demo_library: Library,
    qtbot: Any,
    testdata: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_app.ui.forms import member as member_form

    win = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(win)
    win.show()
    member_id = ids_by_name(demo_library, "member")["李佳"]
    win.select_record("member", member_id)
    form = win.forms["member"]
    assert isinstance(form, member_form.MemberForm)
    assert form.portrait_label.text() == "No picture"

    # A file that is not an image is refused next to the portrait; nothing changes.
    fake = tmp_path / "照片.jpg"
    fake.write_text("not a photo")
    monkeypatch.setattr(member_form, "choose_image", lambda _parent: str(fake))
    form.choose_portrait.click()
    assert form.error_text("portrait")
    assert not form.is_dirty()

    monkeypatch.setattr(
        member_form, "choose_image", lambda _parent: str(testdata / "landscape_6.jpg")
    )
    form.choose_portrait.click()
    assert form.error_text("portrait") == ""
    pixmap = form.portrait_label.pixmap()
    assert not pixmap.isNull() and max(pixmap.width(), pixmap.height()) == 118
    assert form.is_dirty()
    assert catalog.load_member(demo_library, member_id).portrait_photo_id is None  # not yet
    win.save_action.trigger()
    photo_id = catalog.load_member(demo_library, member_id).portrait_photo_id
    assert photo_id is not None
    win.undo_action.trigger()
    assert catalog.load_member(demo_library, member_id).portrait_photo_id is None
    assert form.portrait_label.text() == "No picture"
    win.redo_action.trigger()
    assert catalog.load_member(demo_library, member_id).portrait_photo_id == photo_id


def test_team_leader_story_in_chinese(
    no_dialogs: None, demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 3's "done when": a team with its captain, a guide with five ordered steps, a
    typo fixed and undone, and the guide found again in the list — with the UI in Chinese."""
    from desktop_app.core.i18n import set_language

    set_language("zh_CN")
    win = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(win)
    win.show()
    assert win.sidebar.item(0).text() == "服务队"
    members = ids_by_name(demo_library, "member")

    win.sidebar.setCurrentRow(0)
    win.new_action.trigger()
    team = win.forms["team"]
    team.name_edit.insert("果树修剪服务队")
    pick(monkeypatch, [members["周宗宝"], members["李佳"]])
    team.members.add()
    set_cell(team.members, 0, "role", "captain")
    assert team.members.model.data(team.members.model.index(0, 1)) == "队长"
    win.save_action.trigger()
    assert team.record_id() is not None

    win.sidebar.setCurrentRow(2)
    win.new_action.trigger()
    guide = win.forms["guide"]
    guide.title_edit.insert("苹果树冬季修建")  # 修建: the typo
    for text in ["看树形", "疏除徒长枝", "回缩下垂枝", "短截延长枝", "涂抹伤口"]:
        guide.steps.add()
        guide.step_text.setPlainText(text)
    win.save_action.trigger()
    guide_id = guide.record_id()
    assert guide_id is not None
    assert [s.text for s in catalog.load_guide(demo_library, guide_id).steps] == [
        "看树形",
        "疏除徒长枝",
        "回缩下垂枝",
        "短截延长枝",
        "涂抹伤口",
    ]

    guide.title_edit.setText("苹果树冬季修剪")
    win.save_action.trigger()
    assert guide.revision_label.text().endswith("2")
    win.undo_action.trigger()
    assert guide.title_edit.text() == "苹果树冬季修建"
    win.redo_action.trigger()

    win.search_box.setText("苹果")
    qtbot.waitUntil(lambda: win.models["guide"].rowCount() == 1)
    model = win.models["guide"]
    assert model.data(model.index(0, 0)) == "苹果树冬季修剪"
    win.close()


def test_member_portrait_can_be_dropped_from_the_file_manager(
    no_dialogs: None, demo_library: Library, qtbot: Any, testdata: Any
) -> None:
    import warnings

    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    win = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(win)
    win.show()
    member_id = ids_by_name(demo_library, "member")["周宗宝"]
    win.select_record("member", member_id)
    label = win.forms["member"].portrait_label
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(testdata / "canon_hdr_NO.jpg"))])
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(label.rect().center(), actions, mime, buttons, mods)
    QApplication.sendEvent(label, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(
        label, QDropEvent(QPointF(label.rect().center()), actions, mime, buttons, mods)
    )
    pixmap = label.pixmap()
    assert not pixmap.isNull()
    assert pixmap.height() > pixmap.width()  # the camera's orientation 6: shown upright
    win.save_action.trigger()
    assert catalog.load_member(demo_library, member_id).portrait_photo_id is not None


def test_a_refused_undo_leaves_the_stack_in_step_with_the_library(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Undoing a delete whose name was taken meanwhile is refused, shown, and dropped."""
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(str(a[2])))
    team_id = ids_by_name(demo_library, "team")["医疗卫生服务队"]
    window.select_record("team", team_id)
    window.record_actions.delete_records()
    assert window.undo_stack.count() == 1
    # Another team takes the name (e.g. from a knowledge pack) before the user undoes.
    catalog.save_team(demo_library, catalog.TeamData(name="医疗卫生服务队"))
    window.undo_action.trigger()
    assert warnings and "already exists" in warnings[0]
    assert window.undo_stack.count() == 0  # nothing left to redo that did not happen
    assert team_id not in ids_by_name(demo_library, "team").values()


def test_mark_a_step_risky_and_choose_the_recognition_photo(
    window: MainWindow, demo_library: Library, qtbot: Any
) -> None:
    from tests.services.packkit import add_photo

    guide_id = ids_by_name(demo_library, "guide", "title")["月季修剪"]
    ladder = add_photo(demo_library, b"ladder" * 60, caption="梯子")
    leaf = add_photo(demo_library, b"leaf" * 60, caption="病叶")
    data = catalog.load_guide(demo_library, guide_id)
    data.steps[1].photo_ids = [ladder]
    data.steps[2].photo_ids = [leaf]
    catalog.save_guide(demo_library, data, guide_id)
    assert window.select_record("guide", guide_id)
    form = window.forms["guide"]
    steps = form.steps
    # Each step photo is offered, named with its step; nothing chosen yet.
    combo = form.recognition_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "(none)",
        "Step 2: 梯子",
        "Step 3: 病叶",
    ]
    assert combo.currentData() is None
    # Step 2 is risky: the check box under the text marks it, and the list shows ⚠.
    steps.select_row(1)
    assert form.step_risky.isEnabled() and not form.step_risky.isChecked()
    qtbot.mouseClick(form.step_risky, Qt.MouseButton.LeftButton)
    assert steps.model.row_dict(1)["risk_mark"] == "⚠"
    assert form.is_dirty()
    steps.select_row(0)
    assert not form.step_risky.isChecked()  # follows the selected step
    steps.select_row(1)
    assert form.step_risky.isChecked()
    # Choose 病叶 as the 识别图 from the keyboard.
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)
    assert combo.currentData() == leaf
    window.save_action.trigger()
    saved = catalog.load_guide(demo_library, guide_id)
    assert [s.risky for s in saved.steps][:3] == [False, True, False]
    assert saved.recognition_photo_id == leaf
    assert not form.is_dirty()
    # Taking the photo off its step takes it off as the 识别图 too, so the save is accepted.
    steps.select_row(2)
    steps.model.set_value(2, "photo_ids", [])
    steps.model.set_value(2, "photos", 0)
    assert combo.currentData() is None and combo.count() == 2
    window.save_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).recognition_photo_id is None
