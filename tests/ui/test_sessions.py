"""The field-session section: list filters, the session form, and new session from template."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt
from PySide6.QtWidgets import QMessageBox

from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library
from desktop_app.ui.forms import widgets
from desktop_app.ui.forms.session import SessionForm
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner

BEIJING = timezone(timedelta(hours=8))


def _unexpected_dialog(*args: Any) -> Any:
    raise AssertionError(f"unexpected dialog: {args[1:3]}")


@pytest.fixture
def window(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, _unexpected_dialog)
    win = MainWindow(demo_library, runner=SynchronousRunner())  # no job outlives a test
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


def ids(library: Library, kind: str, key: str = "name") -> dict[str, str]:
    return {r[key]: r["id"] for r in listing.list_rows(library, kind)}


def listed(window: MainWindow) -> list[str]:
    model = window.models["session"]
    return [model.data(model.index(r, 2)) for r in range(model.rowCount())]  # themes


@pytest.fixture
def three_sessions(demo_library: Library) -> dict[str, str]:
    """The demo session (2025-08-15, team 2, four guides) plus two more."""
    teams = ids(demo_library, "team")
    guides = ids(demo_library, "guide", "title")
    first = catalog.save_session(
        demo_library,
        catalog.SessionData(
            starts_at=datetime(2025, 3, 10, 9, 0, tzinfo=BEIJING),
            theme="春季修剪培训",
            venue="世界花卉大观园",
            team_ids=[teams["教育培训服务队"]],
            guide_ids=[guides["月季修剪"]],
        ),
    )
    last = catalog.save_session(
        demo_library,
        catalog.SessionData(
            starts_at=datetime(2025, 11, 2, 14, 0, tzinfo=BEIJING),
            theme="冬季养护",
            venue="园博园",
            team_ids=[teams["专业技术服务2队"], teams["教育培训服务队"]],
        ),
    )
    return {"first": first, "last": last}


def test_session_list_is_newest_first_with_teams_and_photo_counts(
    window: MainWindow, three_sessions: dict[str, str]
) -> None:
    window.refresh("session")
    assert listed(window) == ["冬季养护", "绿色养护提质增效", "春季修剪培训"]
    model = window.models["session"]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Date", "Venue", "Theme", "Teams", "Photos"]
    assert model.data(model.index(0, 3)) == "专业技术服务2队、教育培训服务队"
    assert model.data(model.index(0, 4)) == "0"


def test_session_filters_by_team_guide_and_dates(
    window: MainWindow,
    demo_library: Library,
    three_sessions: dict[str, str],
    qtmodeltester: Any,
) -> None:
    window.refresh()
    bar = window.session_filters
    teams = ids(demo_library, "team")
    guides = ids(demo_library, "guide", "title")

    bar.team_combo.setCurrentIndex(bar.team_combo.findData(teams["教育培训服务队"]))
    assert listed(window) == ["冬季养护", "春季修剪培训"]
    bar.guide_combo.setCurrentIndex(bar.guide_combo.findData(guides["月季修剪"]))
    assert listed(window) == ["春季修剪培训"]
    qtmodeltester.check(window.models["session"])
    bar.team_combo.setCurrentIndex(0)
    assert listed(window) == ["绿色养护提质增效", "春季修剪培训"]  # both covered 月季修剪
    bar.guide_combo.setCurrentIndex(0)

    # Date range, both ends inclusive (whole days).
    bar.from_date.setDate(QDate(2025, 8, 15))
    bar.to_date.setDate(QDate(2025, 11, 2))
    bar.from_check.setChecked(True)
    assert listed(window) == ["冬季养护", "绿色养护提质增效"]
    bar.to_check.setChecked(True)
    bar.to_date.setDate(QDate(2025, 11, 1))
    assert listed(window) == ["绿色养护提质增效"]
    assert "1" in window.count_label.text()

    # The search box narrows within the filters; Clear filters brings all back.
    bar.clear()
    window.search_box.setText("园博园")
    window.apply_filter()
    assert listed(window) == ["冬季养护", "绿色养护提质增效"]


def test_new_session_from_template_copies_teams_venue_and_guides(
    window: MainWindow, demo_library: Library
) -> None:
    (demo_id,) = listing.list_ids(demo_library, "session")
    demo = catalog.load_session(demo_library, demo_id)
    assert demo.attendees and demo.feedback  # things that must NOT be copied
    assert not window.template_action.isEnabled()  # nothing selected yet
    window.select_record("session", demo_id)
    assert window.template_action.isEnabled()

    window.template_action.trigger()

    form = window.forms["session"]
    assert window.shown_form() is form and form.is_new() and form.is_dirty()
    assert form.heading.text() == "New field session"
    assert form.venue_edit.text() == "园博园"
    assert [r["team_id"] for r in form.teams.rows()] == demo.team_ids
    assert [r["guide_id"] for r in form.guides.rows()] == demo.guide_ids
    assert form.attendees.rows() == [] and form.feedback.rows() == []
    assert form.theme_edit.text() == ""
    form.theme_edit.setText("月季冬剪现场教学")
    window.save_action.trigger()

    new_id = form.record_id()
    assert new_id is not None and new_id != demo_id
    saved = catalog.load_session(demo_library, new_id)
    assert (saved.venue, saved.team_ids, saved.guide_ids) == (
        "园博园",
        demo.team_ids,
        demo.guide_ids,
    )
    assert saved.theme == "月季冬剪现场教学"
    assert abs(saved.starts_at - datetime.now(UTC)) < timedelta(minutes=2)
    assert listed(window)[0] == "月季冬剪现场教学"  # newest first
    # Undo of the creation takes it away again.
    window.undo_action.trigger()
    assert listing.list_ids(demo_library, "session") == [demo_id]


def test_session_form_edits_people_agenda_and_validates(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = ids(demo_library, "member")
    window.new_action.trigger()
    form = window.forms["session"]
    start = QDateTime(QDate(2025, 9, 1), QDateTime.currentDateTime().time())
    form.starts_edit.setDateTime(start)
    form.has_end.setChecked(True)
    form.ends_edit.setDateTime(start.addSecs(-3600))
    form.venue_edit.setText("丰台区花乡")
    form.lat_edit.setText("39.85")
    form.lon_edit.setText("east")
    monkeypatch.setattr(widgets, "pick_records", lambda *_a, **_k: [members["李佳"]])
    form.attendees.add()
    assert form.attendees.model.data(form.attendees.model.index(0, 1)) == "Explained"
    form.attendees.model.setData(form.attendees.model.index(0, 1), "demonstrate")
    form.groups.add()
    form.groups.model.setData(form.groups.model.index(0, 0), "绿化公司养护人员")
    form.groups.model.setData(form.groups.model.index(0, 1), "25")
    form.agenda.add()
    form.agenda.model.setData(form.agenda.model.index(0, 0), "09:30")
    form.agenda.model.setData(form.agenda.model.index(0, 1), "现场示范修剪")
    form.agenda.model.setData(form.agenda.model.index(0, 2), "李佳")
    form.feedback.add()
    form.feedback.model.setData(form.feedback.model.index(0, 0), "学到了真本事。")
    form.feedback.model.setData(form.feedback.model.index(0, 1), "学员")
    form.follow_ups.add()
    form.follow_ups.model.setData(form.follow_ups.model.index(0, 0), "一个月后回访")
    count = len(listing.list_ids(demo_library, "session"))

    assert form.save() is False
    assert "decimal degrees" in form.error_text("gps")
    form.lon_edit.setText("116.30")
    assert form.save() is False
    assert form.error_text("ends_at") == "The session cannot end before it starts."
    assert form.error_text("gps") == ""
    assert len(listing.list_ids(demo_library, "session")) == count
    form.ends_edit.setDateTime(start.addSecs(7200))
    assert form.save() is True

    saved = catalog.load_session(demo_library, form.record_id() or "")
    assert (saved.gps_lat, saved.gps_lon) == (39.85, 116.30)
    assert [(a.member_id, a.role) for a in saved.attendees] == [(members["李佳"], "demonstrate")]
    assert [(g.name, g.count) for g in saved.groups] == [("绿化公司养护人员", 25)]
    assert [(a.time, a.title, a.leader) for a in saved.agenda] == [
        ("09:30", "现场示范修剪", "李佳")
    ]
    assert [(f.text, f.speaker) for f in saved.feedback] == [("学到了真本事。", "学员")]
    assert saved.follow_ups == ["一个月后回访"]
    assert saved.ends_at is not None and saved.ends_at - saved.starts_at == timedelta(hours=2)
    assert form.photos_box.title() == "Photos"
    assert not form.is_dirty()


def test_gps_from_the_session_photos(
    window: MainWindow, demo_library: Library, testdata: Any
) -> None:
    from desktop_app.services import photos

    (session_id,) = listing.list_ids(demo_library, "session")
    window.select_record("session", session_id)
    form = window.forms["session"]
    assert isinstance(form, SessionForm)
    form.gps_button.click()  # no photos yet: said next to the field, nothing filled
    assert "GPS" in form.error_text("gps") and form.lat_edit.text() == ""

    photos.import_photos(
        demo_library,
        [testdata / "no_exif.jpg", testdata / "DSCN0010.jpg"],
        photos.ImportTarget(session_id=session_id),
    )
    window.refresh()  # what the photo feature does after an import
    assert len(form.photo_ids) == 2
    # DSCN0010 was taken in Italy, the session is in Beijing: asked, and "No" fills nothing.
    answers: list[bool] = [False, True]
    form.ask_far_gps = lambda _position: answers.pop(0)  # type: ignore[method-assign]
    assert form.fill_gps_from_photos() is False and form.lat_edit.text() == ""
    assert form.fill_gps_from_photos() is True  # "Yes": empty fields are filled
    lat, lon = float(form.lat_edit.text()), float(form.lon_edit.text())
    assert abs(lat - 43.46745) < 1e-4 and abs(lon - 11.88513) < 1e-4
    assert form.is_dirty()
    form.lat_edit.setText("39.8687")
    assert form.fill_gps_from_photos() is False  # a position the user typed stays
    window.save_action.trigger()
    saved = catalog.load_session(demo_library, session_id)
    assert (saved.gps_lat, len(saved.photo_ids)) == (39.8687, 2)  # photos kept by the save
