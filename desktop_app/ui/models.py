"""Id-backed lazy table models (in the spirit of Anki's browser table).

The model holds the ids of the matching records in display order (one SQL query, filtered and
sorted in SQL) and exposes them to the view in batches through `canFetchMore`/`fetchMore`.
Display rows are built only for ids the view asks about, a page at a time, and cached in a
bounded cache.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from desktop_app.core.i18n import _
from desktop_app.services import listing
from desktop_app.storage.library import Library

IdRole = Qt.ItemDataRole.UserRole + 1
RevisionRole = Qt.ItemDataRole.UserRole + 2

BATCH = 200  # rows exposed to the view per fetchMore
PAGE = 100  # rows built per database round trip
CACHE_ROWS = 2000  # display rows kept in memory

_Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel):
    def __init__(self, library: Library, kind: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.library = library
        self.kind = kind
        self.columns = listing.COLUMNS[kind]
        self.filter = listing.ListFilter()
        self._sort_key: str | None = None
        self._descending: bool | None = None
        self._ids: list[str] = []
        self._loaded = 0
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.reload()

    # --- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-run the id query (after an edit, a filter or a sort) and drop cached rows."""
        self.beginResetModel()
        self._ids = listing.list_ids(
            self.library, self.kind, self.filter, sort=self._sort_key, descending=self._descending
        )
        self._loaded = min(BATCH, len(self._ids))
        self._cache.clear()
        self.endResetModel()

    def set_filter(self, flt: listing.ListFilter) -> None:
        self.filter = flt
        self.reload()

    def total_count(self) -> int:
        return len(self._ids)

    def loaded_count(self) -> int:
        return self._loaded

    def cached_row_count(self) -> int:
        return len(self._cache)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._loaded < len(self._ids)

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = min(BATCH, len(self._ids) - self._loaded)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._loaded, self._loaded + more - 1)
        self._loaded += more
        self.endInsertRows()

    def _row(self, row: int) -> dict[str, Any]:
        record_id = self._ids[row]
        cached = self._cache.get(record_id)
        if cached is not None:
            self._cache.move_to_end(record_id)
            return cached
        start = (row // PAGE) * PAGE
        page_ids = self._ids[start : min(start + PAGE, len(self._ids))]
        fetched = listing.fetch_rows(self.library, self.kind, page_ids)
        for rid in page_ids:
            self._cache[rid] = fetched.get(rid, {"id": rid})
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return self._cache[record_id]

    # --- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._loaded:
            return None
        if role == IdRole:
            return self._ids[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            row = self._row(index.row())
            value = listing.display_value(self.columns[index.column()], row)
            return "" if value is None else str(value)
        if role == RevisionRole:
            return self._row(index.row()).get("revision")
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return _(self.columns[section].title)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        wanted = (self.columns[column].key, order == Qt.SortOrder.DescendingOrder)
        default_key, default_desc = listing.DEFAULT_SORT[self.kind]
        current = (
            self._sort_key or default_key,
            default_desc if self._descending is None else self._descending,
        )
        self._sort_key, self._descending = wanted
        # The view sorts once when sorting is enabled and again when its header state is
        # restored: re-running the id query of a 20,000-row list for the same order is waste.
        if wanted != current:
            self.reload()

    # --- helpers for the window -------------------------------------------------------------

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < self._loaded else None

    def row_of(self, record_id: str) -> int:
        """Row of an id, loading more rows if needed; -1 when the id is not in the list."""
        try:
            row = self._ids.index(record_id)
        except ValueError:
            return -1
        while row >= self._loaded:
            self.fetchMore()
        return row
