"""Statistics for a period, grouped by team, member or guide, with a total row.

Per group: sessions, service hours (from each session's start and end), trainees reached (the
sum of its participant groups' head counts), distinct host organisations, distinct guides
taught and photos taken (the photos in the sessions' photo grids). A session can belong to
several groups (two teams ran it), so the total row is counted over the period's distinct
sessions, not summed from the rows. Sessions without any live team (member, guide) form a
group of their own, so no session drops out of the table.

A figure some sessions cannot contribute to says so: `left_out` counts, per reason, the sessions
that were left out of a figure (no end time, no head counts...). Nothing is silently zero.

Counted with one query on the library's `sqlite3` reader that touches only the period's
sessions (see `compute`); BENCHMARKS.md has the time for a year of a 20,000-session library.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _
from desktop_app.services.reports.period import Period
from desktop_app.storage.library import Library

GROUPINGS = ("team", "member", "guide")

# (session, group key) pairs for the period's sessions, and the deleted records among the keys
# (dropped in Python: a handful of ids, where joining each link to its record to look at
# deleted_at costs a table lookup per link).
_PERIOD = "s.deleted_at IS NULL AND s.starts_at >= :lo AND s.starts_at < :hi"
_LINK_PAIRS = {
    "team": (
        "SELECT DISTINCT s.id, x.team_id FROM field_session s"
        f" JOIN session_team x ON x.session_id = s.id WHERE {_PERIOD}"
    ),
    "member": (
        "SELECT DISTINCT s.id, x.member_id FROM field_session s"
        f" JOIN session_attendee x ON x.session_id = s.id WHERE {_PERIOD}"
    ),
    "guide": (
        "SELECT DISTINCT s.id, x.guide_id FROM field_session s"
        f" JOIN session_guide x ON x.session_id = s.id WHERE {_PERIOD}"
    ),
}
_DELETED = {
    "team": "SELECT id FROM service_team WHERE deleted_at IS NOT NULL",
    "member": "SELECT id FROM member WHERE deleted_at IS NOT NULL",
    "guide": "SELECT id FROM guide WHERE deleted_at IS NOT NULL",
}
# The ids a session links to, comma-joined (ids are UUIDs: no commas), per grouping.
_LINK_LISTS = {
    "team": "(SELECT group_concat(x.team_id) FROM session_team x WHERE x.session_id = s.id)",
    "member": (
        "(SELECT group_concat(DISTINCT x.member_id) FROM session_attendee x"
        " WHERE x.session_id = s.id)"
    ),
    "guide": "(SELECT group_concat(x.guide_id) FROM session_guide x WHERE x.session_id = s.id)",
}


def _facts_sql(by: str) -> str:
    """One row per session of the period: what its figures are made of, the ids of the
    records it is grouped by and of the guides it taught. Photos are the session's photo
    links: what its photo grid shows and Export photos… writes."""
    return f"""
SELECT s.id, s.starts_at,
  CASE WHEN s.ends_at IS NULL OR s.ends_at <= s.starts_at THEN NULL
       ELSE (julianday(s.ends_at) - julianday(s.starts_at)) * 24.0 END,
  s.ends_at IS NULL,
  count(pg.id), count(pg.count), sum(pg.count),
  (SELECT count(*) FROM session_photo sp WHERE sp.session_id = s.id),
  s.host_organisations,
  {_LINK_LISTS[by]},
  {_LINK_LISTS["guide"]}
FROM field_session s LEFT JOIN participant_group pg ON pg.session_id = s.id
WHERE {_PERIOD}
GROUP BY s.id
"""


_NAMES = {
    "team": "SELECT id, name, name_key FROM service_team WHERE id IN ({marks})",
    "member": "SELECT id, name, name_key FROM member WHERE id IN ({marks})",
    "guide": "SELECT id, title, title_key FROM guide WHERE id IN ({marks})",
}
TOTAL = N_("Total")
NO_GROUP_NAMES = {
    "team": N_("(no service team recorded)"),
    "member": N_("(no member recorded)"),
    "guide": N_("(no guide recorded)"),
}

# Why a session was left out of a figure: reason -> (figure, sentence for "N sessions ...").
REASONS: dict[str, tuple[str, str]] = {
    "no_end": ("hours", N_("{n} sessions have no end time: left out of the service hours.")),
    "bad_end": (
        "hours",
        N_("{n} sessions end before they start: left out of the service hours."),
    ),
    "no_groups": (
        "trainees",
        N_("{n} sessions have no participant groups: left out of the trainees."),
    ),
    "no_counts": (
        "trainees",
        N_("{n} sessions have no head counts: left out of the trainees."),
    ),
    "partial_counts": (
        "trainees",
        N_(
            "{n} sessions lack the head count of some groups: only the counted groups are included."
        ),
    ),
    "no_hosts": (
        "hosts",
        N_("{n} sessions name no host organisation: left out of the host organisations."),
    ),
}


@dataclass
class Figures:
    """One row of the table: a group (or the total, or a month) and its figures."""

    key: str | None  # record id; None for "no team recorded" and for the total
    name: str
    sessions: int = 0
    hours: float = 0.0
    trainees: int = 0
    hosts: int = 0
    guides: int = 0
    photos: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> sessions (only > 0)

    def notes(self, tr: Callable[[str], str] = _) -> list[str]:
        """One sentence per reason some sessions were left out of a figure."""
        return [tr(REASONS[r][1]).format(n=n) for r, n in self.left_out.items() if n]

    def left_out_of(self, figure: str) -> int:
        """Sessions left out of (or only partly in) one figure: hours, trainees or hosts."""
        return sum(n for r, n in self.left_out.items() if REASONS[r][0] == figure)

    def counted(self, figure: str) -> bool:
        """Whether at least one session contributed to the figure (partial counts do)."""
        whole = sum(
            n for r, n in self.left_out.items() if REASONS[r][0] == figure and r != "partial_counts"
        )
        return self.sessions > whole

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "name": self.name,
            "sessions": self.sessions,
            "hours": round(self.hours, 2),
            "trainees": self.trainees,
            "host_organisations": self.hosts,
            "guides": self.guides,
            "photos": self.photos,
            "left_out": dict(self.left_out),
        }


@dataclass
class Statistics:
    period: Period
    by: str
    groups: list[Figures]
    total: Figures
    buckets: list[Figures]  # by month (or year), over the period's sessions

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "by": self.by,
            "groups": [g.as_json() for g in self.groups],
            "total": self.total.as_json(),
            "by_month": [b.as_json() for b in self.buckets],
            "notes": self.total.notes(),
        }


def _check_by(by: str) -> None:
    if by not in GROUPINGS:
        raise UserError(_("Cannot group by “{by}”; use team, member or guide.").format(by=by))


class _Tally:
    """Running figures of one row: counts, and the distinct hosts and guides seen."""

    __slots__ = ("figures", "guides", "hosts")

    def __init__(self, key: str | None, name: str = "") -> None:
        self.figures = Figures(key, name)
        self.hosts: set[str] = set()
        self.guides: set[str] = set()

    def done(self) -> Figures:
        self.figures.hosts = len(self.hosts)
        self.figures.guides = len(self.guides)
        self.figures.left_out = {
            r: self.figures.left_out[r] for r in REASONS if self.figures.left_out.get(r)
        }
        return self.figures


def _links(conn: sqlite3.Connection, by: str, params: dict[str, str]) -> dict[str, list[str]]:
    """Session id -> keys of the live teams (members, guides) it links to."""
    dead = {key for (key,) in conn.execute(_DELETED[by])}
    out: dict[str, list[str]] = {}
    for sid, key in conn.execute(_LINK_PAIRS[by], params):
        if key not in dead:
            out.setdefault(sid, []).append(key)
    return out


def _reasons(
    hours: float | None, no_end: int, n_groups: int, n_counted: int, n_hosts: int
) -> list[str]:
    reasons: list[str] = []
    if hours is None:
        reasons.append("no_end" if no_end else "bad_end")
    if not n_groups:
        reasons.append("no_groups")
    elif not n_counted:
        reasons.append("no_counts")
    elif n_counted < n_groups:
        reasons.append("partial_counts")
    if not n_hosts:
        reasons.append("no_hosts")
    return reasons


def _hosts(stored: str | None) -> set[str]:
    """The host organisations named in a session's stored JSON list (blank names skipped).

    Parsed here rather than with SQLite's json_each: joining the virtual table makes SQLite
    scan every session instead of the period's (measured: 5x slower on 20,000 sessions)."""
    try:
        names = json.loads(stored) if stored else []
    except ValueError:
        return set()
    if not isinstance(names, list):
        return set()
    return {n.strip() for n in names if isinstance(n, str) and n.strip()}


def compute(
    library: Library, period: Period, by: str = "team", tr: Callable[[str], str] = _
) -> Statistics:
    """The statistics of `period` grouped `by` team, member or guide.

    One query over the period's sessions (found through the date index) gives each session's
    facts, aggregated in SQL, with the ids of its groups and guides. Summing
    those per row is plain Python over a few thousand tuples: one pass fills the group rows,
    the total and the months together, where grouped SQL would run the joins once for each.
    """
    _check_by(by)
    conn = library.reader()
    lo, hi = period.bounds()
    params = {"lo": lo, "hi": hi}
    dead = {key for (key,) in conn.execute(_DELETED[by])}
    dead_guides = dead if by == "guide" else {k for (k,) in conn.execute(_DELETED["guide"])}
    buckets = period.buckets()
    bucket_starts = [b.lo for b in buckets]
    rows: dict[str | None, _Tally] = {}
    total = _Tally(None)
    by_bucket = [_Tally(b.label, b.label) for b in buckets]
    facts = conn.execute(_facts_sql(by), params)
    for (
        _sid, starts, hours, no_end, n_groups, n_counted, people, photos, host_json,
        link_list, guide_list,
    ) in facts:  # fmt: skip
        keys: list[str | None] = [
            k for k in (link_list.split(",") if link_list else ()) if k not in dead
        ] or [None]
        tallies = [rows.get(k) or rows.setdefault(k, _Tally(k)) for k in keys]
        tallies.append(total)
        tallies.append(by_bucket[max(0, bisect_right(bucket_starts, starts) - 1)])
        session_hosts = _hosts(host_json)
        session_guides = [
            g for g in (guide_list.split(",") if guide_list else ()) if g not in dead_guides
        ]
        reasons = _reasons(hours, no_end, n_groups, n_counted, len(session_hosts))
        for t in tallies:
            f = t.figures
            f.sessions += 1
            f.hours += hours or 0.0
            f.trainees += people if n_counted else 0
            f.photos += photos
            for r in reasons:
                f.left_out[r] = f.left_out.get(r, 0) + 1
            t.hosts.update(session_hosts)
            t.guides.update(session_guides)
    grouped = {k: t.done() for k, t in rows.items()}
    names = _names(conn, by, [k for k in grouped if k is not None])
    for key, fig in grouped.items():
        fig.name = names[key][0] if key is not None else tr(NO_GROUP_NAMES[by])
    groups = sorted(
        grouped.values(),
        key=lambda f: (f.key is None, -f.sessions, names.get(f.key or "", ("", ""))[1]),
    )
    total_row = total.done()
    total_row.name = tr(TOTAL)
    return Statistics(period, by, groups, total_row, [t.done() for t in by_bucket])


def _names(conn: sqlite3.Connection, by: str, keys: list[str]) -> dict[str, tuple[str, str]]:
    """Display name and pinyin sort key of each group's record."""
    names: dict[str, tuple[str, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        sql = _NAMES[by].format(marks=",".join("?" * len(chunk)))
        for key, name, sort_key in conn.execute(sql, chunk):
            names[key] = (name, sort_key or "")
    return names


def session_ids(library: Library, period: Period, by: str, key: str | None) -> list[str]:
    """The sessions behind one row of the table (key None: those with no team/member/guide),
    in date order."""
    _check_by(by)
    lo, hi = period.bounds()
    params = {"lo": lo, "hi": hi}
    conn = library.reader()
    ordered = conn.execute(
        f"SELECT s.id FROM field_session s WHERE {_PERIOD} ORDER BY s.starts_at, s.id", params
    ).fetchall()
    links = _links(conn, by, params)
    if key is None:
        return [sid for (sid,) in ordered if sid not in links]
    return [sid for (sid,) in ordered if key in links.get(sid, ())]


def bucket_period(period: Period, bucket: Figures) -> Period:
    """The days of one month (or year) bar of `period`'s chart, cut to the period."""
    label = bucket.name
    if len(label) == 4:
        first, last = date(int(label), 1, 1), date(int(label), 12, 31)
    else:
        year, month = int(label[:4]), int(label[5:7])
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return Period(max(first, period.start), min(last, period.end))


def sessions_in(library: Library, period: Period) -> list[str]:
    """Every live session of `period`, in date order (the sessions behind a month's bar)."""
    lo, hi = period.bounds()
    rows = library.reader().execute(
        f"SELECT s.id FROM field_session s WHERE {_PERIOD} ORDER BY s.starts_at, s.id",
        {"lo": lo, "hi": hi},
    )
    return [sid for (sid,) in rows]
