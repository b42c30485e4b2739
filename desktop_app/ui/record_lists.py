"""The record lists of the main window: its sections and one sortable table per kind.

`SECTIONS` are the sidebar's entries in order; `make_record_table` builds a section's lazy,
id-backed table (`models.RecordTableModel`) with column widths that follow the text size
(`column_widths`) and header sort arrows the way users read them (`SortArrowStyle`);
`select_row` selects a record in one. The window wires them to the record pane and remembers
their column layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionHeader,
    QTableView,
    QWidget,
)

from desktop_app.core.i18n import N_
from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.ui import appearance, column_widths, layout_state
from desktop_app.ui.models import RecordTableModel


@dataclass(frozen=True)
class Section:
    kind: str
    title: str  # N_-marked


SECTIONS = [
    Section("team", N_("Service teams")),
    Section("member", N_("Model workers")),
    Section("guide", N_("Skill guides")),
    Section("session", N_("Field sessions")),
]


class SortArrowStyle(QProxyStyle):
    """Header sort arrows the way users read them: ▲ ascending (oldest, A first), ▼
    descending (newest first). Qt draws them the other way round (its old Motif habit)."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow and isinstance(
            option, QStyleOptionHeader
        ):
            flipped = QStyleOptionHeader(option)
            up, down = (
                QStyleOptionHeader.SortIndicator.SortUp,
                QStyleOptionHeader.SortIndicator.SortDown,
            )
            if option.sortIndicator == up:
                flipped.sortIndicator = down
            elif option.sortIndicator == down:
                flipped.sortIndicator = up
            option = flipped
        super().drawPrimitive(element, option, painter, widget)


def make_record_table(
    library: Library, kind: str, parent: QObject, settings: layout_state.LayoutSettings
) -> tuple[RecordTableModel, QTableView]:
    """A section's list: sorted as `listing.DEFAULT_SORT` says, rows selected whole, its
    column widths following the text size and remembered when the user drags them
    (`column_widths`)."""
    model = RecordTableModel(library, kind, parent)
    view = QTableView()
    view.setObjectName(f"table_{kind}")
    view.setModel(model)
    default_key, descending = listing.DEFAULT_SORT[kind]
    keys = [c.key for c in model.columns]
    view.horizontalHeader().setSortIndicator(
        keys.index(default_key),
        Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder,
    )
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(appearance.row_height(view.fontMetrics()))
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultSectionSize(120)
    view.horizontalHeader().setSortIndicatorShown(True)
    arrows = SortArrowStyle()
    arrows.setParent(view.horizontalHeader())  # owned by the header, gone with it
    view.horizontalHeader().setStyle(arrows)
    column_widths.keep_widths(view, kind, keys, settings)
    return model, view


def select_row(table: QTableView, model: RecordTableModel, record_id: str) -> bool:
    """Select (and scroll to) `record_id`'s row; False when the list does not show it."""
    row = model.row_of(record_id)
    if row < 0:
        return False
    index = model.index(row, 0)
    table.selectionModel().setCurrentIndex(
        index,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    table.scrollTo(index)
    return True
