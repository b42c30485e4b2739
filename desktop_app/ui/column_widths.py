"""Column widths of the record lists: they follow the text size, and a width the user drags
is remembered.

A list's default widths are declared in ems, the width of "中" in the list's font, so at 18 pt
a column is as much wider as the text in it (a date column keeps showing its whole date); a
column is never narrower than its title with the sort arrow. The last column stretches to
fill the list, as before.

Only a width the user chose is remembered: dragging a column's edge (or double-clicking it)
stores that column's width, in ems too, in the layout file (`layout_state.table_widths`), so
it stays the same size relative to the text at every text size. Widths the window sets
itself (a new text size, the last column filling the list, a header state restored from an
older version) are never saved, so a trip to 18 pt and back leaves 12 pt's columns as they
were.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QHeaderView, QStyle, QTableView

from desktop_app.ui import layout_state

# Per list, per column key (storage/kinds.py ListSpec): its width in ems at any text size.
DEFAULT_EMS: dict[str, dict[str, float]] = {
    "team": {"name": 9.5, "category": 7, "parent_union": 7, "members": 4},
    "member": {"name": 5, "honours": 9.5, "specialty": 7.5, "employer": 7.5},
    "guide": {"title": 10.5, "category": 4.5, "season": 6.5, "revision": 4, "updated_at": 8.5},
    "session": {"starts_at": 9.5, "venue": 5.5, "theme": 8, "teams": 7, "photos": 3},
}
FALLBACK_EMS = 7.5  # a column without a declared width


def em(metrics: QFontMetrics) -> int:
    """The width of one Chinese character in a font: the unit of the widths above."""
    return max(1, metrics.horizontalAdvance("中"))


def title_width(header: QHeaderView, section: int) -> int:
    """What a column's title needs: its text, the header's padding, and room for the sort
    arrow (any column may become the sorted one)."""
    model = header.model()
    title = str(model.headerData(section, Qt.Orientation.Horizontal) or "") if model else ""
    style = header.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    arrow = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header) + margin
    metrics = QFontMetrics(QApplication.font(header))
    return metrics.horizontalAdvance(title) + 2 * margin + arrow


class ColumnWidths(QObject):
    """Keeps one record list's column widths (see the module doc); owned by its view."""

    WATCHED = (QEvent.Type.Polish, QEvent.Type.FontChange)

    def __init__(
        self, view: QTableView, kind: str, keys: list[str], settings: layout_state.LayoutSettings
    ) -> None:
        super().__init__(view)
        self.view = view
        self.kind = kind
        self.keys = keys
        self.settings = settings
        self.chosen: dict[str, float] = self._load()
        self._by_user = False  # a mouse button is down on the header: resizes are the user's
        self._applying = False
        header = view.horizontalHeader()
        header.sectionResized.connect(self._resized)
        header.viewport().installEventFilter(self)
        view.installEventFilter(self)
        self.apply()

    # --- widths ----------------------------------------------------------------------------

    def wanted(self, section: int) -> int:
        """The width a column gets at the view's current font."""
        key = self.keys[section]
        ems = self.chosen.get(key, DEFAULT_EMS.get(self.kind, {}).get(key, FALLBACK_EMS))
        header = self.view.horizontalHeader()
        return max(round(ems * em(self.view.fontMetrics())), title_width(header, section))

    def apply(self) -> None:
        header = self.view.horizontalHeader()
        self._applying = True
        try:
            for section in range(min(header.count(), len(self.keys))):
                if header.sectionResizeMode(section) == QHeaderView.ResizeMode.Interactive:
                    header.resizeSection(section, self.wanted(section))
        finally:
            self._applying = False

    # --- the user's widths -----------------------------------------------------------------

    def _load(self) -> dict[str, float]:
        stored = layout_state.load_table_widths(self.settings, self.kind)
        return {k: v for k, v in stored.items() if k in self.keys}

    def _resized(self, section: int, _old: int, new: int) -> None:
        if self._applying or not self._by_user or not 0 <= section < len(self.keys):
            return
        self.chosen[self.keys[section]] = round(new / em(self.view.fontMetrics()), 2)
        layout_state.save_table_widths(self.settings, self.kind, self.chosen)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.view:
            if kind in self.WATCHED:
                self.apply()
        elif kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            self._by_user = True
        elif kind == QEvent.Type.MouseButtonRelease:
            self._by_user = False
        return False


def keep_widths(
    view: QTableView, kind: str, keys: list[str], settings: layout_state.LayoutSettings
) -> ColumnWidths:
    """Give a record list font-following widths and remember the ones the user drags."""
    return ColumnWidths(view, kind, keys, settings)
