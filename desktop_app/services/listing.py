"""Lists of records for the UI's lazy table models and `jiangxin list`.

A list is fetched in two steps, as Anki's browser does: `list_ids` returns only the ids in
display order (filtered and sorted in SQL), and `fetch_rows` builds the display rows for the
handful of ids that are on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, false, func, or_, select
from sqlalchemy.sql.elements import KeyedColumnElement

from desktop_app.core.i18n import N_
from desktop_app.services.labels import TEAM_KIND_LABELS, label
from desktop_app.storage import searchindex
from desktop_app.storage.library import Library
from desktop_app.storage.models import (
    AGGREGATES,
    FieldSession,
    Guide,
    GuideStep,
    Member,
    Photo,
    ServiceTeam,
    SessionGuide,
    SessionPhoto,
    SessionTeam,
    TeamMembership,
)


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # marked with N_, translated by the caller
    sort: Any  # SQL expression to order by


def _photo_count() -> Any:
    return (
        select(func.count())
        .where(SessionPhoto.session_id == FieldSession.id)
        .correlate(FieldSession)
        .scalar_subquery()
    )


def _member_count() -> Any:
    return (
        select(func.count())
        .where(TeamMembership.team_id == ServiceTeam.id)
        .correlate(ServiceTeam)
        .scalar_subquery()
    )


COLUMNS: dict[str, list[Column]] = {
    "team": [
        Column("name", N_("Name"), ServiceTeam.name),
        Column("kind", N_("Kind"), ServiceTeam.kind),
        Column("parent_union", N_("Union"), ServiceTeam.parent_union),
        Column("members", N_("Members"), _member_count()),
    ],
    "member": [
        Column("name", N_("Name"), Member.name),
        Column("honours", N_("Honours"), Member.honours),
        Column("specialty", N_("Specialty"), Member.specialty),
        Column("employer", N_("Employer"), Member.employer),
    ],
    "guide": [
        Column("title", N_("Title"), Guide.title),
        Column("category", N_("Category"), Guide.category),
        Column("season", N_("Season"), Guide.season),
        Column("revision", N_("Revision"), Guide.revision),
        Column("updated_at", N_("Updated"), Guide.updated_at),
    ],
    "session": [
        Column("starts_at", N_("Date"), FieldSession.starts_at),
        Column("venue", N_("Venue"), FieldSession.venue),
        Column("theme", N_("Theme"), FieldSession.theme),
        Column("teams", N_("Teams"), FieldSession.starts_at),
        Column("photos", N_("Photos"), _photo_count()),
    ],
    "photo": [
        Column("original_name", N_("File"), Photo.original_name),
        Column("taken_at", N_("Taken"), Photo.taken_at),
        Column("caption", N_("Caption"), Photo.caption),
        Column("size", N_("Size"), Photo.byte_size),
    ],
}

DEFAULT_SORT = {
    "team": ("name", False),
    "member": ("name", False),
    "guide": ("title", False),
    "session": ("starts_at", True),  # newest first
    "photo": ("taken_at", True),
}

# Columns searched by the simple list filter (the full-text search is its own service).
FILTER_COLUMNS: dict[str, list[Any]] = {
    "team": [ServiceTeam.name, ServiceTeam.parent_union, ServiceTeam.description],
    "member": [Member.name, Member.specialty, Member.employer, Member.honours],
    "guide": [Guide.title, Guide.category, Guide.problem, Guide.tags],
    "session": [FieldSession.theme, FieldSession.venue, FieldSession.summary],
    "photo": [Photo.original_name, Photo.caption, Photo.camera],
}


@dataclass
class ListFilter:
    text: str = ""
    team_id: str | None = None  # sessions and guides of one team
    guide_id: str | None = None  # sessions that covered a guide
    date_from: Any = None  # aware datetimes, sessions only
    date_to: Any = None
    # True: `text` goes through the full-text index (all indexed fields, 1-character Chinese
    # words, ４５ == 45) instead of LIKE over the list's own columns.
    fts: bool = False


def _conditions(kind: str, flt: ListFilter) -> list[ColumnElement[bool]]:
    model: Any = AGGREGATES[kind]
    conds: list[ColumnElement[bool]] = [model.deleted_at.is_(None)]
    if flt.fts and flt.text.strip():
        expression = searchindex.match_expression(flt.text)
        conds.append(
            false()
            if expression is None
            else model.id.in_(searchindex.matching_ids(kind, expression))
        )
    for word in [] if flt.fts else flt.text.split():
        pattern = f"%{word}%"
        conds.append(or_(*[cast(col, Text).like(pattern) for col in FILTER_COLUMNS[kind]]))
    if flt.team_id and kind == "session":
        conds.append(
            FieldSession.id.in_(
                select(SessionTeam.session_id).where(SessionTeam.team_id == flt.team_id)
            )
        )
    if flt.team_id and kind == "guide":
        conds.append(Guide.team_id == flt.team_id)
    if flt.team_id and kind == "member":
        conds.append(
            Member.id.in_(
                select(TeamMembership.member_id).where(TeamMembership.team_id == flt.team_id)
            )
        )
    if flt.guide_id and kind == "session":
        conds.append(
            FieldSession.id.in_(
                select(SessionGuide.session_id).where(SessionGuide.guide_id == flt.guide_id)
            )
        )
    if kind == "session" and flt.date_from is not None:
        conds.append(FieldSession.starts_at >= flt.date_from)
    if kind == "session" and flt.date_to is not None:
        conds.append(FieldSession.starts_at < flt.date_to)
    return conds


# The columns `fetch_rows` reads for each kind.
FETCH_COLUMNS: dict[str, list[str]] = {
    "team": ["id", "revision", "deleted_at", "name", "kind", "parent_union"],
    "member": ["id", "revision", "deleted_at", "name", "honours", "specialty", "employer"],
    "guide": ["id", "revision", "deleted_at", "title", "category", "season", "updated_at"],
    "session": ["id", "revision", "deleted_at", "starts_at", "venue", "theme"],
    "photo": [
        "id", "revision", "deleted_at", "original_name", "taken_at", "caption", "width",
        "height", "sha256",
    ],
}  # fmt: skip


def list_ids(
    library: Library,
    kind: str,
    flt: ListFilter | None = None,
    *,
    sort: str | None = None,
    descending: bool | None = None,
) -> list[str]:
    """Ids of the live records of `kind` matching the filter, in display order."""
    model: Any = AGGREGATES[kind]
    default_key, default_desc = DEFAULT_SORT[kind]
    key = sort or default_key
    desc = default_desc if descending is None else descending
    column = next((c for c in COLUMNS[kind] if c.key == key), COLUMNS[kind][0])
    order: KeyedColumnElement[Any] | Any = column.sort.desc() if desc else column.sort.asc()
    stmt = (
        select(model.id)
        .where(and_(*_conditions(kind, flt or ListFilter())))
        # Ties broken by id in the same direction, so an index on (sort column, id) serves
        # both directions without a temporary sort.
        .order_by(order, model.id.desc() if desc else model.id.asc())
    )
    with library.session() as s:
        return list(s.scalars(stmt))


_LOCAL_OFFSETS: dict[int, Any] = {}  # UTC hour -> local UTC offset then (DST-correct)


def _format_dt(value: Any) -> str:
    # astimezone() asks the C library for the zone on every call and strftime is slow; forms
    # fill thousands of rows, so cache the offset per UTC hour and format by hand.
    if value is None:
        return ""
    hour = int(value.timestamp()) // 3600
    offset = _LOCAL_OFFSETS.get(hour)
    if offset is None:
        if len(_LOCAL_OFFSETS) > 50_000:
            _LOCAL_OFFSETS.clear()
        offset = _LOCAL_OFFSETS[hour] = value.astimezone().utcoffset()
    d = value + offset
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}"


def fetch_rows(library: Library, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Display rows for the given ids (missing or deleted ids are left out)."""
    if not ids:
        return {}
    model: Any = AGGREGATES[kind]
    rows: dict[str, dict[str, Any]] = {}
    with library.session() as s:
        # Only the shown columns, as rows (not ORM objects): a 2,000-guide list builds in a
        # fraction of the time. Rows have the same attribute names as the objects.
        columns = [getattr(model, name) for name in FETCH_COLUMNS[kind]]
        objs = s.execute(select(*columns).where(model.id.in_(list(ids)))).all()
        if kind == "team":
            counts = dict(
                s.execute(
                    select(TeamMembership.team_id, func.count())
                    .where(TeamMembership.team_id.in_(list(ids)))
                    .group_by(TeamMembership.team_id)
                ).all()
            )
        elif kind == "session":
            counts = dict(
                s.execute(
                    select(SessionPhoto.session_id, func.count())
                    .where(SessionPhoto.session_id.in_(list(ids)))
                    .group_by(SessionPhoto.session_id)
                ).all()
            )
            team_names: dict[str, list[str]] = {}
            for sid, name in s.execute(
                select(SessionTeam.session_id, ServiceTeam.name)
                .join(ServiceTeam, ServiceTeam.id == SessionTeam.team_id)
                .where(SessionTeam.session_id.in_(list(ids)))
                .order_by(SessionTeam.position)
            ):
                team_names.setdefault(sid, []).append(name)
        elif kind == "guide":
            counts = dict(
                s.execute(
                    select(GuideStep.guide_id, func.count())
                    .where(GuideStep.guide_id.in_(list(ids)))
                    .group_by(GuideStep.guide_id)
                ).all()
            )
        for obj in objs:
            if obj.deleted_at is not None:
                continue
            row: dict[str, Any] = {"id": obj.id, "revision": obj.revision}
            if kind == "team":
                row.update(
                    name=obj.name,
                    kind=obj.kind,
                    kind_label=label(TEAM_KIND_LABELS, obj.kind),
                    parent_union=obj.parent_union,
                    members=counts.get(obj.id, 0),
                )
            elif kind == "member":
                row.update(
                    name=obj.name,
                    honours="、".join(h.get("title", "") for h in obj.honours),
                    specialty=obj.specialty,
                    employer=obj.employer,
                )
            elif kind == "guide":
                row.update(
                    title=obj.title,
                    category=obj.category,
                    season=obj.season,
                    steps=counts.get(obj.id, 0),
                    updated_at=_format_dt(obj.updated_at),
                )
            elif kind == "session":
                row.update(
                    starts_at=_format_dt(obj.starts_at),
                    venue=obj.venue,
                    theme=obj.theme,
                    teams="、".join(team_names.get(obj.id, [])),
                    photos=counts.get(obj.id, 0),
                )
            elif kind == "photo":
                row.update(
                    original_name=obj.original_name,
                    taken_at=_format_dt(obj.taken_at),
                    caption=obj.caption,
                    size=f"{obj.width}×{obj.height}",
                    sha256=obj.sha256,
                )
            rows[obj.id] = row
    return rows


def list_rows(library: Library, kind: str, flt: ListFilter | None = None) -> list[dict[str, Any]]:
    """All matching rows in display order (for the CLI; the UI pages through `fetch_rows`)."""
    ids = list_ids(library, kind, flt)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        fetched = fetch_rows(library, kind, chunk)
        rows.extend(fetched[i] for i in chunk if i in fetched)
    return rows


NAME_COLUMNS: dict[str, Any] = {
    "team": ServiceTeam.name,
    "member": Member.name,
    "guide": Guide.title,
}


def display_names(library: Library, kind: str) -> dict[str, str]:
    """id -> name (title for guides) of every live record, sorted by it: for pickers and
    filter combos, in one query of two columns however large the library is."""
    model: Any = AGGREGATES[kind]
    column = NAME_COLUMNS[kind]
    stmt = select(model.id, column).where(model.deleted_at.is_(None)).order_by(column, model.id)
    with library.session() as s:
        return {str(rid): str(name or "") for rid, name in s.execute(stmt)}
