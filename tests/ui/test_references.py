"""Deleting a record that others use, in the window: the confirmation says what uses it, and
the forms that refer to it show its name marked as deleted (never its id) until undo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.i18n import set_language
from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library
from desktop_app.ui.forms.guide import GuideForm
from desktop_app.ui.forms.session import SessionForm
from desktop_app.ui.forms.team import TeamForm
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner

Button = QMessageBox.StandardButton


def _unexpected_dialog(*args: Any) -> Any:
    raise AssertionError(f"unexpected dialog: {args[1:3]}")


class Answers:
    """Scripted answers for QMessageBox.question; records every question asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", self)

    def __call__(self, parent: Any, title: str, text: str, *_args: Any) -> Any:
        self.asked.append(text)
        shots = os.environ.get("JIANGXIN_SHOTS")
        if shots:  # JIANGXIN_SHOTS=DIR: save the dialog as the user would see it
            box = QMessageBox(
                QMessageBox.Icon.Question, title, text, Button.Yes | Button.No, parent
            )
            box.show()
            box.grab().save(str(Path(shots) / f"confirm-{len(self.asked)}.png"))
            box.close()
        return self.answers.pop(0)


@pytest.fixture
def window(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, _unexpected_dialog)
    set_language("zh_CN")
    win = MainWindow(demo_library, runner=SynchronousRunner())
    win.resize(1366, 768)
    win.show()
    yield win
    form = win.shown_form()
    if form is not None and form.is_dirty():
        form.revert()
    win.close()
    win.deleteLater()
    qtbot.wait(1)


def ids_of(library: Library, kind: str) -> dict[str, str]:
    key = "title" if kind == "guide" else "name"
    return {r[key]: r["id"] for r in listing.list_rows(library, kind)}


def column_texts(editor: Any, key: str) -> list[str]:
    model = editor.model
    column = [c.key for c in model.columns].index(key)
    return [str(model.data(model.index(r, column))) for r in range(model.rowCount())]


def shoot(widget: Any, name: str) -> None:
    shots = os.environ.get("JIANGXIN_SHOTS")
    if shots:
        widget.grab().save(str(Path(shots) / name))


def test_deleting_a_covered_guide_names_the_session_and_the_form_marks_it(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide_id = ids_of(demo_library, "guide")["花后修剪"]
    (session_id,) = listing.list_ids(demo_library, "session")
    starts = catalog.load_session(demo_library, session_id).starts_at
    session_label = starts.astimezone().strftime("%Y-%m-%d") + " 绿色养护提质增效"
    answers = Answers(monkeypatch, Button.Yes)
    assert window.select_record("guide", guide_id)

    window.delete_action.trigger()

    (question,) = answers.asked
    assert question.startswith("删除“花后修剪”？")
    assert f"1 次现场活动涉及此指南：{session_label}" in question
    assert "显示为“花后修剪（已删除）”" in question
    assert guide_id not in ids_of(demo_library, "guide").values()

    assert window.select_record("session", session_id)
    form = window.shown_form()
    assert isinstance(form, SessionForm)
    titles = column_texts(form.guides, "guide_id")
    assert titles == ["管氏肿腿蜂防治光肩星天牛", "花后修剪（已删除）", "月季修剪", "榆叶梅修剪"]
    assert all(guide_id not in t for t in titles)
    model = form.guides.model
    grey = model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole)
    assert (
        grey is not None and model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole) is None
    )
    assert "撤销删除即可恢复" in model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole)
    # The session keeps the reference: nothing to save, and a save would keep it.
    assert not form.is_dirty()
    assert guide_id in form.collect().guide_ids
    form.scroll.ensureWidgetVisible(form.guides)
    shoot(window, "session-form-deleted-guide.png")

    # Undo brings the guide back, and the open form shows it normally at once.
    window.undo_action.trigger()
    assert column_texts(form.guides, "guide_id")[1] == "花后修剪"
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole) is None
    assert not form.is_dirty()


def test_guide_form_keeps_a_deleted_team_and_names_deleted_authors(
    window: MainWindow, demo_library: Library
) -> None:
    """Before: the team box fell back to "(no team)" and the next save dropped the team."""
    team_id = ids_of(demo_library, "team")["专业技术服务2队"]
    li = ids_of(demo_library, "member")["李佳"]
    catalog.delete_record(demo_library, "team", team_id)
    catalog.delete_record(demo_library, "member", li)
    guide_id = ids_of(demo_library, "guide")["月季修剪"]
    assert window.select_record("guide", guide_id)
    form = window.shown_form()
    assert isinstance(form, GuideForm)
    assert form.team_combo.currentText() == "专业技术服务2队（已删除）"
    assert column_texts(form.authors, "member_id") == ["周宗宝", "李佳（已删除）"]
    assert not form.is_dirty()

    form.season_edit.setText("花后")
    window.save_action.trigger()

    saved = catalog.load_guide(demo_library, guide_id)
    assert saved.season == "花后"
    assert saved.team_id == team_id and saved.author_ids[1] == li


def test_team_form_names_a_deleted_member(window: MainWindow, demo_library: Library) -> None:
    li = ids_of(demo_library, "member")["李佳"]
    catalog.delete_record(demo_library, "member", li)
    assert window.select_record("team", ids_of(demo_library, "team")["专业技术服务2队"])
    form = window.shown_form()
    assert isinstance(form, TeamForm)
    assert column_texts(form.members, "member_id") == ["周宗宝", "李佳（已删除）"]
