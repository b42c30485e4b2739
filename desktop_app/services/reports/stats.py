"""Statistics for a period, grouped by team, member or guide, with a total row.

Per group: sessions, service hours (from each session's start and end), trainees reached (the
sum of its participant groups' head counts), distinct host organisations, distinct guides
taught and photos taken. A session can belong to several groups (two teams ran it), so the
total row is counted over the period's distinct sessions, not summed from the rows. Sessions
without any live team (member, guide) form a group of their own, so no session drops out of
the table.

A figure some sessions cannot contribute to says so: `left_out` counts, per reason, the sessions
that were left out of a figure (no end time, no head counts...). Nothing is silently zero.

All of it is a handful of aggregate queries on the library's `sqlite3` reader: a year of a
20,000-session library takes a few milliseconds (BENCHMARKS.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _
from desktop_app.services.reports.period import Bucket, Period
from desktop_app.storage.library import Library

GROUPINGS = ("team", "member", "guide")

# Live links from a session to the records it is grouped by: (session id, group key).
_LINKS = {
    "team": (
        "SELECT st.session_id AS sid, st.team_id AS gkey FROM session_team st"
        " JOIN service_team t ON t.id = st.team_id AND t.deleted_at IS NULL"
    ),
    "member": (
        "SELECT DISTINCT sa.session_id AS sid, sa.member_id AS gkey FROM session_attendee sa"
        " JOIN member m ON m.id = sa.member_id AND m.deleted_at IS NULL"
    ),
    "guide": (
        "SELECT sg.session_id AS sid, sg.guide_id AS gkey FROM session_guide sg"
        " JOIN guide g ON g.id = sg.guide_id AND g.deleted_at IS NULL"
    ),
}
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


def _sessions_cte(extra: str = "") -> str:
    return (
        "s AS (SELECT id, starts_at, ends_at, host_organisations FROM field_session"
        " WHERE deleted_at IS NULL AND starts_at >= :lo AND starts_at < :hi)" + extra
    )


# Per-session facts: hours (NULL when unknown), head-count coverage, photos, hosts named.
_FACTS = """
f AS (
  SELECT s.id AS sid,
    CASE WHEN s.ends_at IS NULL OR s.ends_at <= s.starts_at THEN NULL
         ELSE (julianday(s.ends_at) - julianday(s.starts_at)) * 24.0 END AS hours,
    s.ends_at IS NULL AS no_end,
    s.ends_at IS NOT NULL AND s.ends_at <= s.starts_at AS bad_end,
    coalesce(pg.n_groups, 0) AS n_groups,
    coalesce(pg.n_counted, 0) AS n_counted,
    pg.people AS people,
    coalesce(ph.n, 0) AS photos,
    (SELECT count(*) FROM json_each(s.host_organisations) j WHERE trim(j.value) != '')
      AS n_hosts
  FROM s
  LEFT JOIN (
    SELECT session_id, count(*) AS n_groups, count(count) AS n_counted, sum(count) AS people
    FROM participant_group WHERE session_id IN (SELECT id FROM s) GROUP BY session_id
  ) pg ON pg.session_id = s.id
  LEFT JOIN (
    SELECT sp.session_id, count(*) AS n FROM session_photo sp
    JOIN photo p ON p.id = sp.photo_id AND p.deleted_at IS NULL
    WHERE sp.session_id IN (SELECT id FROM s) GROUP BY sp.session_id
  ) ph ON ph.session_id = s.id
)
"""

_AGGREGATE = """
SELECT g.gkey, count(*), sum(f.hours), sum(f.no_end), sum(f.bad_end),
  sum(CASE WHEN f.n_counted > 0 THEN f.people END),
  sum(f.n_groups = 0), sum(f.n_groups > 0 AND f.n_counted = 0),
  sum(f.n_counted > 0 AND f.n_counted < f.n_groups),
  sum(f.photos), sum(f.n_hosts = 0)
FROM g JOIN f ON f.sid = g.sid GROUP BY g.gkey
"""
_HOSTS = """
SELECT g.gkey, count(DISTINCT trim(j.value))
FROM g JOIN s ON s.id = g.sid, json_each(s.host_organisations) j
WHERE trim(j.value) != '' GROUP BY g.gkey
"""
_GUIDES = """
SELECT g.gkey, count(DISTINCT sg.guide_id)
FROM g JOIN session_guide sg ON sg.session_id = g.sid
JOIN guide gd ON gd.id = sg.guide_id AND gd.deleted_at IS NULL
GROUP BY g.gkey
"""


def _grouped(
    conn: sqlite3.Connection, period: Period, group_cte: str, params: dict[str, Any]
) -> dict[str | None, Figures]:
    lo, hi = period.bounds()
    params = {"lo": lo, "hi": hi, **params}
    head = "WITH " + _sessions_cte(", g AS (" + group_cte + ")")
    out: dict[str | None, Figures] = {}
    for row in conn.execute(head + ", " + _FACTS + _AGGREGATE, params):
        key = row[0]
        reasons = dict(
            zip(
                ("no_end", "bad_end", "no_groups", "no_counts", "partial_counts", "no_hosts"),
                (row[3], row[4], row[6], row[7], row[8], row[10]),
                strict=True,
            )
        )
        out[key] = Figures(
            key=key,
            name="",
            sessions=int(row[1]),
            hours=float(row[2] or 0.0),
            trainees=int(row[5] or 0),
            photos=int(row[9] or 0),
            left_out={r: int(n) for r, n in reasons.items() if n},
        )
    for key, n in conn.execute(head + _HOSTS, params):
        out[key].hosts = int(n)
    for key, n in conn.execute(head + _GUIDES, params):
        out[key].guides = int(n)
    return out


def _check_by(by: str) -> None:
    if by not in GROUPINGS:
        raise UserError(_("Cannot group by “{by}”; use team, member or guide.").format(by=by))


def _group_cte(by: str) -> str:
    return f"SELECT s.id AS sid, l.gkey AS gkey FROM s LEFT JOIN ({_LINKS[by]}) l ON l.sid = s.id"


def _bucket_cte(buckets: list[Bucket]) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    cases = []
    for i, b in enumerate(buckets):
        params[f"b{i}lo"], params[f"b{i}hi"], params[f"b{i}"] = b.lo, b.hi, b.label
        cases.append(f"WHEN s.starts_at >= :b{i}lo AND s.starts_at < :b{i}hi THEN :b{i}")
    return f"SELECT s.id AS sid, CASE {' '.join(cases)} END AS gkey FROM s", params


def compute(
    library: Library, period: Period, by: str = "team", tr: Callable[[str], str] = _
) -> Statistics:
    """The statistics of `period` grouped `by` team, member or guide."""
    _check_by(by)
    conn = library.reader()
    grouped = _grouped(conn, period, _group_cte(by), {})
    keys = [k for k in grouped if k is not None]
    names: dict[str, tuple[str, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        sql = _NAMES[by].format(marks=",".join("?" * len(chunk)))
        for key, name, sort_key in conn.execute(sql, chunk):
            names[key] = (name, sort_key or "")
    for key, fig in grouped.items():
        fig.name = names[key][0] if key is not None else tr(NO_GROUP_NAMES[by])
    groups = sorted(
        grouped.values(),
        key=lambda f: (f.key is None, -f.sessions, names.get(f.key or "", ("", ""))[1]),
    )
    total = _grouped(conn, period, "SELECT id AS sid, NULL AS gkey FROM s", {}).get(None)
    total = total or Figures(None, "")
    total.name = tr(TOTAL)
    buckets = period.buckets()
    cte, params = _bucket_cte(buckets)
    by_bucket = _grouped(conn, period, cte, params)
    bucket_rows = [by_bucket.get(b.label) or Figures(b.label, b.label) for b in buckets]
    for fig, b in zip(bucket_rows, buckets, strict=True):
        fig.key = fig.name = b.label
    return Statistics(period, by, groups, total, bucket_rows)


def session_ids(library: Library, period: Period, by: str, key: str | None) -> list[str]:
    """The sessions behind one row of the table (key None: those with no team/member/guide),
    in date order."""
    _check_by(by)
    lo, hi = period.bounds()
    head = "WITH " + _sessions_cte(", g AS (" + _group_cte(by) + ")")
    where = "g.gkey IS NULL" if key is None else "g.gkey = :key"
    sql = head + f" SELECT DISTINCT s.id, s.starts_at FROM g JOIN s ON s.id = g.sid WHERE {where}"
    rows = library.reader().execute(
        sql + " ORDER BY s.starts_at, s.id", {"lo": lo, "hi": hi, "key": key}
    )
    return [r[0] for r in rows]
