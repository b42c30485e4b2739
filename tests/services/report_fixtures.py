"""A generated library with the gaps real ledgers have, and the figures counted another way.

`gapped_template` is a small `generate-large` library (3 teams, 1,200 sessions) in which some
sessions lose their end time, head counts, participant groups, hosts or teams, a few are
deleted, and some photos are deleted: every "left out" reason occurs. `expected_figures`
recounts a period from the ORM objects in plain Python, so the SQL in services/reports is
checked against an independent count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import TextClause, select, text
from sqlalchemy.orm import selectinload

from desktop_app.services.largegen import generate_large
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession


def make_gapped_library(root: Path) -> None:
    generate_large(root, scale=0.06, seed=16)
    with Library.open(root, write=True) as library, library.engine.begin() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM field_session ORDER BY id")]

        def each(sql: str, chosen: list[str]) -> None:
            conn.exec_driver_sql(sql, [(sid,) for sid in chosen])

        each("UPDATE field_session SET ends_at = NULL WHERE id = ?", ids[0:40])
        each("UPDATE field_session SET ends_at = starts_at WHERE id = ?", ids[40:50])
        each("UPDATE participant_group SET count = NULL WHERE session_id = ?", ids[50:90])
        each(
            "INSERT INTO participant_group (id, session_id, name, count, position)"
            " VALUES (lower(hex(randomblob(16))), ?, '社区居民', NULL, 5)",
            ids[90:120],
        )
        each("DELETE FROM participant_group WHERE session_id = ?", ids[120:140])
        each("UPDATE field_session SET host_organisations = '[]' WHERE id = ?", ids[140:160])
        each("DELETE FROM session_team WHERE session_id = ?", ids[160:180])
        each("DELETE FROM session_attendee WHERE session_id = ?", ids[180:190])
        each(
            "UPDATE field_session SET deleted_at = '2026-01-01 00:00:00.000000' WHERE id = ?",
            ids[190:200],
        )
        # Some sessions get a second team (session_team keeps the first one).
        teams = [r[0] for r in conn.exec_driver_sql("SELECT id FROM service_team ORDER BY id")]
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO session_team (session_id, team_id, position) VALUES (?, ?, 9)",
            [(sid, teams[i % len(teams)]) for i, sid in enumerate(ids[200:260])],
        )
        conn.exec_driver_sql(
            "UPDATE photo SET deleted_at = '2026-01-01 00:00:00.000000'"
            " WHERE id IN (SELECT photo_id FROM session_photo ORDER BY photo_id LIMIT 200)"
        )


@dataclass
class Expected:
    sessions: set[str] = field(default_factory=set)
    hours: float = 0.0
    trainees: int = 0
    hosts: set[str] = field(default_factory=set)
    guides: set[str] = field(default_factory=set)
    photos: int = 0
    left_out: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def expected_figures(
    library: Library, start: date, end: date, by: str
) -> tuple[dict[str | None, Expected], Expected]:
    """Per group key (None: no live team/member/guide) and the total, from ORM objects."""
    groups: dict[str | None, Expected] = defaultdict(Expected)
    total = Expected()
    with library.session_factory() as s:
        sessions = s.scalars(
            select(FieldSession).options(
                selectinload(FieldSession.teams),
                selectinload(FieldSession.attendees),
                selectinload(FieldSession.groups),
                selectinload(FieldSession.guides),
                selectinload(FieldSession.photos),
            )
        ).all()
        live_teams = {t for (t,) in s.execute(select_live("service_team"))}
        live_members = {m for (m,) in s.execute(select_live("member"))}
        live_guides = {g for (g,) in s.execute(select_live("guide"))}
        for fs in sessions:
            if fs.deleted_at is not None:
                continue
            day = fs.starts_at.astimezone().date()
            if not start <= day <= end:
                continue
            if by == "team":
                keys = {t.team_id for t in fs.teams if t.team_id in live_teams}
            elif by == "member":
                keys = {a.member_id for a in fs.attendees if a.member_id in live_members}
            else:
                keys = {g.guide_id for g in fs.guides if g.guide_id in live_guides}
            targets = [groups[k] for k in (keys or {None})] + [total]
            counts = [g.count for g in fs.groups]
            known = [c for c in counts if c is not None]
            hosts = {h.strip() for h in fs.host_organisations if h.strip()}
            for e in targets:
                e.sessions.add(fs.id)
                if fs.ends_at is None:
                    e.left_out["no_end"] += 1
                elif fs.ends_at <= fs.starts_at:
                    e.left_out["bad_end"] += 1
                else:
                    e.hours += (fs.ends_at - fs.starts_at).total_seconds() / 3600
                if not counts:
                    e.left_out["no_groups"] += 1
                elif not known:
                    e.left_out["no_counts"] += 1
                else:
                    e.trainees += sum(known)
                    if len(known) < len(counts):
                        e.left_out["partial_counts"] += 1
                if not hosts:
                    e.left_out["no_hosts"] += 1
                e.hosts |= hosts
                e.guides |= {g.guide_id for g in fs.guides if g.guide_id in live_guides}
                # What the session's photo grid shows (photos.session_photos): every link,
                # also to a photo deleted elsewhere and merged in (the fixture makes some).
                e.photos += len(fs.photos)
    return dict(groups), total


def select_live(table: str) -> TextClause:
    return text(f"SELECT id FROM {table} WHERE deleted_at IS NULL")
