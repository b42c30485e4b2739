"""Type-to-find combo boxes: the session filters and the pickers in the forms' tables."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.ui.combos import SEARCHABLE_FROM, SearchableComboBox, combo_for
from desktop_app.ui.session_filters import SessionFilterBar


def test_typing_part_of_a_title_narrows_the_choices(demo_library: Library, qtbot: Any) -> None:
    bar = SessionFilterBar(demo_library)
    qtbot.addWidget(bar)
    combo = bar.guide_combo
    assert isinstance(combo, SearchableComboBox)
    completer = combo.completer()
    completer.setCompletionPrefix("修剪")  # anywhere in the title, not only at the start
    found = {
        completer.completionModel().index(r, 0).data() for r in range(completer.completionCount())
    }
    assert found == {"榆叶梅修剪", "月季修剪", "花后修剪"}


def test_enter_picks_the_named_choice_and_filters(demo_library: Library, qtbot: Any) -> None:
    bar = SessionFilterBar(demo_library)
    qtbot.addWidget(bar)
    bar.show()
    guides = {name: gid for gid, name in listing.display_names(demo_library, "guide").items()}
    with qtbot.waitSignal(bar.changed):
        combo = bar.guide_combo
        combo.lineEdit().setText("月季修剪")  # keyClicks() sends only ASCII
        QTest.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert combo.currentData() == guides["月季修剪"]
    assert bar.filter_for("").guide_id == guides["月季修剪"]


def test_text_that_names_nothing_puts_the_choice_back(demo_library: Library, qtbot: Any) -> None:
    bar = SessionFilterBar(demo_library)
    qtbot.addWidget(bar)
    combo = bar.team_combo
    combo.setCurrentIndex(2)
    chosen = combo.currentText()
    combo.setEditText("没有这个队")
    combo.settle()
    assert combo.currentIndex() == 2 and combo.currentText() == chosen
    combo.setEditText(combo.itemText(1))  # typed exactly: becomes the choice
    combo.settle()
    assert combo.currentIndex() == 1


def test_small_choice_lists_stay_plain(qtbot: Any) -> None:
    assert not isinstance(combo_for(3), SearchableComboBox)
    assert isinstance(combo_for(SEARCHABLE_FROM), SearchableComboBox)


def test_a_typed_name_in_a_table_picker_is_what_gets_saved(qtbot: Any) -> None:
    from PySide6.QtWidgets import QStyleOptionViewItem, QWidget

    from desktop_app.ui.forms.widgets import ChoiceDelegate, Col, RowsModel

    model = RowsModel([Col("guide_id", "Guide", kind="choice")])
    model.options["guide_id"] = {f"g{i}": f"指南{i:02d}" for i in range(40)}
    model.set_rows([{"guide_id": "g1"}])
    delegate = ChoiceDelegate(model, "guide_id")
    parent = QWidget()
    qtbot.addWidget(parent)
    index = model.index(0, 0)
    editor = delegate.createEditor(parent, QStyleOptionViewItem(), index)
    assert isinstance(editor, SearchableComboBox)
    delegate.setEditorData(editor, index)
    editor.setEditText("指南27")  # typed, then Enter: the delegate commits at once
    delegate.setModelData(editor, model, index)
    assert model.rows()[0]["guide_id"] == "g27"
    editor.setEditText("没有这个")
    delegate.setModelData(editor, model, index)
    assert model.rows()[0]["guide_id"] == "g27"  # text naming nothing changes nothing
