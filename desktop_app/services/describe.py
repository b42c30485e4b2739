"""Records as labelled lines for people: `jiangxin show` and the window's detail view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.core.i18n import _
from desktop_app.core.timezones import DEFAULT_ZONE, in_zone, iso_in_zone, zone_label
from desktop_app.services import listing
from desktop_app.services.labels import (
    SESSION_ROLE_LABELS,
    TEAM_CATEGORY_LABELS,
    TEAM_ROLE_LABELS,
    label,
)
from desktop_app.storage.kinds import KINDS, ShownField, parse_dt
from desktop_app.storage.library import Library


def _names(library: Library, kind: str, ids: list[str]) -> dict[str, str]:
    """What each reference shows: the name; a deleted record's name marked as deleted; an
    id this library does not hold as "(unknown record)". Never the id itself."""
    return listing.reference_labels(library, kind, ids)


def session_when(data: dict[str, Any]) -> str:
    """A session's date and times as the place's wall time: "2025-08-15 09:30–11:30"."""
    zone_name = str(data.get("time_zone") or DEFAULT_ZONE)
    starts = parse_dt(data["starts_at"])
    if starts is None:
        return ""
    start = in_zone(starts, zone_name)
    text = f"{start:%Y-%m-%d %H:%M}"
    ends = parse_dt(data.get("ends_at"))
    if ends is not None:
        end = in_zone(ends, zone_name)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%Y-%m-%d %H:%M}"
    return text


def with_place_times(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A record dictionary for people and scripts (`show --json`): a session's times carry
    the offset of its place's zone ("2025-08-15T09:30:00+08:00") instead of UTC's. The
    instants are the same; stored dictionaries (packs, history, tags) keep UTC."""
    if kind != "session":
        return data
    zone_name = str(data.get("time_zone") or DEFAULT_ZONE)
    out = dict(data)
    for name in ("starts_at", "ends_at"):
        out[name] = iso_in_zone(parse_dt(data.get(name)), zone_name)
    out["time_zone"] = zone_name
    return out


# --- how a field reads (the formats of kinds.ShownField) --------------------------------------
# Each takes the library, the record dictionary and the line's declaration, and gives the
# values of its lines (one for most; one per item for lists of things, possibly none).

Format = Callable[[Library, dict[str, Any], ShownField], list[str]]
ENUM_LABELS: dict[str, dict[str, str]] = {"team_category": TEAM_CATEGORY_LABELS}


def _text(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    value = data.get(line.field)
    return ["" if value is None else str(value)]


def _join(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [line.arg.join(str(v) for v in data[line.field])]


def _enum(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [label(ENUM_LABELS[line.arg], data[line.field])]


def _ref(library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    rid = data.get(line.field) or ""
    return [_names(library, line.arg, [rid] if rid else []).get(rid, "")]


def _refs(library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    names = _names(library, line.arg, data[line.field])
    return ["、".join(names.get(r, "") for r in data[line.field])]


def _ref_lines(library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    names = _names(library, line.arg, data[line.field])
    return [names.get(r, "") for r in data[line.field]]


def _lines(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [str(v) for v in data[line.field]]


def _count(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [str(len(data[line.field]))]


def _honours(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    honours = [h["title"] + (f"（{h['year']}）" if h.get("year") else "") for h in data[line.field]]
    return ["、".join(honours)]


def _team_members(library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    rows = data[line.field]
    names = _names(library, "member", [m["member_id"] for m in rows])
    return [
        f"{names.get(m['member_id'], '')}（{label(TEAM_ROLE_LABELS, m['role'])}）" for m in rows
    ]


def _steps(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [s["text"] for s in data[line.field]]


def _attendees(library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    rows = data[line.field]
    names = _names(library, "member", [a["member_id"] for a in rows])
    return [
        f"{names.get(a['member_id'], '')}（{label(SESSION_ROLE_LABELS, a['role'])}）{a['note']}"
        for a in rows
    ]


def _groups(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [
        g["name"] + (f" × {g['count']}" if g["count"] is not None else "") for g in data[line.field]
    ]


def _agenda(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [" ".join(filter(None, (a["time"], a["title"], a["leader"]))) for a in data[line.field]]


def _feedback(_library: Library, data: dict[str, Any], line: ShownField) -> list[str]:
    return [f"“{f['text']}” —— {f['speaker_role']}{f['speaker']}" for f in data[line.field]]


def _session_when(_library: Library, data: dict[str, Any], _line: ShownField) -> list[str]:
    return [session_when(data)]


def _time_zone(_library: Library, data: dict[str, Any], _line: ShownField) -> list[str]:
    zone_name = str(data.get("time_zone") or DEFAULT_ZONE)
    return [zone_label(zone_name, parse_dt(data["starts_at"]))]


def _photo_size(_library: Library, data: dict[str, Any], _line: ShownField) -> list[str]:
    return [f"{data['width']}×{data['height']}, {data['byte_size']} B"]


FORMATS: dict[str, Format] = {
    "text": _text,
    "join": _join,
    "enum": _enum,
    "ref": _ref,
    "refs": _refs,
    "ref_lines": _ref_lines,
    "lines": _lines,
    "count": _count,
    "honours": _honours,
    "team_members": _team_members,
    "steps": _steps,
    "attendees": _attendees,
    "groups": _groups,
    "agenda": _agenda,
    "feedback": _feedback,
    "session_when": _session_when,
    "time_zone": _time_zone,
    "photo_size": _photo_size,
}


def describe(library: Library, kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Human lines for `show`: field label and value, with references resolved to names, as
    the kind declares them (`RecordKind.shown`)."""
    lines: list[tuple[str, str]] = [("ID", data["id"]), (_("Revision"), str(data["revision"]))]
    for line in KINDS[kind].shown:
        for n, value in enumerate(FORMATS[line.format](library, data, line), start=1):
            lines.append((_(line.label).format(n=n), value))
    return lines
