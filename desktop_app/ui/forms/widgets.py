"""Editing widgets shared by the record forms.

`RowsModel` is one small table model for every editable list in a form (honours, team members,
guide steps, agenda...): rows are plain dicts, columns say how a value is shown and edited, and
rows can be moved by drag and drop or by buttons. `TableEditor` wraps it in a view with
Add / Remove / Up / Down buttons; `StringListEditor` is the one-column case; `PickDialog` lets
the user pick existing records (members, teams, guides) from a filterable list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.i18n import N_, _
from desktop_app.ui import appearance
from desktop_app.ui.combos import SearchableComboBox, combo_for

_Index = QModelIndex | QPersistentModelIndex
MIME_ROWS = "application/x-jiangxin-rows"
STALE_TIP = N_(
    "This record is no longer in the library (deleted, or never received). The reference is"
    " kept until you remove it from this list; undoing the deletion brings it back."
)


@dataclass(frozen=True)
class Col:
    """One column of a `RowsModel`.

    kind: "text" (free text), "int" (optional whole number, empty = None) or "choice" (a value
    from `RowsModel.options[key]`, a value -> translated label mapping, edited with a combo).
    """

    key: str
    title: str  # already translated
    kind: str = "text"
    editable: bool = True
    stretch: bool = False


class RowsModel(QAbstractTableModel):
    """Editable rows of dicts; extra keys in a row (ids, photo ids) travel along unseen."""

    rowsEdited = Signal()

    def __init__(self, columns: Sequence[Col], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.options: dict[str, dict[str, str]] = {}
        # key -> values whose option names a deleted or unknown record (shown greyed).
        self.stale_values: dict[str, set[str]] = {}
        self._rows: list[dict[str, Any]] = []
        for signal in (
            self.dataChanged,
            self.rowsInserted,
            self.rowsRemoved,
            self.rowsMoved,
            self.modelReset,
        ):
            signal.connect(self.rowsEdited)

    # --- content ----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = [dict(r) for r in rows]
        self.endResetModel()

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._rows]

    def row_dict(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def append(self, row: dict[str, Any]) -> int:
        position = len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.append(dict(row))
        self.endInsertRows()
        return position

    def set_value(self, row: int, key: str, value: Any) -> None:
        if self._rows[row].get(key) == value:
            return
        self._rows[row][key] = value
        column = next((i for i, c in enumerate(self.columns) if c.key == key), 0)
        index = self.index(row, column)
        self.dataChanged.emit(index, index)

    def set_choices(
        self, key: str, live: dict[str, str], stale: dict[str, str] | None = None
    ) -> None:
        """The labels of a "choice" column: `live` are the records one can choose; `stale`
        labels the values the rows hold that name a deleted or unknown record (marked as such,
        never shown as an id)."""
        options = dict(live)
        options.update(stale or {})
        self.options[key] = options
        self.stale_values[key] = set(stale or {})
        if self._rows:
            last = self.index(len(self._rows) - 1, len(self.columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def is_stale(self, key: str, value: Any) -> bool:
        return str(value) in self.stale_values.get(key, ())

    def label_for(self, key: str, value: Any) -> str:
        if value is None:
            return ""
        options = self.options.get(key)
        if options is not None:
            return options.get(str(value), str(value))
        return str(value)

    # --- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        col = self.columns[index.column()]
        value = self._rows[index.row()].get(col.key)
        if role == Qt.ItemDataRole.ToolTipRole and self.is_stale(col.key, value):
            return "\n".join((self.label_for(col.key, value), _(STALE_TIP)))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.label_for(col.key, value)
        if role == Qt.ItemDataRole.ForegroundRole and self.is_stale(col.key, value):
            return appearance.colour("deleted")  # a deleted record: its marked name, greyed
        if role == Qt.ItemDataRole.EditRole:
            if col.kind == "int":
                return "" if value is None else str(value)
            return "" if value is None else value
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        col = self.columns[index.column()]
        if not col.editable:
            return False
        if col.kind == "int":
            text = str(value).strip() if value is not None else ""
            if not text:
                value = None
            else:
                try:
                    value = int(text)
                except ValueError:
                    return False
        elif value is None:
            value = ""
        row = self._rows[index.row()]
        if row.get(col.key) == value:
            return True
        row[col.key] = value
        self.dataChanged.emit(index, index)
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            # Drops land between rows, never on one (that would mean "replace").
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = (
            Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDragEnabled
        )
        if self.columns[index.column()].editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def insertRows(self, row: int, count: int, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or not 0 <= row <= len(self._rows) or count < 1:
            return False
        self.beginInsertRows(QModelIndex(), row, row + count - 1)
        for _i in range(count):
            self._rows.insert(row, {c.key: None if c.kind == "int" else "" for c in self.columns})
        self.endInsertRows()
        return True

    def removeRows(self, row: int, count: int, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or row < 0 or count < 1 or row + count > len(self._rows):
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        del self._rows[row : row + count]
        self.endRemoveRows()
        return True

    def moveRows(
        self,
        source_parent: _Index,
        source_row: int,
        count: int,
        destination_parent: _Index,
        destination_child: int,
    ) -> bool:
        """Move rows so that they end up before the row that was at `destination_child`."""
        n = len(self._rows)
        if (
            source_parent.isValid()
            or destination_parent.isValid()
            or count < 1
            or source_row < 0
            or source_row + count > n
            or not 0 <= destination_child <= n
            or source_row <= destination_child <= source_row + count
        ):
            return False
        if not self.beginMoveRows(
            QModelIndex(), source_row, source_row + count - 1, QModelIndex(), destination_child
        ):
            return False
        moving = self._rows[source_row : source_row + count]
        del self._rows[source_row : source_row + count]
        insert_at = (
            destination_child - count if destination_child > source_row else destination_child
        )
        self._rows[insert_at:insert_at] = moving
        self.endMoveRows()
        return True

    def move_row(self, row: int, to: int) -> bool:
        """Move one row so that it ends up at index `to` (what Up/Down buttons need)."""
        if row == to or not 0 <= row < len(self._rows) or not 0 <= to < len(self._rows):
            return False
        destination = to + 1 if to > row else to
        return self.moveRows(QModelIndex(), row, 1, QModelIndex(), destination)

    # --- drag and drop (reorder within the same list) ---------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_ROWS]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        mime.setData(MIME_ROWS, QByteArray(json.dumps({"model": id(self), "rows": rows}).encode()))
        return mime

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: _Index,
    ) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME_ROWS):
            return False
        try:
            payload = json.loads(bytes(data.data(MIME_ROWS).data()).decode())
            rows = [int(r) for r in payload["rows"]]
        except (ValueError, KeyError, TypeError):
            return False
        if payload.get("model") != id(self) or not rows:
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._rows)
        first = rows[0]
        if rows != list(range(first, first + len(rows))):
            return False
        self.moveRows(QModelIndex(), first, len(rows), QModelIndex(), row)
        # False on purpose: the move is done; True would make the view remove the source rows.
        return False


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box for "choice" columns: shows labels, stores values."""

    def __init__(self, model: RowsModel, key: str, parent: Any = None) -> None:
        super().__init__(parent)
        self._model = model
        self._key = key

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:
        current = str(index.data(Qt.ItemDataRole.EditRole))
        # Deleted records are not offered, except the one this row already names (so that
        # opening the editor does not quietly change it).
        options = {
            value: text
            for value, text in self._model.options.get(self._key, {}).items()
            if value == current or not self._model.is_stale(self._key, value)
        }
        combo = combo_for(len(options), parent)  # 2,000 guides: type to find one
        for value, text in options.items():
            combo.addItem(text, value)
        return combo

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: _Index
    ) -> None:
        # A narrow column ("讲解" under "分工") must not clip the combo box to "讲|": the
        # editor takes the room its longest choice needs, over the next cell while open.
        rect = option.rect
        rect.setWidth(max(rect.width(), editor.sizeHint().width()))
        editor.setGeometry(rect)

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(self, editor: QWidget, model: Any, index: _Index) -> None:
        assert isinstance(editor, QComboBox)
        if isinstance(editor, SearchableComboBox):
            # Enter commits before the combo box itself has seen the typed name.
            editor.settle()
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class RowsView(QTableView):
    """A table for a `RowsModel`: one row selected at a time, drag to reorder."""

    def __init__(self, model: RowsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.verticalHeader().setDefaultSectionSize(appearance.row_height(self.fontMetrics()))
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        for i, col in enumerate(model.columns):
            if col.kind == "choice" and col.editable:
                self.setItemDelegateForColumn(i, ChoiceDelegate(model, col.key, self))
            mode = (
                QHeaderView.ResizeMode.Stretch
                if col.stretch
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(i, mode)
        if not any(c.stretch for c in model.columns):
            header.setStretchLastSection(True)


class TableEditor(QWidget):
    """A `RowsView` with Add / Remove / Move up / Move down buttons under it.

    `on_add` returns the rows to append (e.g. after a pick dialog), or None to append one empty
    row and start editing it. The view grows with its rows (between `min_rows` and `max_rows`
    visible rows) so that short lists keep the form compact.
    """

    changed = Signal()

    def __init__(
        self,
        columns: Sequence[Col],
        *,
        on_add: Callable[[], list[dict[str, Any]] | None] | None = None,
        add_text: str | None = None,
        min_rows: int = 2,
        max_rows: int = 7,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = RowsModel(columns, self)
        self.view = RowsView(self.model, self)
        self._on_add = on_add
        self.min_rows = min_rows
        self.max_rows = max_rows

        self.add_button = QPushButton(add_text or _("Add"))
        self.remove_button = QPushButton(_("Remove"))
        self.up_button = QPushButton(_("Move up"))
        self.down_button = QPushButton(_("Move down"))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.view)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove_current)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(+1))
        self.model.rowsEdited.connect(self.changed)
        self.model.rowsEdited.connect(self._update_buttons)
        self.model.rowsInserted.connect(self._fit_height)
        self.model.rowsRemoved.connect(self._fit_height)
        self.model.modelReset.connect(self._fit_height)
        # The header fits its columns to what they hold only when it lays itself out again;
        # a name added just now ("周志峰") would show as "周…" until then.
        for signal in (self.model.rowsInserted, self.model.modelReset, self.model.dataChanged):
            signal.connect(self._fit_columns)
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self._update_buttons())
        self._update_buttons()
        self._fit_height()

    def _fit_height(self, *_args: Any) -> None:
        visible = max(self.min_rows, min(self.model.rowCount() + 1, self.max_rows))
        header = self.view.horizontalHeader()
        header_height = header.sizeHint().height() if not header.isHidden() else 0
        frame = 2 * self.view.frameWidth()
        row = self.view.verticalHeader().defaultSectionSize()  # follows the text size
        height = header_height + visible * row + frame + 2
        if self.view.height() != height:
            self.view.setFixedHeight(height)
            # Re-place the buttons under the view now, even when this editor keeps its size.
            layout = self.layout()
            if layout is not None:
                layout.invalidate()
                layout.activate()
            self.updateGeometry()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # View → text size
            row = appearance.row_height(self.view.fontMetrics())
            self.view.verticalHeader().setDefaultSectionSize(row)
            self._fit_height()

    def _fit_columns(self, *_args: Any) -> None:
        for i, col in enumerate(self.model.columns):
            if not col.stretch:
                self.view.resizeColumnToContents(i)

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.model.set_rows(rows)

    def rows(self) -> list[dict[str, Any]]:
        return self.model.rows()

    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.view.selectRow(row)
            self.view.setCurrentIndex(self.model.index(row, 0))

    def add(self) -> None:
        if self._on_add is not None:
            new_rows = self._on_add()
            if new_rows is not None:
                for new_row in new_rows:
                    self.select_row(self.model.append(new_row))
                return
        row = self.model.rowCount()
        self.model.insertRows(row, 1)
        self.select_row(row)
        first_editable = next((i for i, c in enumerate(self.model.columns) if c.editable), None)
        if first_editable is not None and self.isVisible():
            self.view.edit(self.model.index(row, first_editable))

    def remove_current(self) -> None:
        row = self.current_row()
        if row >= 0:
            self.model.removeRows(row, 1)
            self.select_row(min(row, self.model.rowCount() - 1))

    def move_current(self, delta: int) -> None:
        row = self.current_row()
        if row >= 0 and self.model.move_row(row, row + delta):
            self.select_row(row + delta)

    def _update_buttons(self) -> None:
        row = self.current_row()
        n = self.model.rowCount()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < n - 1)


class StringListEditor(TableEditor):
    """An ordered list of short texts (expertise areas, materials, key points...)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__([Col("text", title, stretch=True)], parent=parent)
        self.view.horizontalHeader().setVisible(False)
        self._fit_height()

    def set_values(self, values: Sequence[str]) -> None:
        self.set_rows([{"text": v} for v in values])

    def values(self) -> list[str]:
        return [
            str(r.get("text") or "").strip()
            for r in self.rows()
            if str(r.get("text") or "").strip()
        ]


class PickDialog(QDialog):
    """Pick one or more existing records by name, with a filter box."""

    def __init__(
        self,
        title: str,
        options: dict[str, str],
        *,
        exclude: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(420, 480)
        self.source = QStandardItemModel(self)
        for record_id, name in options.items():
            if record_id in exclude:
                continue
            item = QStandardItem(name)
            item.setData(record_id, Qt.ItemDataRole.UserRole)
            item.setEditable(False)
            self.source.appendRow(item)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText(_("Type to filter…"))
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self._filter)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.doubleClicked.connect(lambda _i: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if not self.source.rowCount():
            layout.addWidget(QLabel(_("There is nothing left to pick.")))
        layout.addWidget(self.filter_box)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        # What Enter (OK) takes: the first match is highlighted unless a match already is.
        if not self.list.selectionModel().selectedRows() and self.proxy.rowCount():
            self.list.selectionModel().setCurrentIndex(
                self.proxy.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect,
            )

    def selected_ids(self) -> list[str]:
        rows = sorted(self.list.selectionModel().selectedRows(), key=lambda i: i.row())
        if not rows and self.list.currentIndex().isValid():
            rows = [self.list.currentIndex()]  # highlighted but not selected: that one
        return [str(self.proxy.data(i, Qt.ItemDataRole.UserRole)) for i in rows]


def pick_records(
    parent: QWidget | None, title: str, options: dict[str, str], exclude: Sequence[str] = ()
) -> list[str]:
    """Ask the user to pick records; an empty list when cancelled. Tests monkeypatch this."""
    dialog = PickDialog(title, options, exclude=exclude, parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return []
    return dialog.selected_ids()
