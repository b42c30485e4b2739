"""The period's records as plain tables, ready for a workbook sheet, a CSV file or a PDF.

One table per kind of row the union asks for: sessions, attendance (who served where), the
participant groups with their head counts, trainee feedback, and the summary (the statistics).
Cells are plain Python values: text, int, float, local naive datetimes (what a spreadsheet
shows), or None for "not recorded" — never a zero standing in for a missing figure. Each session
row says in its Notes column what it lacks.

The rows come from one SQL query per table over the library's `sqlite3` reader (20,000
sessions in well under a second).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from desktop_app.core.i18n import N_
from desktop_app.services.labels import SESSION_ROLE_LABELS, label
from desktop_app.services.reports.period import Period
from desktop_app.services.reports.stats import Statistics
from desktop_app.storage.library import Library

Translator = Callable[[str], str]

TEXT, INT, FLOAT, DATETIME, DATE = "text", "int", "float", "datetime", "date"


@dataclass(frozen=True)
class Column:
    title: str  # translated
    kind: str  # TEXT, INT, FLOAT, DATETIME or DATE


@dataclass
class Table:
    name: str  # translated; the sheet's name
    columns: list[Column]
    rows: list[tuple[Any, ...]]
    notes: list[str]  # sentences printed under the table (left-out sessions)


# Sheet and column titles (translated with the report's translator).
SESSIONS = N_("Sessions")
ATTENDANCE = N_("Attendance")
GROUPS = N_("Participant groups")
FEEDBACK = N_("Feedback")
SUMMARY = N_("Summary of the period")
STARTS = N_("Starts")
ENDS = N_("Ends")
DATE_COL = N_("Date")
HOURS = N_("Hours")
VENUE = N_("Venue")
THEME = N_("Theme")
TEAMS = N_("Service teams")
HOSTS = N_("Host organisations")
MEMBERS = N_("Model workers and craftsmen")
TRAINEES = N_("Trainees")
GROUP_NAMES = N_("Participant groups")
GUIDES = N_("Guides taught")
PHOTOS = N_("Photos")
NOTES = N_("Notes")
SESSION_ID = N_("Session id")
MEMBER = N_("Model worker or craftsman")
ROLE = N_("Role at the session")
WHAT = N_("What they did")
GROUP = N_("Group")
PEOPLE = N_("People")
QUOTE = N_("What was said")
SPEAKER = N_("Speaker")
SPEAKER_ROLE = N_("Speaker's role")
NOTE_SEP = N_("; ")  # between the notes of one session: a full-width semicolon in Chinese
NO_END = N_("no end time")
BAD_END = N_("ends before it starts")
NO_GROUPS_NOTE = N_("no participant groups")
NO_COUNTS = N_("no head counts")
PARTIAL_COUNTS = N_("some head counts missing")
NO_HOSTS_NOTE = N_("no host organisation")
GROUP_BY_TITLE = {"team": N_("Service team"), "member": MEMBER, "guide": N_("Guide")}
SESSIONS_COUNT = N_("Sessions held")
HOURS_TOTAL = N_("Service hours")
TRAINEES_TOTAL = N_("Trainees reached")
HOSTS_TOTAL = N_("Host organisations served")
LEFT_HOURS = N_("Sessions left out of hours")
LEFT_TRAINEES = N_("Sessions left out of trainees")

_LOCAL_OFFSETS: dict[str, timedelta] = {}  # stored UTC hour ("2025-08-15 01") -> UTC offset


def local_naive(text: str | None) -> datetime | None:
    """Stored UTC text as a naive local datetime (what a spreadsheet cell holds).

    astimezone() asks the C library for the zone on every call; 20,000 rows would pay for
    it 40,000 times, so the offset is cached per stored UTC hour (still right across DST)."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    offset = _LOCAL_OFFSETS.get(text[:13])
    if offset is None:
        aware = value.replace(tzinfo=UTC)
        offset = _LOCAL_OFFSETS[text[:13]] = aware.astimezone().utcoffset() or timedelta(0)
    return value + offset


def _day(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(hour=0, minute=0, second=0, microsecond=0)


def _params(period: Period) -> dict[str, str]:
    lo, hi = period.bounds()
    return {"lo": lo, "hi": hi}


_IN_PERIOD = "s.deleted_at IS NULL AND s.starts_at >= :lo AND s.starts_at < :hi"


def _joined(sql: str) -> str:
    """A correlated subquery joining names with 、 in their stored order."""
    return f"(SELECT group_concat(v, '、') FROM ({sql}))"


_TEAM_NAMES = _joined(
    "SELECT t.name AS v FROM session_team st JOIN service_team t ON t.id = st.team_id"
    " AND t.deleted_at IS NULL WHERE st.session_id = s.id ORDER BY st.position"
)
_MEMBER_NAMES = _joined(
    "SELECT m.name AS v FROM session_attendee sa JOIN member m ON m.id = sa.member_id"
    " AND m.deleted_at IS NULL WHERE sa.session_id = s.id ORDER BY sa.position"
)
_GROUP_NAMES = _joined(
    "SELECT pg.name AS v FROM participant_group pg WHERE pg.session_id = s.id ORDER BY pg.position"
)
_GUIDE_TITLES = _joined(
    "SELECT g.title AS v FROM session_guide sg JOIN guide g ON g.id = sg.guide_id"
    " AND g.deleted_at IS NULL WHERE sg.session_id = s.id ORDER BY sg.position"
)
_SESSIONS_SQL = f"""
SELECT s.id, s.starts_at, s.ends_at, s.venue, s.theme, {_TEAM_NAMES},
  (SELECT group_concat(trim(j.value), '、') FROM json_each(s.host_organisations) j
     WHERE trim(j.value) != ''),
  {_MEMBER_NAMES},
  (SELECT count(*) FROM participant_group pg WHERE pg.session_id = s.id),
  (SELECT count(count) FROM participant_group pg WHERE pg.session_id = s.id),
  (SELECT sum(count) FROM participant_group pg WHERE pg.session_id = s.id),
  {_GROUP_NAMES}, {_GUIDE_TITLES},
  (SELECT count(*) FROM session_photo sp WHERE sp.session_id = s.id)
FROM field_session s WHERE {_IN_PERIOD}
ORDER BY s.starts_at, s.id
"""


def sessions_table(conn: sqlite3.Connection, period: Period, tr: Translator) -> Table:
    columns = [
        Column(tr(STARTS), DATETIME),
        Column(tr(ENDS), DATETIME),
        Column(tr(HOURS), FLOAT),
        Column(tr(VENUE), TEXT),
        Column(tr(THEME), TEXT),
        Column(tr(TEAMS), TEXT),
        Column(tr(HOSTS), TEXT),
        Column(tr(MEMBERS), TEXT),
        Column(tr(TRAINEES), INT),
        Column(tr(GROUP_NAMES), TEXT),
        Column(tr(GUIDES), TEXT),
        Column(tr(PHOTOS), INT),
        Column(tr(NOTES), TEXT),
        Column(tr(SESSION_ID), TEXT),
    ]
    notes_text = {k: tr(v) for k, v in _SESSION_NOTES.items()}
    sep = tr(NOTE_SEP)
    rows = []
    for (
        sid, starts, ends, venue, theme, teams, hosts, members,
        n_groups, n_counted, people, groups, guides, photos,
    ) in conn.execute(_SESSIONS_SQL, _params(period)):  # fmt: skip
        start = local_naive(starts)
        end = local_naive(ends)
        lacking = []
        hours = None
        if start is None or end is None:
            lacking.append(notes_text["no_end"])
        elif end <= start:
            lacking.append(notes_text["bad_end"])
        else:
            hours = round((end - start).total_seconds() / 3600, 2)
        if not n_groups:
            lacking.append(notes_text["no_groups"])
        elif not n_counted:
            lacking.append(notes_text["no_counts"])
        elif n_counted < n_groups:
            lacking.append(notes_text["partial_counts"])
        if not hosts:
            lacking.append(notes_text["no_hosts"])
        rows.append(
            (
                start, end, hours, venue, theme, teams or "", hosts or "", members or "",
                int(people) if n_counted else None, groups or "", guides or "", int(photos),
                sep.join(lacking), sid,
            )
        )  # fmt: skip
    return Table(tr(SESSIONS), columns, rows, [])


_SESSION_NOTES = {
    "no_end": NO_END,
    "bad_end": BAD_END,
    "no_groups": NO_GROUPS_NOTE,
    "no_counts": NO_COUNTS,
    "partial_counts": PARTIAL_COUNTS,
    "no_hosts": NO_HOSTS_NOTE,
}


def attendance_table(conn: sqlite3.Connection, period: Period, tr: Translator) -> Table:
    sql = f"""
    SELECT s.starts_at, s.venue, s.theme, m.name, sa.role, sa.note, s.id
    FROM field_session s JOIN session_attendee sa ON sa.session_id = s.id
    JOIN member m ON m.id = sa.member_id AND m.deleted_at IS NULL
    WHERE {_IN_PERIOD} ORDER BY s.starts_at, s.id, sa.position
    """
    columns = [
        Column(tr(DATE_COL), DATE),
        Column(tr(VENUE), TEXT),
        Column(tr(THEME), TEXT),
        Column(tr(MEMBER), TEXT),
        Column(tr(ROLE), TEXT),
        Column(tr(WHAT), TEXT),
        Column(tr(SESSION_ID), TEXT),
    ]
    rows = [
        (_day(local_naive(st)), v, th, name, label(SESSION_ROLE_LABELS, role, tr), note, sid)
        for st, v, th, name, role, note, sid in conn.execute(sql, _params(period))
    ]
    return Table(tr(ATTENDANCE), columns, rows, [])


def groups_table(conn: sqlite3.Connection, period: Period, tr: Translator) -> Table:
    sql = f"""
    SELECT s.starts_at, s.venue, s.theme, pg.name, pg.count, s.id
    FROM field_session s JOIN participant_group pg ON pg.session_id = s.id
    WHERE {_IN_PERIOD} ORDER BY s.starts_at, s.id, pg.position
    """
    columns = [
        Column(tr(DATE_COL), DATE),
        Column(tr(VENUE), TEXT),
        Column(tr(THEME), TEXT),
        Column(tr(GROUP), TEXT),
        Column(tr(PEOPLE), INT),
        Column(tr(SESSION_ID), TEXT),
    ]
    rows = [
        (_day(local_naive(st)), v, th, name, count, sid)
        for st, v, th, name, count, sid in conn.execute(sql, _params(period))
    ]
    return Table(tr(GROUPS), columns, rows, [])


def feedback_table(conn: sqlite3.Connection, period: Period, tr: Translator) -> Table:
    sql = f"""
    SELECT s.starts_at, s.venue, s.theme, fq.text, fq.speaker, fq.speaker_role, s.id
    FROM field_session s JOIN feedback_quote fq ON fq.session_id = s.id
    WHERE {_IN_PERIOD} ORDER BY s.starts_at, s.id, fq.position
    """
    columns = [
        Column(tr(DATE_COL), DATE),
        Column(tr(VENUE), TEXT),
        Column(tr(THEME), TEXT),
        Column(tr(QUOTE), TEXT),
        Column(tr(SPEAKER), TEXT),
        Column(tr(SPEAKER_ROLE), TEXT),
        Column(tr(SESSION_ID), TEXT),
    ]
    rows = [
        (_day(local_naive(st)), v, th, text, who, role, sid)
        for st, v, th, text, who, role, sid in conn.execute(sql, _params(period))
    ]
    return Table(tr(FEEDBACK), columns, rows, [])


def summary_table(stats: Statistics, tr: Translator) -> Table:
    """The statistics as a table: one row per group, then the total row; notes below."""
    columns = [
        Column(tr(GROUP_BY_TITLE[stats.by]), TEXT),
        Column(tr(SESSIONS_COUNT), INT),
        Column(tr(HOURS_TOTAL), FLOAT),
        Column(tr(TRAINEES_TOTAL), INT),
        Column(tr(HOSTS_TOTAL), INT),
        Column(tr(GUIDES), INT),
        Column(tr(PHOTOS), INT),
        Column(tr(LEFT_HOURS), INT),
        Column(tr(LEFT_TRAINEES), INT),
    ]
    # A figure no session of the row could contribute to is empty, not 0.
    rows = [
        (
            f.name, f.sessions,
            round(f.hours, 2) if f.counted("hours") else None,
            f.trainees if f.counted("trainees") else None,
            f.hosts, f.guides, f.photos,
            f.left_out_of("hours"), f.left_out_of("trainees"),
        )
        for f in [*stats.groups, stats.total]
    ]  # fmt: skip
    return Table(tr(SUMMARY), columns, rows, stats.total.notes(tr))


def all_tables(library: Library, stats: Statistics, tr: Translator) -> list[Table]:
    """Summary first (what the union reads), then the record tables of the period."""
    conn = library.reader()
    period = stats.period
    return [
        summary_table(stats, tr),
        sessions_table(conn, period, tr),
        attendance_table(conn, period, tr),
        groups_table(conn, period, tr),
        feedback_table(conn, period, tr),
    ]
