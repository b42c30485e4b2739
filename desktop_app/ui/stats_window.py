"""The Statistics window (Tools ▸ Statistics…): a period's figures, a chart, the sessions behind.

Pick a period (this month, quarter, year, or from–to) and a grouping (team, member, guide): the
table shows one row per group and the total, the notes under it say which sessions were left
out of a figure and why, and the chart shows sessions or trainees by month or by group. A click
on a row or a bar lists the sessions behind it; a double-click on one opens it in the main
window. The export buttons write the workbook, the CSV and the printed ledger of the same
figures. Counting runs on the window's background runner; the services do the work.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _, translator_for
from desktop_app.core.progress import Progress
from desktop_app.core.settings import Settings
from desktop_app.services import listing
from desktop_app.services.reports import period as periods
from desktop_app.services.reports import stats
from desktop_app.ui import file_dialogs
from desktop_app.ui.stats_chart import SESSIONS_COLOUR, TRAINEES_COLOUR, BarChart

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

log = logging.getLogger(__name__)
_Index = QModelIndex | QPersistentModelIndex
SessionIdRole = Qt.ItemDataRole.UserRole + 1

PRESET_LABELS = {
    "month": N_("This month"),
    "quarter": N_("This quarter"),
    "year": N_("This year"),
    "custom": N_("From – to"),
}
GROUP_LABELS = {"team": N_("By team"), "member": N_("By member"), "guide": N_("By guide")}
GROUP_TITLES = {"team": N_("Team"), "member": N_("Member"), "guide": N_("Guide")}
COLUMNS = [
    N_("Sessions"),
    N_("Hours"),
    N_("Trainees"),
    N_("Hosts"),
    N_("Guides"),
    N_("Photos"),
]
NOT_RECORDED = "—"
CHART_GROUPS = 20


class StatsTableModel(QAbstractTableModel):
    """The statistics as a table: one row per group, then the total row.

    The rows are a few dozen figures already counted by the service; cells are formatted
    only when the view asks for them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.result: stats.Statistics | None = None

    def set_result(self, result: stats.Statistics | None) -> None:
        self.beginResetModel()
        self.result = result
        self.endResetModel()

    def figures_at(self, row: int) -> stats.Figures | None:
        if self.result is None or not 0 <= row < self.rowCount():
            return None
        groups = self.result.groups
        return groups[row] if row < len(groups) else self.result.total

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.result is None:
            return 0
        return len(self.result.groups) + 1

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1 + len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == 0:
            return _(GROUP_TITLES[self.result.by if self.result else "team"])
        return _(COLUMNS[section - 1]) if 0 < section <= len(COLUMNS) else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        f = self.figures_at(index.row()) if index.isValid() else None
        if f is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f.name
            values: list[Any] = [
                f.sessions,
                f"{f.hours:.1f}" if f.counted("hours") else NOT_RECORDED,
                f.trainees if f.counted("trainees") else NOT_RECORDED,
                f.hosts,
                f.guides,
                f.photos,
            ]
            return str(values[col - 1])
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and self.result and f is self.result.total:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and f.left_out:
            return "\n".join(f.notes())
        return None


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class StatsWindow(QWidget):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window(), Qt.WindowType.Window)
        self.ctx = ctx
        self.setObjectName("stats_window")
        self.setWindowTitle(_("Statistics"))
        self.result: stats.Statistics | None = None
        self.busy = False

        self.preset_box = QComboBox()
        for key, text in PRESET_LABELS.items():
            self.preset_box.addItem(_(text), key)
        self.preset_box.setCurrentIndex(self.preset_box.findData("year"))
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.group_box = QComboBox()
        for key, text in GROUP_LABELS.items():
            self.group_box.addItem(_(text), key)
        self.chart_box = QComboBox()
        self.chart_box.addItem(_("Sessions by month"), ("month", "sessions"))
        self.chart_box.addItem(_("Trainees by month"), ("month", "trainees"))
        self.chart_box.addItem(_("Sessions by group"), ("group", "sessions"))
        self.chart_box.addItem(_("Trainees by group"), ("group", "trainees"))

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Period")))
        top.addWidget(self.preset_box)
        top.addWidget(self.from_edit)
        top.addWidget(QLabel("–"))
        top.addWidget(self.to_edit)
        top.addSpacing(12)
        top.addWidget(self.group_box)
        top.addStretch(1)
        # The exports in a row of their own, under the figures: beside the period they made
        # the window wider than a 1366×768 screen at large text sizes.
        exports = QHBoxLayout()
        exports.addStretch(1)
        self.xlsx_button = QPushButton(_("Excel…"))
        self.csv_button = QPushButton(_("CSV…"))
        self.pdf_button = QPushButton(_("Service ledger PDF…"))
        self.zip_button = QPushButton(_("Photos (zip)…"))
        for b in (self.xlsx_button, self.csv_button, self.pdf_button, self.zip_button):
            exports.addWidget(b)

        self.model = StatsTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("stats_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.notes = QLabel()
        self.notes.setObjectName("stats_notes")
        self.notes.setWordWrap(True)
        self.chart = BarChart()
        self.sessions_title = QLabel()
        self.sessions = QListWidget()
        self.sessions.setObjectName("stats_sessions")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 3)
        left_layout.addWidget(self.notes)
        left_layout.addWidget(self.sessions_title)
        left_layout.addWidget(self.sessions, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.chart_box)
        right_layout.addWidget(self.chart, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([560, 440])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(exports)
        self.resize(1100, 640)

        self._apply_preset()
        self.preset_box.currentIndexChanged.connect(self._apply_preset)
        self.from_edit.dateChanged.connect(self._dates_edited)
        self.to_edit.dateChanged.connect(self._dates_edited)
        self.group_box.currentIndexChanged.connect(self.recount)
        self.chart_box.currentIndexChanged.connect(self._draw_chart)
        self.table.clicked.connect(lambda index: self.show_row_sessions(index.row()))
        self.chart.barClicked.connect(self.show_bar_sessions)
        self.sessions.itemDoubleClicked.connect(self._open_session)
        self.xlsx_button.clicked.connect(lambda: self.export("xlsx"))
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self.zip_button.clicked.connect(lambda: self.export("zip"))
        self.recount()

    # --- period -----------------------------------------------------------------------------

    def _apply_preset(self) -> None:
        key = self.preset_box.currentData()
        custom = key == "custom"
        self.from_edit.setEnabled(custom)
        self.to_edit.setEnabled(custom)
        if not custom:
            p = periods.preset(key, date.today())
            for edit, value in ((self.from_edit, p.start), (self.to_edit, p.end)):
                edit.blockSignals(True)
                edit.setDate(_qdate(value))
                edit.blockSignals(False)
            self.recount()

    def _dates_edited(self) -> None:
        if self.preset_box.currentData() == "custom":
            self.recount()

    def set_period(self, period: periods.Period, by: str = "team") -> None:
        """Show a from–to period (the window's own controls do the same)."""
        self.preset_box.setCurrentIndex(self.preset_box.findData("custom"))
        self.group_box.blockSignals(True)
        self.group_box.setCurrentIndex(self.group_box.findData(by))
        self.group_box.blockSignals(False)
        for edit, value in ((self.from_edit, period.start), (self.to_edit, period.end)):
            edit.blockSignals(True)
            edit.setDate(_qdate(value))
            edit.blockSignals(False)
        self.recount()

    def period(self) -> periods.Period:
        return periods.Period(_pydate(self.from_edit.date()), _pydate(self.to_edit.date()))

    # --- counting ---------------------------------------------------------------------------

    def recount(self) -> None:
        try:
            period = self.period()
        except UserError as exc:
            self.model.set_result(None)
            self.notes.setText(str(exc))
            self.chart.set_data("", [], [], SESSIONS_COLOUR)
            return
        by = str(self.group_box.currentData())
        library = self.ctx.library

        def op(_progress: Progress) -> stats.Statistics:
            return stats.compute(library, period, by)

        self.ctx.runner.run(op, on_done=self._show, on_error=self._failed)

    def _show(self, result: stats.Statistics) -> None:
        self.result = result
        self.model.set_result(result)
        self._fit_table()
        notes = result.total.notes()
        self.notes.setText(
            "\n".join(notes) if notes else _("No session was left out of any figure.")
        )
        self.sessions.clear()
        self.sessions_title.setText(_("Click a row or a bar to see its sessions."))
        self._draw_chart()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_table)  # once the splitter has its real width

    def _fit_table(self) -> None:
        """Give the table the width its columns need (at 18 pt its last columns hid behind a
        scroll bar while the chart kept room it can do without: its labels turn), up to three
        quarters of the window."""
        header = self.table.horizontalHeader()
        needed = sum(
            max(header.sectionSizeHint(c), self.table.sizeHintForColumn(c))
            for c in range(self.model.columnCount())
        )
        needed += 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        if not self.isVisible():
            return
        total = sum(self.splitter.sizes())
        left = min(needed, total * 3 // 4)
        if left > self.splitter.sizes()[0]:
            self.splitter.setSizes([left, total - left])

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, UserError):
            QMessageBox.warning(self, _("Statistics"), str(exc))
            return
        log.error("statistics failed", exc_info=exc)
        QMessageBox.critical(self, _("Statistics"), _("Internal error; details are in the log."))

    def _draw_chart(self) -> None:
        result = self.result
        if result is None:
            return
        axis, measure = self.chart_box.currentData()
        rows = result.buckets if axis == "month" else self._chart_groups()
        values = [r.sessions if measure == "sessions" else r.trainees for r in rows]
        colour = SESSIONS_COLOUR if measure == "sessions" else TRAINEES_COLOUR
        self.chart.set_data(self.chart_box.currentText(), [r.name for r in rows], values, colour)

    # --- the sessions behind ----------------------------------------------------------------

    def show_row_sessions(self, row: int) -> None:
        f = self.model.figures_at(row)
        if f is None or self.result is None:
            return
        if f is self.result.total:
            ids = stats.sessions_in(self.ctx.library, self.result.period)
        else:
            ids = stats.session_ids(self.ctx.library, self.result.period, self.result.by, f.key)
        self._list_sessions(f.name, ids)

    def show_bar_sessions(self, index: int) -> None:
        result = self.result
        if result is None:
            return
        axis, _measure = self.chart_box.currentData()
        library = self.ctx.library
        self.chart.selected = index
        self.chart.update()
        if axis == "month":
            bucket = result.buckets[index]
            ids = stats.sessions_in(library, stats.bucket_period(result.period, bucket))
            self._list_sessions(bucket.name, ids)
        else:
            group = self._chart_groups()[index]
            self._list_sessions(
                group.name, stats.session_ids(library, result.period, result.by, group.key)
            )

    def _chart_groups(self) -> list[stats.Figures]:
        """The groups drawn as bars: the busiest CHART_GROUPS (fifty teams would not fit)."""
        groups = self.result.groups if self.result else []
        return [g for g in groups if g.key is not None][:CHART_GROUPS]

    def _list_sessions(self, title: str, ids: list[str]) -> None:
        self.sessions.clear()
        self.sessions_title.setText(_("Sessions of {name}: {n}").format(name=title, n=len(ids)))
        rows = listing.fetch_rows(self.ctx.library, "session", ids[:2000])
        for sid in ids[:2000]:
            row = rows.get(sid)
            if row is None:
                continue
            text = "  ".join(str(row.get(k) or "") for k in ("starts_at", "venue", "theme"))
            item = QListWidgetItem(text)
            item.setData(SessionIdRole, sid)
            self.sessions.addItem(item)

    def _open_session(self, item: QListWidgetItem) -> None:
        self.ctx.select_record("session", str(item.data(SessionIdRole)))
        if QGuiApplication.platformName() != "offscreen":  # offscreen warns it cannot raise
            self.ctx.window().raise_()
            self.ctx.window().activateWindow()

    # --- exports ----------------------------------------------------------------------------

    def export(self, kind: str, target: Path | None = None) -> None:
        result = self.result
        if result is None or self.busy:
            return
        p = result.period
        stem = f"{p.start:%Y%m%d}-{p.end:%Y%m%d}"
        names = {
            "xlsx": (_("Service ledger") + f" {stem}.xlsx", _("Excel workbooks (*.xlsx)")),
            "csv": (_("Statistics") + f" {stem}.csv", _("CSV files (*.csv)")),
            "pdf": (_("Service ledger") + f" {stem}.pdf", _("PDF files (*.pdf)")),
            "zip": (_("photos") + f" {stem}.zip", _("Zip files (*.zip)")),
        }
        if target is None:
            default, file_filter = names[kind]
            chosen = file_dialogs.save_file(self, _("Export"), default, file_filter)
            if not chosen:
                return
            target = Path(chosen)
        library = self.ctx.library
        lang = str(Settings().get("handout.language"))
        chosen_target = target

        def op(progress: Progress) -> Path:
            if kind == "zip":
                from desktop_app.services.reports import photo_bundle

                long_edge = int(Settings().get("photos.export_long_edge"))
                return photo_bundle.build_bundle(
                    library, p, chosen_target, long_edge=long_edge, progress=progress
                ).path
            tr = translator_for(lang)
            report = stats.compute(library, p, result.by, tr)
            if kind == "xlsx":
                from desktop_app.services.reports import tables, xlsx

                return xlsx.write_xlsx(chosen_target, tables.all_tables(library, report, tr))
            if kind == "csv":
                from desktop_app.services.reports import csvfile, tables

                return csvfile.write_csv(chosen_target, tables.summary_table(report, tr))
            from desktop_app.services.reports import ledger

            ledger.render_ledger(library, report, chosen_target, tr=tr)
            return chosen_target

        self.busy = True

        def done(path: Path) -> None:
            self.busy = False
            self.sessions_title.setText(_("Wrote {path}.").format(path=path))

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._failed(exc)

        self.ctx.runner.run(op, on_done=done, on_error=failed)
