"""Widgets sized from their text in the current font, so nothing is cut off at large text
sizes (View → text size goes up to 18 pt on a 1366×768 screen).

Qt sizes most widgets from their text already; these are the ones it does not: a list whose
width was a fixed number of pixels, a field whose hint (placeholder) is longer than the
field, a choice box in Qt's own item dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

LIST_SHARE = 0.4  # a side list takes at most this share of the screen's width


def longest_line(widget: QWidget, texts: list[str]) -> int:
    """The width of the longest line of `texts` in the widget's font."""
    metrics = widget.fontMetrics()
    lines = [line for text in texts for line in text.split("\n")]
    return max((metrics.horizontalAdvance(line) for line in lines), default=0)


def fit_list_width(view: QListWidget, *, at_least: int = 0, fixed: bool = False) -> int:
    """Make a list at least as wide as its longest item line (at most `LIST_SHARE` of the
    screen: a longer line ends in "…", its tooltip has it whole); returns the width."""
    texts = [view.item(row).text() for row in range(view.count())]
    # The item's padding, the spacing on both sides, the frame and room for a scroll bar.
    extra = 8 + 2 * view.spacing() + 2 * view.frameWidth()
    extra += view.verticalScrollBar().sizeHint().width()
    screen = view.screen()
    cap = int(screen.availableGeometry().width() * LIST_SHARE) if screen is not None else 600
    width = min(max(at_least, longest_line(view, texts) + extra), cap)
    view.setMinimumWidth(width)
    if fixed:
        view.setMaximumWidth(width)
    return width


def fit_placeholder(edit: QLineEdit) -> None:
    """Make a field wide enough to show its hint (placeholder) whole."""
    text = edit.placeholderText()
    if not text:
        return
    margins = edit.textMargins()
    # The frame and Qt's own 2 px of margin inside it, on both sides; the clear button.
    needed = edit.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + 10
    if edit.isClearButtonEnabled():
        needed += edit.sizeHint().height()
    edit.setMinimumWidth(max(edit.minimumWidth(), needed))


def ask_item(
    parent: QWidget | None, title: str, label: str, items: list[str], current: int = 0
) -> str | None:
    """`QInputDialog.getItem` whose choice box is as wide as its longest choice (Qt's own
    box may cut a long one short); None when cancelled."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setComboBoxItems(items)
    dialog.setComboBoxEditable(False)
    if 0 <= current < len(items):
        dialog.setTextValue(items[current])
    for box in dialog.findChildren(QComboBox):
        option = QStyleOptionComboBox()
        box.initStyleOption(option)
        text = QSize(longest_line(box, items), box.fontMetrics().height())
        full = box.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, text, box)
        box.setMinimumWidth(full.width())
    accepted = dialog.exec() == QInputDialog.DialogCode.Accepted
    value = dialog.textValue()
    dialog.deleteLater()
    return value if accepted else None
