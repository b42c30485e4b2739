"""The session form edits times as the wall time of the session's place, in its zone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone
from PySide6.QtWidgets import QMessageBox

from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library
from desktop_app.ui.forms.session import SessionForm
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner


def _unexpected_dialog(*args: Any) -> Any:
    raise AssertionError(f"unexpected dialog: {args[1:3]}")


@pytest.fixture
def new_york() -> Iterator[None]:
    """The laptop's clock is in New York, where 09:30 Beijing is 21:30 the day before."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def window(
    new_york: None, demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, _unexpected_dialog)
    win = MainWindow(demo_library, runner=SynchronousRunner())
    win.resize(1366, 768)
    win.show()
    win.sidebar.setCurrentRow(3)
    yield win
    form = win.shown_form()
    if form is not None and form.is_dirty():
        form.revert()
    win.close()
    win.deleteLater()
    qtbot.wait(1)


def wall(edit_value: QDateTime) -> str:
    return edit_value.toString("yyyy-MM-dd HH:mm")


def open_demo(window: MainWindow, library: Library) -> tuple[SessionForm, str]:
    (sid,) = listing.list_ids(library, "session")
    assert window.select_record("session", sid)
    form = window.shown_form()
    assert isinstance(form, SessionForm)
    return form, sid


def test_the_form_shows_and_saves_the_places_wall_time(
    window: MainWindow, demo_library: Library
) -> None:
    form, sid = open_demo(window, demo_library)
    before = catalog.load_session(demo_library, sid)
    assert wall(form.starts_edit.dateTime()) == "2025-08-15 09:30"
    assert wall(form.ends_edit.dateTime()) == "2025-08-15 11:30"
    assert form.zone_combo.zone_name() == "Asia/Shanghai"
    assert form.zone_combo.currentText() == "Beijing time (UTC+08:00)"
    assert not form.is_dirty()
    # Untouched, the times round-trip to the same instants.
    data = form.collect()
    assert (data.starts_at, data.ends_at, data.time_zone) == (
        before.starts_at,
        before.ends_at,
        "Asia/Shanghai",
    )

    # Move the start to 10:00 at the place and save: 02:00 UTC, whatever New York says.
    form.starts_edit.setDateTime(QDateTime(QDate(2025, 8, 15), QTime(10, 0), QTimeZone.utc()))
    assert form.is_dirty()
    assert form.save() is True
    saved = catalog.load_session(demo_library, sid)
    assert saved.starts_at == datetime(2025, 8, 15, 2, 0, tzinfo=UTC)
    assert saved.ends_at == before.ends_at
    (row,) = listing.list_rows(demo_library, "session")
    assert row["starts_at"] == "2025-08-15 10:00"


def test_choosing_another_zone_keeps_the_wall_time_on_screen(
    window: MainWindow, demo_library: Library
) -> None:
    form, sid = open_demo(window, demo_library)
    combo = form.zone_combo
    combo.setCurrentIndex(combo.findData("Asia/Tokyo"))
    assert combo.currentText() == "Tokyo (UTC+09:00)"
    assert form.is_dirty()
    assert form.save() is True
    saved = catalog.load_session(demo_library, sid)
    assert saved.time_zone == "Asia/Tokyo"
    assert saved.starts_at == datetime(2025, 8, 15, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo
    form.load(sid)
    assert wall(form.starts_edit.dateTime()) == "2025-08-15 09:30"

    # A zone typed by its IANA name, beyond the common ones, is found too.
    combo.setEditText("Asia/Kathmandu")
    assert combo.zone_name() == "Asia/Kathmandu"
    # Text that names no zone is not a choice: the box goes back to the current one.
    combo.setEditText("Atlantis")
    assert combo.zone_name() == "Asia/Kathmandu"


def test_a_new_session_takes_the_laptops_zone(window: MainWindow) -> None:
    window.new_action.trigger()
    form = window.forms["session"]
    assert form.zone_combo.zone_name() == "America/New_York"
    now = datetime.now(UTC)
    start = form.collect().starts_at
    assert abs((start - now).total_seconds()) < 120  # the editors show New York's "now"


def test_the_date_filter_takes_days_in_the_home_zone(
    window: MainWindow, demo_library: Library
) -> None:
    # 07:00 in Beijing on the 16th is 19:00 on the 15th in New York, where the laptop is.
    catalog.save_session(
        demo_library,
        catalog.SessionData(
            starts_at=datetime(2025, 8, 15, 23, 0, tzinfo=UTC),
            theme="清晨嫁接示范",
            time_zone="Asia/Shanghai",
        ),
    )
    window.refresh()
    bar = window.session_filters
    bar.from_date.setDate(QDate(2025, 8, 16))
    bar.to_date.setDate(QDate(2025, 8, 16))
    bar.from_check.setChecked(True)
    bar.to_check.setChecked(True)
    model = window.models["session"]
    rows = [
        (model.data(model.index(r, 0)), model.data(model.index(r, 2)))
        for r in range(model.rowCount())
    ]
    assert rows == [("2025-08-16 07:00", "清晨嫁接示范")]
