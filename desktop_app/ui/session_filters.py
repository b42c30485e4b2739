"""Filters above the session list: by team, by guide covered, and by date range."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from desktop_app.core.i18n import _
from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.ui.combos import SearchableComboBox

POPUP_MAX_WIDTH = 640  # a drop-down list wider than this would cover the form


class SessionFilterBar(QWidget):
    changed = Signal()

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        # Type to find: a large library has 50 teams and 2,000 guides.
        self.team_combo = SearchableComboBox()
        self.team_combo.setObjectName("filter_team")
        self.guide_combo = SearchableComboBox()
        self.guide_combo.setObjectName("filter_guide")
        for combo in (self.team_combo, self.guide_combo):
            combo.currentIndexChanged.connect(lambda _i, c=combo: c.setToolTip(c.currentText()))
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        today = QDate.currentDate()
        self.from_check = QCheckBox(_("From"))
        self.from_date = QDateEdit(today.addMonths(-12))
        self.to_check = QCheckBox(_("To"))
        self.to_date = QDateEdit(today)
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.from_check.toggled.connect(self.from_date.setEnabled)
        self.to_check.toggled.connect(self.to_date.setEnabled)
        self.clear_button = QPushButton(_("Clear filters"))

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 4)
        grid.addWidget(self.team_combo, 0, 0, 1, 2)
        grid.addWidget(self.guide_combo, 0, 2, 1, 2)
        grid.addWidget(self.from_check, 1, 0)
        grid.addWidget(self.from_date, 1, 1)
        grid.addWidget(self.to_check, 1, 2)
        grid.addWidget(self.to_date, 1, 3)
        grid.addWidget(self.clear_button, 0, 4, 2, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.reload_options()
        for signal in (
            self.team_combo.currentIndexChanged,
            self.guide_combo.currentIndexChanged,
            self.from_check.toggled,
            self.to_check.toggled,
            self.from_date.dateChanged,
            self.to_date.dateChanged,
        ):
            signal.connect(self._emit_changed)
        self.clear_button.clicked.connect(self.clear)

    def _emit_changed(self, *_args: Any) -> None:
        self.changed.emit()

    @staticmethod
    def _fill(combo: QComboBox, everything: str, options: dict[str, str]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for record_id, name in options.items():
            combo.addItem(name, record_id)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)
        # The list drops down as wide as its longest name (up to a limit), not as narrow as
        # the box: guide titles are long. The box's own text is elided; its tooltip is whole.
        metrics = combo.view().fontMetrics()
        widest = max(
            (metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())), default=0
        )
        combo.view().setMinimumWidth(min(widest + 48, POPUP_MAX_WIDTH))
        combo.setToolTip(combo.currentText())

    def reload_options(self) -> None:
        """Re-read the teams and guides (after edits), keeping the current choices."""
        teams = listing.display_names(self.library, "team")
        guides = listing.display_names(self.library, "guide")
        self._fill(self.team_combo, _("All teams"), teams)
        self._fill(self.guide_combo, _("All guides"), guides)

    def clear(self) -> None:
        self.blockSignals(True)
        self.team_combo.setCurrentIndex(0)
        self.guide_combo.setCurrentIndex(0)
        self.from_check.setChecked(False)
        self.to_check.setChecked(False)
        self.blockSignals(False)
        self.changed.emit()

    def filter_for(self, text: str) -> listing.ListFilter:
        """The list filter for the session list: whole days, both inclusive, each session's
        day taken at its place (as the date column shows it), whatever the laptop's zone."""
        first_day = _day(self.from_date.date()) if self.from_check.isChecked() else None
        last_day = _day(self.to_date.date()) if self.to_check.isChecked() else None
        return listing.ListFilter(
            text=text,
            team_id=self.team_combo.currentData(),
            guide_id=self.guide_combo.currentData(),
            first_day=first_day,
            last_day=last_day,
        )


def _day(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())
