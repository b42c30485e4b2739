"""A combo box to pick one of thousands: type part of a name to narrow the choices.

A district union's library holds 2,000 guides and 500 members; scrolling a plain combo box for
"月季修剪" is hopeless. Typing 修剪 shows every choice containing it (anywhere in the name, as
Chinese users search); Enter or a click picks one. Text that names no choice is not a choice:
leaving the box puts the current one back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

# Fewer choices than this fit in the drop-down list: a plain combo box is simpler there.
SEARCHABLE_FROM = 16
POPUP_MIN_WIDTH = 380  # pixels


class SearchableComboBox(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer, line = self.completer(), self.lineEdit()
        assert completer is not None and line is not None  # an editable combo has both
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(12)
        popup = completer.popup()
        if popup is not None:
            popup.setMinimumWidth(POPUP_MIN_WIDTH)  # long titles stay readable
        line.setClearButtonEnabled(False)
        line.editingFinished.connect(self.settle)

    def settle(self) -> None:
        """Make the typed text a choice: the one it names exactly, else the current one."""
        text = self.currentText()
        index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            if index != self.currentIndex():
                self.setCurrentIndex(index)
            elif text != self.itemText(index):
                self.setEditText(self.itemText(index))
            return
        self.setEditText(self.itemText(self.currentIndex()))


def combo_for(choices: int, parent: QWidget | None = None) -> QComboBox:
    """A plain combo box for a handful of choices, a searchable one for many."""
    return SearchableComboBox(parent) if choices >= SEARCHABLE_FROM else QComboBox(parent)
