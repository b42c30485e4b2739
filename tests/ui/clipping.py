"""Find text that does not fit its widget: what a user at a large text size would see cut off.

`clipped_texts(window)` walks the visible widgets and returns one line per problem: a label,
button, check box, combo box or field whose text is wider or taller than the room it has, a
sidebar entry or column title that does not fit, or a widget cut off sideways by its parents
(a form wider than its pane, with no horizontal scroll bar to reach the rest).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionComboBox,
    QToolBar,
    QToolButton,
    QWidget,
)

SLACK = 1  # pixels of rounding


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _name(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName() or '-'})"


def _label_problem(label: QLabel) -> str | None:
    text = label.text()
    if not text or (label.pixmap() is not None and not label.pixmap().isNull()):
        return None
    room = label.contentsRect()
    margin = 2 * (label.margin() + max(label.indent(), 0))
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGuiNamespace.mightBeRichText(text)
    )
    if label.wordWrap() or rich:
        if label.wordWrap():
            needed = label.heightForWidth(label.width())
            if needed > label.height() + SLACK:
                return f"{_name(label)} “{text[:40]}” needs {needed}px high, has {label.height()}"
            return None
        document = QTextDocument()
        document.setDefaultFont(label.font())
        document.setHtml(text)
        document.setDocumentMargin(0)
        width = int(document.idealWidth())
    else:
        metrics = QFontMetrics(label.font())
        width = max(metrics.horizontalAdvance(line) for line in _plain(text).split("\n"))
        lines = text.count("\n") + 1
        if metrics.height() * lines > room.height() + SLACK:
            return f"{_name(label)} “{text[:40]}” is {metrics.height()}px high, has {room.height()}"
    if width + margin > room.width() + SLACK:
        return f"{_name(label)} “{text[:40]}” needs {width + margin}px, has {room.width()}"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    text = _plain(button.text())
    if not text:
        return None
    if isinstance(button, QToolButton) and button.toolButtonStyle() == (
        Qt.ToolButtonStyle.ToolButtonIconOnly
    ):
        return None
    hint = button.sizeHint()
    metrics = QFontMetrics(button.font())
    if isinstance(button, (QPushButton, QToolButton)):
        needed_w = metrics.horizontalAdvance(text) + 8  # the frame and a little air
    else:  # check box, radio button: the hint is the indicator plus the text
        needed_w = hint.width()
    if needed_w > button.width() + SLACK or metrics.height() > button.height() + SLACK:
        return f"{_name(button)} “{text}” needs {needed_w}×{metrics.height()}, has {button.size()}"
    return None


def _combo_problem(combo: QComboBox) -> str | None:
    text = combo.currentText()
    if not text or combo.isEditable():
        return None
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    metrics = QFontMetrics(combo.font())
    icon = combo.iconSize().width() + 4 if not combo.itemIcon(combo.currentIndex()).isNull() else 0
    needed = metrics.horizontalAdvance(text) + icon
    if needed > field.width() + SLACK or metrics.height() > field.height() + SLACK:
        return f"{_name(combo)} “{text}” needs {needed}px, has {field.width()}"
    return None


def _line_edit_problem(edit: QLineEdit) -> str | None:
    # A value longer than its field scrolls, as in any field; a hint must be readable whole.
    text = "" if edit.text() else edit.placeholderText()
    if not text:
        return None
    metrics = QFontMetrics(edit.font())
    margins = edit.textMargins()
    # The frame and Qt's own 2px of horizontal margin inside it; the clear button's room.
    room = edit.width() - margins.left() - margins.right() - 2 * 2 - 2 * 2
    if edit.isClearButtonEnabled():
        room -= edit.height()
    needed = metrics.horizontalAdvance(text)
    if needed > room + SLACK or metrics.height() > edit.height() + SLACK:
        return f"{_name(edit)} “{text[:40]}” needs {needed}px, has {room}"
    return None


def _list_problem(view: QListWidget) -> list[str]:
    problems = []
    metrics = QFontMetrics(view.font())
    for row in range(view.count()):
        item = view.item(row)
        rect = view.visualItemRect(item).intersected(view.viewport().rect())
        if rect.isEmpty():
            continue  # scrolled out of view
        lines = item.text().split("\n")  # an item of two lines: the longer one, both high
        needed = max(metrics.horizontalAdvance(line) for line in lines) + 8
        high = metrics.height() * len(lines)
        if needed > rect.width() + SLACK or high > rect.height() + SLACK:
            problems.append(f"{_name(view)} item “{item.text()}” needs {needed}, has {rect}")
    return problems


def _header_problem(header: QHeaderView) -> list[str]:
    problems: list[str] = []
    model = header.model()
    if model is None or header.orientation() != Qt.Orientation.Horizontal:
        return problems
    metrics = QFontMetrics(header.font())
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        text = str(model.headerData(section, Qt.Orientation.Horizontal) or "")
        if not text:
            continue
        # The text, the section's padding, and the sort arrow beside it.
        margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        needed = metrics.horizontalAdvance(text) + 2 * margin
        if header.isSortIndicatorShown() and header.sortIndicatorSection() == section:
            mark = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
            needed += mark + margin
        if needed > header.sectionSize(section) + SLACK:
            problems.append(
                f"{_name(header)} column “{text}” needs {needed}px, has "
                f"{header.sectionSize(section)}"
            )
    return problems


def _shown_rect(widget: QWidget, root: QWidget) -> QRect:
    """The part of `widget` its parents leave on screen, in `root`'s coordinates."""
    rect = QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        rect = rect.intersected(QRect(parent.mapTo(root, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(root.rect())


def _cut_sideways(widget: QWidget, root: QWidget) -> str | None:
    """A widget its parents show only in part, sideways, with no way to scroll to the rest."""
    shown = _shown_rect(widget, root)
    if shown.isEmpty() or shown.width() >= widget.width() - SLACK:
        return None
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, QAbstractScrollArea):
            bar = parent.horizontalScrollBar()
            if bar.isVisible() or isinstance(parent, QAbstractItemView):
                return None  # the rest is reached by scrolling, or it is a cell editor
        if isinstance(parent, (QToolBar, QMenu)):
            return None  # a tool bar moves what does not fit into its » menu
        parent = parent.parentWidget()
    return f"{_name(widget)} shows {shown.width()} of its {widget.width()}px"


def clipped_texts(root: QWidget) -> list[str]:
    """Every visible text in `root` that does not fit, one line each (empty: all fit)."""
    problems: list[str | None] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
            continue
        if widget is not root and _shown_rect(widget, root).isEmpty():
            continue  # scrolled out of view: a scroll bar reaches it
        if isinstance(widget, QLabel):
            problems.append(_label_problem(widget))
        elif isinstance(widget, (QPushButton, QToolButton, QCheckBox, QRadioButton)):
            problems.append(_button_problem(widget))
        elif isinstance(widget, QComboBox):
            problems.append(_combo_problem(widget))
        elif isinstance(widget, QLineEdit) and not isinstance(widget.parentWidget(), QComboBox):
            problems.append(_line_edit_problem(widget))
        elif isinstance(widget, QListWidget):
            problems.extend(_list_problem(widget))
        elif isinstance(widget, QHeaderView):
            problems.extend(_header_problem(widget))
        if widget is not root:
            problems.append(_cut_sideways(widget, root))
    return [p for p in problems if p]
