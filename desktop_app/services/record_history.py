"""A record's earlier versions for people: list them, compare two field by field, restore one.

Every replaced version of a record is a row of `record_history` (written by
`storage/versions.keep_in_history`, with why it was replaced and when). A version is listed
with how it was made and where: on this laptop (an edit, a deletion, a restore, a resolved
conflict) or taken from a knowledge pack, named by the library that made it (`version_origin`,
written by `remember_origins` when a pack is imported).

Two versions are compared field by field (`compare`): one row per field a person edits, child
lists (steps, attendees, honours, authors) as readable lines, references by name (a deleted
record's name marked as deleted, never an id). The same rows, keyed by field, let the conflicts
dialog take some fields from the other laptop's version (`merge.resolve_conflict_fields`).

Restoring a version makes a NEW version through the catalog's save (with the current version
as `expected_version`), so it goes into history, travels in packs like any edit and can be
undone. A version that points to a photo removed by clean-up is refused with a sentence: a
record never points to a photo whose file is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from desktop_app.core.errors import RecordNotFoundError, UserError, ValidationError
from desktop_app.core.i18n import N_, _, ngettext
from desktop_app.core.timezones import DEFAULT_ZONE, in_zone, zone_label
from desktop_app.services import catalog, listing
from desktop_app.services.labels import (
    KIND_NAMES,
    SESSION_ROLE_LABELS,
    TEAM_CATEGORY_LABELS,
    TEAM_ROLE_LABELS,
    label,
)
from desktop_app.services.records import get_record
from desktop_app.storage.kinds import KINDS, parse_dt, record_to_dict, upgrade_dict
from desktop_app.storage.models import Photo, RecordHistory, VersionOrigin, utcnow
from desktop_app.storage.store import RecordStore
from desktop_app.storage.versions import CHUNK, chunks, tag_hash

# --- the fields a person edits, per record kind ---------------------------------------------


@dataclass(frozen=True)
class Field:
    """One thing a person edits in a form: a label and the record-dictionary keys it covers
    (a session's time is its start, end and zone together: taken apart, an end could come
    before the start)."""

    name: str
    label: str  # msgid
    keys: tuple[str, ...]


def _f(name: str, text: str, *keys: str) -> Field:
    return Field(name, text, keys or (name,))


FIELDS: dict[str, tuple[Field, ...]] = {
    "team": (
        _f("name", N_("Name")),
        _f("category", N_("Category")),
        _f("parent_union", N_("Union")),
        _f("description", N_("Description")),
        _f("expertise", N_("Expertise")),
        _f("member_count_note", N_("Member count note")),
        _f("members", N_("Team members")),
    ),
    "member": (
        _f("name", N_("Name")),
        _f("honours", N_("Honours")),
        _f("specialty", N_("Specialty")),
        _f("employer", N_("Employer")),
        _f("phone", N_("Phone")),
        _f("notes", N_("Notes")),
        _f("portrait_photo_id", N_("Portrait")),
    ),
    "guide": (
        _f("title", N_("Title")),
        _f("team_id", N_("Team")),
        _f("author_ids", N_("Authors")),
        _f("category", N_("Category")),
        _f("problem", N_("Problem")),
        _f("season", N_("Season")),
        _f("materials", N_("Materials and tools")),
        _f("key_points", N_("Key points")),
        _f("steps", N_("Steps")),
        _f("safety_notes", N_("Safety notes")),
        _f("common_mistakes", N_("Common mistakes")),
        _f("tags", N_("Tags")),
    ),
    "session": (
        _f("when", N_("Date"), "starts_at", "ends_at", "time_zone"),
        _f("venue", N_("Venue")),
        _f("gps", N_("GPS"), "gps_lat", "gps_lon"),
        _f("theme", N_("Theme")),
        _f("host_organisations", N_("Hosts")),
        _f("team_ids", N_("Teams")),
        _f("attendees", N_("Present")),
        _f("groups", N_("Participants")),
        _f("agenda", N_("Agenda")),
        _f("guide_ids", N_("Guides")),
        _f("summary", N_("Summary")),
        _f("feedback", N_("Feedback")),
        _f("follow_ups", N_("Follow-up")),
        _f("photo_ids", N_("Photos")),
    ),
    "photo": (
        _f("caption", N_("Caption")),
        _f("rotation", N_("Rotation")),
        _f("original_name", N_("File")),
        _f("taken_at", N_("Taken")),
        _f("camera", N_("Camera")),
        _f("gps", N_("GPS"), "gps_lat", "gps_lon"),
    ),
}


def field_names(kind: str) -> list[str]:
    return [f.name for f in FIELDS[kind]]


# --- showing values -------------------------------------------------------------------------


class _Names:
    """Names of the records two versions refer to, looked up once for both."""

    def __init__(self, library: RecordStore, kind: str, datas: Iterable[dict[str, Any] | None]):
        wanted: dict[str, list[str]] = {}
        for data in datas:
            if data:
                for ref_kind, ref_id in KINDS[kind].references_in(data):
                    wanted.setdefault(ref_kind, []).append(ref_id)
        self.labels: dict[str, dict[str, str]] = {}
        for ref_kind, ids in wanted.items():
            if ref_kind == "photo":
                self.labels["photo"] = _photo_labels(library, ids)
            else:
                self.labels[ref_kind] = listing.reference_labels(library, ref_kind, ids)

    def __call__(self, kind: str, record_id: str | None) -> str:
        if not record_id:
            return ""
        return self.labels.get(kind, {}).get(record_id) or _(listing.UNKNOWN_RECORD)


def _photo_labels(library: RecordStore, ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    with library.session() as s:
        for pid, name, deleted in s.execute(
            select(Photo.id, Photo.original_name, Photo.deleted_at).where(Photo.id.in_(set(ids)))
        ):
            text = str(name or pid[:8])
            out[pid] = listing.mark_deleted(text) if deleted is not None else text
    return out


def _lines(values: Iterable[str]) -> str:
    return "\n".join(v for v in values if v)


def _when(data: dict[str, Any]) -> str:
    zone = str(data.get("time_zone") or DEFAULT_ZONE)
    starts = parse_dt(data.get("starts_at"))
    if starts is None:
        return ""
    start = in_zone(starts, zone)
    text = f"{start:%Y-%m-%d %H:%M}"
    ends = parse_dt(data.get("ends_at"))
    if ends is not None:
        end = in_zone(ends, zone)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%Y-%m-%d %H:%M}"
    return f"{text}\n{zone_label(zone, starts)}"


def _photo_count(n: int) -> str:
    return ngettext("{n} photo", "{n} photos", n).format(n=n) if n else ""


def _show(kind: str, field: Field, data: dict[str, Any], names: _Names) -> str:
    """The value of one field as a person reads it."""
    name = field.name
    value = data.get(field.keys[0])
    if name == "when":
        return _when(data)
    if name == "gps":
        lat, lon = data.get("gps_lat"), data.get("gps_lon")
        return "" if lat is None or lon is None else f"{lat:.6f}, {lon:.6f}"
    if kind == "team" and name == "category":
        return label(TEAM_CATEGORY_LABELS, str(value or ""))
    if name == "members":
        return _lines(
            f"{names('member', m['member_id'])}（{label(TEAM_ROLE_LABELS, m['role'])}）"
            for m in value or []
        )
    if name == "honours":
        return _lines(
            str(h.get("title", "")) + (f"（{h['year']}）" if h.get("year") else "")
            for h in value or []
        )
    if name == "portrait_photo_id":
        return names("photo", value)
    if name == "team_id":
        return names("team", value)
    if name in ("author_ids", "team_ids"):
        return "、".join(
            names("member" if name == "author_ids" else "team", v) for v in value or []
        )
    if name == "guide_ids":
        return _lines(names("guide", g) for g in value or [])
    if name == "steps":
        return _lines(
            f"{i}. {st['text']}"
            + (f"（{_photo_count(len(st['photo_ids']))}）" if st["photo_ids"] else "")
            for i, st in enumerate(value or [], start=1)
        )
    if name == "attendees":
        return _lines(
            f"{names('member', a['member_id'])}（{label(SESSION_ROLE_LABELS, a['role'])}）"
            + (f" {a['note']}" if a.get("note") else "")
            for a in value or []
        )
    if name == "groups":
        return _lines(
            g["name"] + (f" × {g['count']}" if g.get("count") is not None else "")
            for g in value or []
        )
    if name == "agenda":
        return _lines(
            " ".join(filter(None, (a.get("time"), a.get("title"), a.get("leader"))))
            for a in value or []
        )
    if name == "feedback":
        return _lines(
            f"“{f['text']}”" + (f" —— {f['speaker_role']}{f['speaker']}" if f["speaker"] else "")
            for f in value or []
        )
    if name == "photo_ids":
        return _lines([_photo_count(len(value or []))] + [names("photo", p) for p in value or []])
    if name == "rotation":
        return f"{value}°" if value else ""
    if name == "taken_at":
        moment = parse_dt(value) if isinstance(value, str) else None
        return f"{in_zone(moment, DEFAULT_ZONE):%Y-%m-%d %H:%M}" if moment else ""
    if isinstance(value, list):
        return (
            "、".join(str(v) for v in value)
            if name in ("expertise", "tags")
            else _lines(str(v) for v in value)
        )
    return "" if value is None else str(value)


def _same(field: Field, a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    spec_children = ("members", "steps", "attendees", "groups", "agenda", "feedback")
    for key in field.keys:
        x, y = a.get(key), b.get(key)
        if key in spec_children:  # child row ids say nothing a person sees
            x = [_without_id(v) for v in x or []]
            y = [_without_id(v) for v in y or []]
        if x != y:
            return False
    return True


def _without_id(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "id"} if isinstance(value, dict) else value


@dataclass
class FieldRow:
    """One field of two versions side by side."""

    field: str  # the `Field.name`
    label: str  # translated
    left: str
    right: str
    changed: bool


def compare(
    library: RecordStore,
    kind: str,
    left: dict[str, Any] | None,
    right: dict[str, Any] | None,
    *,
    personal: bool = True,
) -> list[FieldRow]:
    """Every field of two versions of one record (None: deleted), references by name.

    `personal=False` leaves out personal fields (a member's phone and notes), for versions
    that came without contact details.
    """
    left = _live(kind, left)
    right = _live(kind, right)
    names = _Names(library, kind, (left, right))
    rows = []
    for field in FIELDS[kind]:
        if not personal and set(field.keys) & set(KINDS[kind].personal):
            continue
        rows.append(
            FieldRow(
                field.name,
                _(field.label),
                _show(kind, field, left, names) if left else "",
                _show(kind, field, right, names) if right else "",
                not _same(field, left, right),
            )
        )
    return rows


def changed_fields(
    kind: str, older: dict[str, Any] | None, newer: dict[str, Any] | None
) -> list[str]:
    """The labels of the fields that differ between two versions (no name look-ups)."""
    older, newer = _live(kind, older), _live(kind, newer)
    if older is None or newer is None:
        return []
    return [_(f.label) for f in FIELDS[kind] if not _same(f, older, newer)]


def _live(kind: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None or data.get("deleted_at"):
        return None
    return upgrade_dict(kind, data)


def merge_fields(
    kind: str, mine: dict[str, Any], theirs: dict[str, Any], theirs_fields: Iterable[str]
) -> dict[str, Any]:
    """`mine` with the listed fields taken from `theirs` (for a field-level resolution)."""
    wanted = set(theirs_fields)
    known = {f.name: f for f in FIELDS[kind]}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise UserError(
            _("A {kind} has no field “{field}”.").format(kind=_(KIND_NAMES[kind]), field=unknown[0])
        )
    mine, theirs = upgrade_dict(kind, mine), upgrade_dict(kind, theirs)
    out = dict(mine)
    for name in wanted:
        for key in known[name].keys:
            out[key] = theirs.get(key)
    return out


# --- the versions of a record ---------------------------------------------------------------


@dataclass
class Version:
    """One version of a record: the current one (`history_id` None) or an earlier one."""

    history_id: int | None
    revision: int
    tag: str
    made_at: datetime | None  # when the version was made (its `updated_at`)
    replaced_at: datetime | None  # None: the current version
    how: str  # "created", "edit", "delete", "restore", "merge", "resolve", "pack", "restored"
    source: str  # "" this laptop; else the name of the library the version came from
    restored_from: int | None
    deleted: bool
    data: dict[str, Any]

    @property
    def is_current(self) -> bool:
        return self.history_id is None

    def describe(self) -> str:
        """How the version came to be, in words: "Edited on this laptop"."""
        if self.how == "pack":
            return _("From “{name}”").format(name=self.source or _("another laptop"))
        if self.how == "restored":
            return _("Restores revision {n}").format(n=self.restored_from)
        return _(HOW_TEXT.get(self.how, HOW_TEXT["edit"]))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.history_id,
            "current": self.is_current,
            "revision": self.revision,
            "tag": self.tag,
            "made_at": self.made_at.isoformat() if self.made_at else None,
            "replaced_at": self.replaced_at.isoformat() if self.replaced_at else None,
            "how": self.how,
            "source": self.source,
            "restored_from": self.restored_from,
            "deleted": self.deleted,
            "description": self.describe(),
            "data": self.data,
        }


# How a version was made, from the reason its predecessor was replaced.
HOW_TEXT = {
    "created": N_("Created on this laptop"),
    "edit": N_("Edited on this laptop"),
    "delete": N_("Deleted on this laptop"),
    "restore": N_("Brought back on this laptop"),
    "merge": N_("Changed on this laptop while importing a pack"),
    "resolve": N_("Conflict resolved on this laptop"),
}


def _history_rows(s: Session, kind: str, record_id: str) -> list[RecordHistory]:
    return list(
        s.scalars(
            select(RecordHistory)
            .where(RecordHistory.kind == kind, RecordHistory.record_id == record_id)
            .order_by(RecordHistory.id)
        )
    )


def list_versions(library: RecordStore, kind: str, record_id: str) -> list[Version]:
    """Every version of a record this library held, the current one first, then newest first.

    Raises `RecordNotFoundError` (a sentence) for an unknown kind or id.
    """
    if kind not in KINDS:
        raise RecordNotFoundError(
            _("There is no kind of record called “{kind}”.").format(kind=kind)
        )
    with library.session() as s:
        obj = get_record(s, kind, record_id, include_deleted=True)
        current = record_to_dict(kind, obj)
        rows = _history_rows(s, kind, obj.id)
        origins = {
            o.tag: o
            for o in s.scalars(
                select(VersionOrigin).where(
                    VersionOrigin.kind == kind, VersionOrigin.record_id == obj.id
                )
            )
        }
        out: list[Version] = []
        previous_reason = "created"
        entries: list[tuple[int | None, dict[str, Any], str, datetime | None]] = [
            (row.id, upgrade_dict(kind, dict(row.data)), row.version_tag, row.replaced_at)
            for row in rows
        ]
        entries.append((None, current, obj.version_tag, None))
        reasons = ["created"] + [row.reason for row in rows]
        for (hid, data, tag, replaced_at), previous_reason in zip(entries, reasons, strict=True):
            origin = origins.get(tag)
            how, source, restored_from = previous_reason, "", None
            if origin is not None and origin.restored_from is not None:
                how, restored_from = "restored", origin.restored_from
            elif origin is not None:
                how, source = "pack", origin.source_name
            out.append(
                Version(
                    history_id=hid,
                    revision=int(data.get("revision") or 0),
                    tag=tag,
                    made_at=parse_dt(data.get("updated_at")),
                    replaced_at=replaced_at,
                    how=how,
                    source=source,
                    restored_from=restored_from,
                    deleted=bool(data.get("deleted_at")),
                    data=data,
                )
            )
    out.reverse()
    return out


def version_content(
    library: RecordStore, kind: str, record_id: str, history_id: int | None
) -> dict[str, Any]:
    """The record dictionary of one version (None: the current one)."""
    for version in list_versions(library, kind, record_id):
        if version.history_id == history_id:
            return version.data
    raise RecordNotFoundError(
        _("The {kind} has no earlier version {version}.").format(
            kind=_(KIND_NAMES[kind]), version=history_id
        )
    )


# --- restoring ------------------------------------------------------------------------------


def form_data(kind: str, data: dict[str, Any]) -> Any:
    """A record dictionary as the input data its catalog save takes."""
    data = upgrade_dict(kind, data)
    c = catalog
    if kind == "team":
        return c.TeamData(
            name=data["name"],
            category=data["category"],
            parent_union=data["parent_union"],
            description=data["description"],
            expertise=list(data["expertise"]),
            member_count_note=data["member_count_note"],
            members=[c.Membership(m["member_id"], m["role"]) for m in data["members"]],
        )
    if kind == "member":
        return c.MemberData(
            name=data["name"],
            honours=[c.Honour(h.get("title", ""), h.get("year")) for h in data["honours"]],
            specialty=data["specialty"],
            employer=data["employer"],
            phone=data.get("phone") or "",
            notes=data.get("notes") or "",
            portrait_photo_id=data["portrait_photo_id"],
        )
    if kind == "guide":
        return c.GuideData(
            title=data["title"],
            category=data["category"],
            problem=data["problem"],
            season=data["season"],
            materials=list(data["materials"]),
            key_points=list(data["key_points"]),
            safety_notes=list(data["safety_notes"]),
            common_mistakes=list(data["common_mistakes"]),
            tags=list(data["tags"]),
            team_id=data["team_id"],
            author_ids=list(data["author_ids"]),
            steps=[c.StepData(st["text"], list(st["photo_ids"])) for st in data["steps"]],
            is_demo=bool(data.get("is_demo")),
        )
    if kind == "session":
        starts = parse_dt(data["starts_at"])
        assert starts is not None
        return c.SessionData(
            starts_at=starts,
            ends_at=parse_dt(data["ends_at"]),
            theme=data["theme"],
            venue=data["venue"],
            gps_lat=data["gps_lat"],
            gps_lon=data["gps_lon"],
            host_organisations=list(data["host_organisations"]),
            summary=data["summary"],
            follow_ups=list(data["follow_ups"]),
            team_ids=list(data["team_ids"]),
            attendees=[
                c.AttendeeData(a["member_id"], a["role"], a["note"]) for a in data["attendees"]
            ],
            groups=[c.GroupData(g["name"], g["count"]) for g in data["groups"]],
            agenda=[c.AgendaData(a["title"], a["time"], a["leader"]) for a in data["agenda"]],
            guide_ids=list(data["guide_ids"]),
            feedback=[
                c.FeedbackData(f["text"], f["speaker"], f["speaker_role"]) for f in data["feedback"]
            ],
            photo_ids=list(data["photo_ids"]),
            time_zone=str(data.get("time_zone") or DEFAULT_ZONE),
        )
    raise UserError(
        _("Earlier versions of a {kind} cannot be restored here.").format(kind=_(KIND_NAMES[kind]))
    )


SAVERS: dict[str, Callable[..., str]] = {
    "team": catalog.save_team,
    "member": catalog.save_member,
    "guide": catalog.save_guide,
    "session": catalog.save_session,
}


def _check_photos(library: RecordStore, kind: str, data: dict[str, Any]) -> None:
    """Refuse a version that shows a photo this library no longer has a file for."""
    wanted = {rid for rk, rid in KINDS[kind].references_in(data) if rk == "photo"}
    if not wanted:
        return
    with library.session() as s:
        live = set(
            s.scalars(select(Photo.id).where(Photo.id.in_(wanted), Photo.deleted_at.is_(None)))
        )
    if wanted - live:
        raise ValidationError(
            {
                "photos": _(
                    "This version shows a photo that was removed since (by “Clean up unused "
                    "photos”, here or on another laptop); it cannot be restored. Add the photo "
                    "file anew, then edit the record."
                )
            }
        )


def _validate(library: RecordStore, kind: str, data: Any, record_id: str) -> None:
    if kind == "team":
        with library.session() as s:
            catalog.validate_team(s, data, record_id)
    elif kind == "member":
        catalog.validate_member(data)
    elif kind == "guide":
        catalog.validate_guide(data)
    else:
        catalog.validate_session(data)


def restore_version(
    library: RecordStore,
    kind: str,
    record_id: str,
    history_id: int,
    expected_version: str | None = None,
) -> str:
    """Make an earlier version the current one again, as a new version; return its tag.

    `expected_version` is the version the user saw as current: if the record changed since
    (an import, another form), nothing is written and `StaleRecordError` says so. A deleted
    record comes back with the restored content. Restoring a deletion is refused: that is
    what Delete is for.
    """
    versions = list_versions(library, kind, record_id)
    if kind not in SAVERS:
        form_data(kind, {})  # the sentence for kinds without a form
    current = versions[0]
    record_id = current.data["id"]
    chosen = next((v for v in versions if v.history_id == history_id), None)
    if chosen is None:
        raise RecordNotFoundError(
            _("The {kind} has no earlier version {version}.").format(
                kind=_(KIND_NAMES[kind]), version=history_id
            )
        )
    if chosen.deleted:
        raise UserError(
            _("Version {version} is the deletion of this {kind}; delete it instead.").format(
                version=history_id, kind=_(KIND_NAMES[kind])
            )
        )
    if not current.deleted and tag_hash(chosen.tag) == tag_hash(current.tag):
        raise UserError(
            _("Version {version} says the same as the current one; there is nothing to restore.")
            .format(version=history_id)
        )  # fmt: skip
    if expected_version is None:
        expected_version = current.tag
    data = form_data(kind, chosen.data)
    _check_photos(library, kind, chosen.data)
    if current.deleted:
        # Two writes (bring back, then save): everything that could refuse the save is
        # checked first, so that a refusal leaves the record deleted, as it was.
        _validate(library, kind, data, record_id)
        catalog.restore_record(library, kind, record_id, expected_version=expected_version)
        expected_version = catalog.current_version(library, kind, record_id)
    SAVERS[kind](library, data, record_id, expected_version=expected_version)
    tag = catalog.current_version(library, kind, record_id)
    with library.transaction() as s:
        s.merge(
            VersionOrigin(
                kind=kind,
                record_id=record_id,
                tag=tag,
                source_id="",
                source_name="",
                restored_from=chosen.revision,
                received_at=utcnow(),
            )
        )
    return tag


# --- where versions came from ---------------------------------------------------------------


def remember_origins(s: Session, plan: Any) -> None:
    """After a pack import: remember, for each version it made current, the library that made
    it (called in the import's transaction with the `merge.MergePlan` just applied).

    One bulk insert of the versions not remembered yet (a version that arrives again keeps
    the first library that brought it): a pack of thousands of records stays one statement
    per few hundred rows, not a look-up per record.
    """
    from desktop_app.services.merge import ADD, DELETE, UPDATE

    wanted: dict[tuple[str, str, str], None] = {}
    for decision in plan.decisions:
        if decision.action in (ADD, UPDATE, DELETE) and decision.tag:
            wanted[(decision.kind, decision.id, decision.tag)] = None
    if not wanted:
        return
    for kind in {k for k, _r, _t in wanted}:
        ids = sorted({r for k, r, _t in wanted if k == kind})
        for part in chunks(ids):
            for record_id, tag in s.execute(
                select(VersionOrigin.record_id, VersionOrigin.tag).where(
                    VersionOrigin.kind == kind, VersionOrigin.record_id.in_(part)
                )
            ):
                wanted.pop((kind, record_id, tag), None)
    now = utcnow()
    values = [
        {
            "kind": kind,
            "record_id": record_id,
            "tag": tag,
            "source_id": plan.source_id or "",
            "source_name": plan.source_name or "",
            "restored_from": None,
            "received_at": now,
        }
        for kind, record_id, tag in wanted
    ]
    for start in range(0, len(values), CHUNK):
        s.execute(insert(VersionOrigin), values[start : start + CHUNK])


# --- conflicts --------------------------------------------------------------------------------


def conflict_rows(library: RecordStore, conflict_id: str) -> list[FieldRow]:
    """This laptop's version (left) beside the other laptop's (right), field by field, for a
    conflict. Personal fields are left out when their version came without contact details
    (their empty phone is not a change anyone made)."""
    from desktop_app.storage.models import MergeConflict

    with library.session() as s:
        row = s.get(MergeConflict, conflict_id)
        if row is None:
            raise RecordNotFoundError(_("No conflict with id {id}.").format(id=conflict_id))
        obj = s.get(KINDS[row.kind].model, row.record_id)
        mine = record_to_dict(row.kind, obj) if obj is not None else None
        record = row.incoming.get("record")
        theirs = record if isinstance(record, dict) else None
        kind, contacts = row.kind, bool(row.incoming.get("contacts"))
    return compare(library, kind, mine, theirs, personal=contacts)
