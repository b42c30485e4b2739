"""The record kinds: what each kind of record that travels between laptops is, declared once.

A *record kind* (team, member, guide, session, photo) is an aggregate: one row with a UUID,
audit times, a revision and a soft-delete mark, plus child rows that belong to it and are
replaced with it. Everything that needs to know the shape of a kind reads it from `KINDS`
here: its model, its own fields, its child relations, how it becomes a plain dictionary (for
packs, history and `show --json`) and back, which fields point to other records, which fields
are personal (left out of packs by default) and what a person calls one record.

"Kind" always means a record kind in this code; a team's own classification (专业技术,
教育培训...) is its *category*.

This module does not import SQLAlchemy (the models are imported when first needed): the pack
reader and the window's first paint use the declarations without paying ~300 ms for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from desktop_app.core.timezones import DEFAULT_ZONE, in_zone

if TYPE_CHECKING:
    from sqlalchemy.orm.strategy_options import _AbstractLoad

    from desktop_app.storage.models import RecordMixin


def _models() -> Any:
    return importlib.import_module("desktop_app.storage.models")


# Identity and audit fields every record dictionary starts with.
RECORD_FIELDS = ("id", "created_at", "updated_at", "revision", "deleted_at")
# What says *when* and *which* rather than *what*: left out of a version's content hash.
META_FIELDS = ("revision", "created_at", "updated_at", "deleted_at")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC: an instant reads the same whether it was just set (a form's +08:00)
    or read back from the database, so a version's hash does not depend on which."""
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()


def parse_dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: everything the rest of the code needs to know about its shape."""

    name: str
    model_name: str  # the class in storage/models.py
    # The record's own columns, in dictionary order (after RECORD_FIELDS).
    fields: tuple[str, ...]
    # Relationship attributes holding child rows, replaced as a whole with the record.
    children: tuple[str, ...]
    # Fields that point to other records: ("field" | "list[].field", kind of the target).
    references: tuple[tuple[str, str], ...]
    # Fields that stay home unless the user asks for contact details.
    personal: tuple[str, ...]
    # The dictionary of a record: own columns, then child rows (ids only for references).
    child_dicts: Callable[[Any], dict[str, Any]]
    # Child rows built from a dictionary's child entries.
    child_rows: Callable[[dict[str, Any]], dict[str, list[Any]]]
    # A short human name (title, name, date and theme...) from a record dictionary.
    title: Callable[[dict[str, Any]], str]
    # Datetime-valued own fields (stored aware, written as ISO 8601 text).
    datetime_fields: tuple[str, ...] = ()
    # List-valued own fields (JSON columns): copied, never shared, when assigned.
    list_fields: tuple[str, ...] = ()
    # Own fields added after records of the kind were already shared, with the value every
    # older record has: left out of the dictionary while they hold it, so an older record's
    # dictionary, content hash and stored tag stay exactly what they were (and a pack from an
    # older app, which has no such key, reads as that value).
    sparse: tuple[tuple[str, Any], ...] = ()

    @property
    def model(self) -> type[RecordMixin]:
        model: type[RecordMixin] = getattr(_models(), self.model_name)
        return model

    def loader_options(self) -> list[_AbstractLoad]:
        """Eager loads for the child rows, so that a thousand records are a few queries."""
        from sqlalchemy.orm import selectinload

        options: list[_AbstractLoad] = []
        for rel in self.children:
            load = selectinload(getattr(self.model, rel))
            if self.name == "guide" and rel == "steps":
                load = load.selectinload(_models().GuideStep.photos)
            options.append(load)
        return options

    def to_dict(self, obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        defaults = dict(self.sparse)
        for name in RECORD_FIELDS + self.fields:
            value = getattr(obj, name)
            if name in defaults and value == defaults[name]:
                continue
            if name.endswith("_at") or isinstance(value, datetime):
                value = iso(value)
            elif name in self.list_fields:
                value = list(value) if name != "honours" else [dict(h) for h in value]
            out[name] = value
        out.update(self.child_dicts(obj))
        return out

    def assign(self, obj: Any, data: dict[str, Any], *, contacts: bool) -> None:
        """Make `obj` say exactly what `data` says; child rows are replaced.

        Personal fields are taken only when `contacts` is set and the incoming value is not
        empty: contact details never erase what is known here.
        """
        data = upgrade_dict(self.name, data)
        for name in META_FIELDS:
            setattr(obj, name, data[name] if name == "revision" else parse_dt(data[name]))
        defaults = dict(self.sparse)
        for name in self.fields:
            if name in defaults:
                setattr(obj, name, data.get(name, defaults[name]))
            elif name in self.personal:
                if contacts and data.get(name):
                    setattr(obj, name, data[name])
                elif getattr(obj, name, None) is None:
                    setattr(obj, name, "")
            elif name in self.datetime_fields:
                setattr(obj, name, parse_dt(data[name]))
            elif name in self.list_fields:
                value = data[name]
                setattr(obj, name, [dict(v) if isinstance(v, dict) else v for v in value])
            else:
                setattr(obj, name, data[name])
        for rel, rows in self.child_rows(data).items():
            setattr(obj, rel, rows)

    def references_in(self, data: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """(kind, id) of every record a dictionary of this kind points to."""
        for path, ref_kind in self.references:
            if "[]." in path:
                outer, inner = path.split("[].")
                for child in data.get(outer, []):
                    value = child.get(inner)
                    for ref in value if isinstance(value, list) else [value]:
                        if ref:
                            yield ref_kind, ref
            else:
                value = data.get(path)
                for ref in value if isinstance(value, list) else [value]:
                    if ref:
                        yield ref_kind, ref

    def map_references(
        self, data: dict[str, Any], ref_kind: str, fn: Callable[[str], str]
    ) -> dict[str, Any]:
        """A copy of `data` with every reference to `ref_kind` passed through `fn`.

        Only the containers on the way to a reference are copied; `data` is not changed.
        """
        out = dict(data)
        for path, rk in self.references:
            if rk != ref_kind:
                continue
            if "[]." in path:
                outer, inner = path.split("[].")
                children = []
                for child in out.get(outer, []):
                    copy_ = dict(child)
                    value = copy_.get(inner)
                    if isinstance(value, list):
                        copy_[inner] = [fn(x) for x in value]
                    elif value:
                        copy_[inner] = fn(value)
                    children.append(copy_)
                out[outer] = children
            else:
                value = out.get(path)
                if isinstance(value, list):
                    out[path] = [fn(x) for x in value]
                elif value:
                    out[path] = fn(value)
        return out


# --- the kinds --------------------------------------------------------------------------------


def _team_children(team: Any) -> dict[str, Any]:
    return {
        "members": [
            {"id": m.id, "member_id": m.member_id, "role": m.role} for m in team.memberships
        ]
    }


def _team_rows(data: dict[str, Any]) -> dict[str, list[Any]]:
    TeamMembership = _models().TeamMembership
    return {
        "memberships": [
            TeamMembership(id=m["id"], member_id=m["member_id"], role=m["role"], position=i)
            for i, m in enumerate(data["members"])
        ]
    }


def _step_dict(step: Any) -> dict[str, Any]:
    out = {"id": step.id, "text": step.text, "photo_ids": [p.photo_id for p in step.photos]}
    # Only a risky step says so (schema 0007): every older step's dictionary, and so its
    # guide's content hash and stored tag, stays what it was.
    if step.risky:
        out["risky"] = True
    return out


def _guide_children(guide: Any) -> dict[str, Any]:
    return {
        "author_ids": [a.member_id for a in guide.authors],
        "steps": [_step_dict(s) for s in guide.steps],
    }


def _guide_rows(data: dict[str, Any]) -> dict[str, list[Any]]:
    models = _models()
    GuideAuthor, GuideStep, GuideStepPhoto = (
        models.GuideAuthor,
        models.GuideStep,
        models.GuideStepPhoto,
    )
    return {
        "authors": [GuideAuthor(member_id=m, position=i) for i, m in enumerate(data["author_ids"])],
        "steps": [
            GuideStep(
                id=st["id"],
                text=st["text"],
                risky=bool(st.get("risky", False)),
                position=i,
                photos=[
                    GuideStepPhoto(photo_id=p, position=j) for j, p in enumerate(st["photo_ids"])
                ],
            )
            for i, st in enumerate(data["steps"])
        ],
    }


def _session_children(fs: Any) -> dict[str, Any]:
    return {
        "team_ids": [t.team_id for t in fs.teams],
        "attendees": [
            {"id": a.id, "member_id": a.member_id, "role": a.role, "note": a.note}
            for a in fs.attendees
        ],
        "groups": [{"id": g.id, "name": g.name, "count": g.count} for g in fs.groups],
        "agenda": [
            {"id": a.id, "title": a.title, "time": a.time, "leader": a.leader} for a in fs.agenda
        ],
        "guide_ids": [g.guide_id for g in fs.guides],
        "feedback": [
            {"id": f.id, "text": f.text, "speaker": f.speaker, "speaker_role": f.speaker_role}
            for f in fs.feedback
        ],
        "photo_ids": [p.photo_id for p in fs.photos],
    }


def _session_rows(data: dict[str, Any]) -> dict[str, list[Any]]:
    models = _models()
    SessionTeam, SessionAttendee, ParticipantGroup = (
        models.SessionTeam,
        models.SessionAttendee,
        models.ParticipantGroup,
    )
    AgendaItem, SessionGuide, FeedbackQuote, SessionPhoto = (
        models.AgendaItem,
        models.SessionGuide,
        models.FeedbackQuote,
        models.SessionPhoto,
    )
    return {
        "teams": [SessionTeam(team_id=t, position=i) for i, t in enumerate(data["team_ids"])],
        "attendees": [
            SessionAttendee(
                id=a["id"], member_id=a["member_id"], role=a["role"], note=a["note"], position=i
            )
            for i, a in enumerate(data["attendees"])
        ],
        "groups": [
            ParticipantGroup(id=g["id"], name=g["name"], count=g["count"], position=i)
            for i, g in enumerate(data["groups"])
        ],
        "agenda": [
            AgendaItem(id=a["id"], title=a["title"], time=a["time"], leader=a["leader"], position=i)
            for i, a in enumerate(data["agenda"])
        ],
        "guides": [SessionGuide(guide_id=g, position=i) for i, g in enumerate(data["guide_ids"])],
        "feedback": [
            FeedbackQuote(
                id=f["id"],
                text=f["text"],
                speaker=f["speaker"],
                speaker_role=f["speaker_role"],
                position=i,
            )
            for i, f in enumerate(data["feedback"])
        ],
        "photos": [SessionPhoto(photo_id=p, position=i) for i, p in enumerate(data["photo_ids"])],
    }


def _no_children(_obj: Any) -> dict[str, Any]:
    return {}


def _no_rows(_data: dict[str, Any]) -> dict[str, list[Any]]:
    return {}


def _session_title(data: dict[str, Any]) -> str:
    starts = data.get("starts_at")
    zone = str(data.get("time_zone") or DEFAULT_ZONE)
    moment = parse_dt(starts) if isinstance(starts, str) and starts else None
    date = in_zone(moment, zone).date().isoformat() if moment else ""  # the place's date
    return " ".join(filter(None, (date, str(data.get("theme") or data.get("venue") or ""))))


KINDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        # Dependency order: a kind refers only to kinds before it (or to itself: none does).
        RecordKind(
            name="photo",
            model_name="Photo",
            fields=(
                "sha256",
                "ext",
                "original_name",
                "byte_size",
                "width",
                "height",
                "taken_at",
                "camera",
                "gps_lat",
                "gps_lon",
                "orientation",
                "rotation",
                "caption",
            ),
            children=(),
            references=(),
            personal=(),
            child_dicts=_no_children,
            child_rows=_no_rows,
            title=lambda d: str(d.get("original_name") or str(d.get("sha256", ""))[:12]),
            datetime_fields=("taken_at",),
        ),
        RecordKind(
            name="member",
            model_name="Member",
            fields=(
                "name",
                "honours",
                "specialty",
                "employer",
                "phone",
                "notes",
                "portrait_photo_id",
            ),
            children=(),
            references=(("portrait_photo_id", "photo"),),
            personal=("phone", "notes"),
            child_dicts=_no_children,
            child_rows=_no_rows,
            title=lambda d: str(d.get("name", "")),
            list_fields=("honours",),
        ),
        RecordKind(
            name="team",
            model_name="ServiceTeam",
            fields=(
                "name",
                "category",
                "parent_union",
                "description",
                "expertise",
                "member_count_note",
            ),
            children=("memberships",),
            references=(("members[].member_id", "member"),),
            personal=(),
            child_dicts=_team_children,
            child_rows=_team_rows,
            title=lambda d: str(d.get("name", "")),
            list_fields=("expertise",),
        ),
        RecordKind(
            name="guide",
            model_name="Guide",
            fields=(
                "title",
                "category",
                "problem",
                "season",
                "materials",
                "key_points",
                "safety_notes",
                "common_mistakes",
                "tags",
                "team_id",
                "is_demo",
                "recognition_photo_id",
            ),
            children=("steps", "authors"),
            references=(
                ("team_id", "team"),
                ("author_ids", "member"),
                ("steps[].photo_ids", "photo"),
                ("recognition_photo_id", "photo"),
            ),
            personal=(),
            child_dicts=_guide_children,
            child_rows=_guide_rows,
            title=lambda d: str(d.get("title", "")),
            list_fields=("materials", "key_points", "safety_notes", "common_mistakes", "tags"),
            sparse=(("recognition_photo_id", None),),  # schema 0007
        ),
        RecordKind(
            name="session",
            model_name="FieldSession",
            fields=(
                "starts_at",
                "ends_at",
                "venue",
                "gps_lat",
                "gps_lon",
                "host_organisations",
                "theme",
                "summary",
                "follow_ups",
                "time_zone",
            ),
            children=("teams", "attendees", "groups", "agenda", "guides", "feedback", "photos"),
            references=(
                ("team_ids", "team"),
                ("attendees[].member_id", "member"),
                ("guide_ids", "guide"),
                ("photo_ids", "photo"),
            ),
            personal=(),
            child_dicts=_session_children,
            child_rows=_session_rows,
            title=_session_title,
            datetime_fields=("starts_at", "ends_at"),
            list_fields=("host_organisations", "follow_ups"),
        ),
    )
}

KIND_ORDER: tuple[str, ...] = tuple(KINDS)  # dependency order: photo, member, team, guide, session


def upgrade_dict(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A record dictionary written by an older version (a format-1 pack, a stored conflict,
    a history row) in today's shape: a team's category was called "kind" then, and a session
    had no time zone (schema 0006 explains why such a session is in Beijing time)."""
    if kind == "team" and "kind" in data and "category" not in data:
        data = {("category" if k == "kind" else k): v for k, v in data.items()}
    if kind == "session" and "starts_at" in data and "time_zone" not in data:
        data = {**data, "time_zone": DEFAULT_ZONE}
    return data


def record_to_dict(kind: str, obj: Any) -> dict[str, Any]:
    return KINDS[kind].to_dict(obj)
