"""Lists of records for the UI's lazy table models and `jiangxin list`.

A list is fetched in two steps, as Anki's browser does: `list_ids` returns only the ids in
display order (filtered and sorted in SQL), and `fetch_rows` builds the display rows for the
handful of ids that are on screen.

These are plain SQL on the library's `sqlite3` reader, not SQLAlchemy: the window paints its
first list before the ORM (about 300 ms to import) has loaded, and a list is a few fixed
queries over known columns. Which columns, filters and sorts each kind has is declared with
the kind (`ListSpec` in storage/kinds.py); the tests run every list, sort and filter against
real libraries, so a renamed column fails them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from desktop_app.core.i18n import N_, _
from desktop_app.core.timezones import from_wall_time, in_zone, iso_in_zone
from desktop_app.services.labels import TEAM_CATEGORY_LABELS, label
from desktop_app.storage import searchtext
from desktop_app.storage.kinds import KINDS, ListColumn, ListSpec, RecordKind
from desktop_app.storage.library import Library
from desktop_app.storage.store import RecordStore
from desktop_app.storage.timestamps import from_db_text, to_db_text

# Each kind's list (columns, row values, filters, sort) is declared with the kind, in
# storage/kinds.py; this module turns those declarations into SQL and display rows.
COLUMNS: dict[str, list[ListColumn]] = {
    name: list(spec.list_spec.columns) for name, spec in KINDS.items()
}
DEFAULT_SORT: dict[str, tuple[str, bool]] = {
    name: spec.list_spec.default_sort for name, spec in KINDS.items()
}


@dataclass
class ListFilter:
    text: str = ""
    team_id: str | None = None  # sessions and guides of one team
    guide_id: str | None = None  # sessions that covered a guide
    date_from: Any = None  # aware datetimes, sessions only
    date_to: Any = None
    # Sessions whose date *at their place* (in their own zone) is within these days, both
    # inclusive: what the list's date column shows, on any laptop.
    first_day: date | None = None
    last_day: date | None = None
    # True: `text` goes through the full-text index (all indexed fields, 1-character Chinese
    # words, ４５ == 45) instead of LIKE over the list's own columns.
    fts: bool = False


def _like_term(spec: RecordKind, field: str) -> str:
    column = spec.column(field)
    # A list field is stored as JSON: only its values are searched, not the JSON around
    # them (`title`, `year` or `null` would otherwise match every member with an honour).
    if field in spec.list_fields:
        return (
            f"EXISTS (SELECT 1 FROM json_tree(CASE WHEN json_valid({column}) THEN {column} "
            "ELSE '[]' END) WHERE atom IS NOT NULL AND CAST(atom AS TEXT) LIKE ? ESCAPE '\\')"
        )
    return f"CAST({column} AS TEXT) LIKE ? ESCAPE '\\'"


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day_range(
    lst: ListSpec, zones: Sequence[str], first: date | None, last: date | None
) -> tuple[str, list[Any]]:
    """A WHERE term for sessions whose local date is in [first, last]: one UTC range per zone
    the library's sessions use (a handful), so each is a range on the starts_at index."""
    parts: list[str] = []
    params: list[Any] = []
    for zone_name in zones:
        part = [f"{lst.zone_column} = ?"]
        params.append(zone_name)
        if first is not None:
            part.append(f"{lst.dated_by} >= ?")
            params.append(to_db_text(from_wall_time(datetime.combine(first, time()), zone_name)))
        if last is not None:
            end = datetime.combine(last + timedelta(days=1), time())
            part.append(f"{lst.dated_by} < ?")
            params.append(to_db_text(from_wall_time(end, zone_name)))
        parts.append("(" + " AND ".join(part) + ")")
    return ("(" + " OR ".join(parts) + ")" if parts else "0"), params


def _conditions(
    kind: str, flt: ListFilter, zones: Sequence[str] = ()
) -> tuple[list[str], list[Any]]:
    """WHERE terms (ANDed) and their parameters (`zones`: the sessions' zones, for days)."""
    spec = KINDS[kind]
    lst = spec.list_spec
    terms = ["deleted_at IS NULL"]
    params: list[Any] = []
    if flt.fts and flt.text.strip():
        expression = searchtext.match_expression(flt.text)
        if expression is None:
            terms.append("0")
        else:
            terms.append(f"id IN ({searchtext.matching_ids_sql()})")
            params += [expression, kind]
    for word in [] if flt.fts else flt.text.split():
        likes = [_like_term(spec, field) for field in lst.filter_fields]
        terms.append("(" + " OR ".join(likes) + ")")
        params += [_like_pattern(word)] * len(likes)
    if flt.team_id and lst.of_team:
        terms.append(lst.of_team)
        params.append(flt.team_id)
    if flt.guide_id and lst.of_guide:
        terms.append(lst.of_guide)
        params.append(flt.guide_id)
    if lst.dated_by and flt.date_from is not None:
        terms.append(f"{lst.dated_by} >= ?")
        params.append(to_db_text(flt.date_from))
    if lst.dated_by and flt.date_to is not None:
        terms.append(f"{lst.dated_by} < ?")
        params.append(to_db_text(flt.date_to))
    if lst.dated_by and (flt.first_day is not None or flt.last_day is not None):
        term, more = _day_range(lst, zones, flt.first_day, flt.last_day)
        terms.append(term)
        params += more
    return terms, params


def list_ids(
    library: Library,
    kind: str,
    flt: ListFilter | None = None,
    *,
    sort: str | None = None,
    descending: bool | None = None,
) -> list[str]:
    """Ids of the live records of `kind` matching the filter, in display order."""
    spec = KINDS[kind]
    lst = spec.list_spec
    default_key, default_desc = lst.default_sort
    key = sort or default_key
    desc = default_desc if descending is None else descending
    column = next((c for c in lst.columns if c.key == key), lst.columns[0])
    direction = "DESC" if desc else "ASC"
    flt = flt or ListFilter()
    zones: list[str] = []
    if lst.dated_by and (flt.first_day is not None or flt.last_day is not None):
        sql = f"SELECT DISTINCT {lst.zone_column} FROM {spec.table} WHERE deleted_at IS NULL"
        zones = [str(z) for (z,) in library.reader().execute(sql)]
    terms, params = _conditions(kind, flt, zones)
    # Ties broken by id in the same direction, so an index on (sort column, id) serves both
    # directions without a temporary sort.
    sql = (
        f"SELECT id FROM {spec.table} WHERE {' AND '.join(terms)}"
        f" ORDER BY {column.sort} {direction}, id {direction}"
    )
    return [row[0] for row in library.reader().execute(sql, params)]


# (zone name or "" for the laptop's, UTC hour) -> the zone's UTC offset then (DST-correct)
_OFFSETS: dict[tuple[str, int], timedelta] = {}


def _honour_titles(stored: str | None) -> str:
    try:
        honours = json.loads(stored or "[]")
        return "、".join(str(h.get("title", "")) for h in honours)
    except (ValueError, TypeError, AttributeError):
        return ""  # a damaged value: the list still shows (`check` reports it)


def _iso_at_place(text: str | None, zone_name: str) -> str | None:
    """ISO 8601 with the place's offset; a damaged value as it is (`check` reports it)."""
    try:
        return iso_in_zone(from_db_text(text), zone_name)
    except ValueError:
        return text


def _format_dt(text: str | None, zone_name: str = "") -> str:
    """A stored time as "2025-08-15 09:30": in the zone given (a session's place), or in the
    laptop's zone (audit times, photos)."""
    # astimezone() asks the C library for the zone on every call and strftime is slow; forms
    # fill thousands of rows, so cache the offset per zone and UTC hour and format by hand.
    try:
        value = from_db_text(text)
    except ValueError:
        return str(text)  # a damaged value is shown as it is (`check` reports it)
    if value is None:
        return ""
    hour = int(value.timestamp()) // 3600
    offset = _OFFSETS.get((zone_name, hour))
    if offset is None:
        if len(_OFFSETS) > 50_000:
            _OFFSETS.clear()
        local = in_zone(value, zone_name) if zone_name else value.astimezone()
        offset = _OFFSETS[(zone_name, hour)] = local.utcoffset() or timedelta(0)
    d = value + offset
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}"


def format_datetime(text: str | None) -> str:
    """A stored time as the lists show it ("2025-08-15 09:30"); "" for none."""
    return _format_dt(text)


def _in(ids: Sequence[str]) -> str:
    return ",".join("?" * len(ids))


def _counts(conn: sqlite3.Connection, table: str, key: str, ids: list[str]) -> dict[str, int]:
    sql = f"SELECT {key}, count(*) FROM {table} WHERE {key} IN ({_in(ids)}) GROUP BY {key}"
    return {str(k): int(n) for k, n in conn.execute(sql, ids)}


def _team_names(conn: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    """Each session's teams in order; a team deleted since is still named (marked), never
    left out or shown as an id."""
    names: dict[str, list[str]] = {}
    for sid, name, team_deleted in conn.execute(
        "SELECT st.session_id, t.name, t.deleted_at IS NOT NULL FROM session_team st"
        " JOIN service_team t ON t.id = st.team_id"
        f" WHERE st.session_id IN ({_in(ids)}) ORDER BY st.position",
        ids,
    ):
        names.setdefault(sid, []).append(mark_deleted(name) if team_deleted else name)
    return {sid: "、".join(parts) for sid, parts in names.items()}


def _pixels(width: Any, height: Any) -> str:
    return f"{width}×{height}"


# How a row value is made from its stored column(s) (see kinds.RowValue); counts and team
# names are fetched for the whole page in `fetch_rows`.
_FORMATS: dict[str, Callable[..., Any]] = {
    "text": lambda value: value,
    "local_time": _format_dt,
    "place_time": _format_dt,
    "place_iso": _iso_at_place,
    "honour_titles": _honour_titles,
    "team_category": lambda value: label(TEAM_CATEGORY_LABELS, value),
    "pixels": _pixels,
}
_PER_PAGE = {"count", "team_names"}


def fetch_rows(library: Library, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Display rows for the given ids (missing or deleted ids are left out)."""
    if not ids:
        return {}
    ids = list(ids)
    conn = library.reader()
    spec = KINDS[kind]
    values = spec.list_spec.rows
    read = ["id", "revision", "deleted_at"]
    for value in values:
        if value.format not in _PER_PAGE:
            read += [spec.column(f) for f in value.source.split(",")]
    names = list(dict.fromkeys(read))
    sql = f"SELECT {', '.join(names)} FROM {spec.table} WHERE id IN ({_in(ids)})"
    records = [dict(zip(names, row, strict=True)) for row in conn.execute(sql, ids)]
    per_page: dict[str, dict[str, Any]] = {}
    for value in values:
        if value.format == "count":
            table, key = value.source.split(".")
            per_page[value.key] = _counts(conn, table, key, ids)
        elif value.format == "team_names":
            per_page[value.key] = _team_names(conn, ids)
    rows: dict[str, dict[str, Any]] = {}
    for obj in records:
        if obj["deleted_at"] is not None:
            continue
        rid = obj["id"]
        row: dict[str, Any] = {"id": rid, "revision": obj["revision"]}
        for value in values:
            if value.format in _PER_PAGE:
                row[value.key] = per_page[value.key].get(rid, 0 if value.format == "count" else "")
            else:
                args = [obj[spec.column(f)] for f in value.source.split(",")]
                row[value.key] = _FORMATS[value.format](*args)
        rows[rid] = row
    return rows


def display_value(column: ListColumn, row: dict[str, Any]) -> Any:
    """What a list column shows for a row (a team's category as its label)."""
    return row.get(column.shown_key, "")


def machine_row(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A display row for scripts (`list --json`): each column's machine value under its key
    (a session's time with its place's offset) and no helper keys."""
    out = dict(row)
    for column in COLUMNS[kind]:
        if column.machine:
            out[column.key] = out.pop(column.machine)
    return out


def list_rows(library: Library, kind: str, flt: ListFilter | None = None) -> list[dict[str, Any]]:
    """All matching rows in display order (for the CLI; the UI pages through `fetch_rows`)."""
    ids = list_ids(library, kind, flt)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        fetched = fetch_rows(library, kind, chunk)
        rows.extend(fetched[i] for i in chunk if i in fetched)
    return rows


# kind -> (name column, its pinyin sort key), for the kinds that are named in pickers
NAME_COLUMNS: dict[str, tuple[str, str]] = {
    name: spec.list_spec.name for name, spec in KINDS.items() if spec.list_spec.name
}


def display_names(library: Library, kind: str) -> dict[str, str]:
    """id -> name (title for guides) of every live record in pinyin order: for pickers and
    filter combos, in one query of two columns however large the library is."""
    column, key = NAME_COLUMNS[kind]
    sql = (
        f"SELECT id, {column} FROM {KINDS[kind].table} WHERE deleted_at IS NULL ORDER BY {key}, id"
    )
    return {str(rid): str(name or "") for rid, name in library.reader().execute(sql)}


# --- references to other records ------------------------------------------------------------

LIVE = "live"
DELETED = "deleted"  # soft-deleted here: the name is known, shown marked
UNKNOWN = "unknown"  # not in this library at all (never arrived): no name to show

DELETED_MARK = N_("{name} (deleted)")
UNKNOWN_RECORD = N_("(unknown record)")


def mark_deleted(name: str, tr: Callable[[str], str] = _) -> str:
    """A deleted record's name as shown wherever something still refers to it."""
    return tr(DELETED_MARK).format(name=name)


@dataclass(frozen=True)
class RefName:
    """The name of a referenced record and whether the library still holds it."""

    name: str
    state: str = LIVE

    def label(self, tr: Callable[[str], str] = _) -> str:
        """What a person sees: the name, the name marked as deleted, or "(unknown record)" -
        never an id."""
        if self.state == UNKNOWN:
            return tr(UNKNOWN_RECORD)
        if self.state == DELETED:
            return mark_deleted(self.name, tr)
        return self.name


def reference_names(library: RecordStore, kind: str, ids: Sequence[str]) -> dict[str, RefName]:
    """The name of every id in `ids` (team, member or guide), deleted records included: what
    a form, a list or `show` prints for a reference. One query however many ids in a library;
    in a server database (which has no plain `sqlite3` reader), one per thousand ids."""
    wanted = [i for i in dict.fromkeys(ids) if i]
    if not wanted:
        return {}
    column, _key = NAME_COLUMNS[kind]
    found: dict[str, RefName] = {}
    if isinstance(library, Library):
        # json_each takes the whole list as one parameter: no limit on the number of ids.
        sql = (
            f"SELECT id, {column}, deleted_at IS NOT NULL FROM {KINDS[kind].table}"
            " WHERE id IN (SELECT value FROM json_each(?))"
        )
        rows: Iterable[Any] = library.reader().execute(sql, [json.dumps(wanted)])
    else:
        rows = _server_names(library, kind, column, wanted)
    for rid, name, deleted in rows:
        found[str(rid)] = RefName(str(name or ""), DELETED if deleted else LIVE)
    return {i: found.get(i, RefName("", UNKNOWN)) for i in wanted}


def _server_names(
    store: RecordStore, kind: str, column: str, ids: list[str]
) -> list[tuple[Any, ...]]:
    from sqlalchemy import bindparam, text

    query = text(
        f"SELECT id, {column}, deleted_at IS NOT NULL FROM {KINDS[kind].table} WHERE id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    out: list[tuple[Any, ...]] = []
    with store.session() as s:
        for start in range(0, len(ids), 1000):  # PostgreSQL takes at most 65,535 parameters
            out.extend(tuple(row) for row in s.execute(query, {"ids": ids[start : start + 1000]}))
    return out


def teams_of_member(library: Library, member_id: str) -> list[str]:
    """The names of the live teams a member belongs to, in list (pinyin) order."""
    sql = (
        "SELECT t.name FROM team_membership tm JOIN service_team t ON t.id = tm.team_id"
        " WHERE tm.member_id = ? AND t.deleted_at IS NULL ORDER BY t.name_key, t.name"
    )
    return [str(name) for (name,) in library.reader().execute(sql, [member_id])]


def reference_labels(library: RecordStore, kind: str, ids: Sequence[str]) -> dict[str, str]:
    """`reference_names` as the texts shown (see `RefName.label`)."""
    return {i: ref.label() for i, ref in reference_names(library, kind, ids).items()}
