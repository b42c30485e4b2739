"""Aggregates as plain dictionaries: for `show --json`, the history table and packs.

The dictionary of an aggregate holds its own columns and its child rows, with ids only for
references to other aggregates. `describe()` adds display names for humans.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import RecordNotFoundError
from desktop_app.core.i18n import _
from desktop_app.services.labels import KIND_NAMES
from desktop_app.storage.models import (
    AGGREGATES,
    FieldSession,
    Guide,
    Member,
    Photo,
    RecordMixin,
    ServiceTeam,
)

RECORD_FIELDS = ("id", "created_at", "updated_at", "revision", "deleted_at")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _columns(obj: RecordMixin, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in RECORD_FIELDS + names:
        value = getattr(obj, name)
        out[name] = _iso(value) if isinstance(value, datetime) or name.endswith("_at") else value
    return out


TEAM_FIELDS = ("name", "kind", "parent_union", "description", "expertise", "member_count_note")
MEMBER_FIELDS = ("name", "honours", "specialty", "employer", "phone", "notes", "portrait_photo_id")
GUIDE_FIELDS = (
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
)
SESSION_FIELDS = (
    "starts_at",
    "ends_at",
    "venue",
    "gps_lat",
    "gps_lon",
    "host_organisations",
    "theme",
    "summary",
    "follow_ups",
)
PHOTO_FIELDS = (
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
)


def team_to_dict(team: ServiceTeam) -> dict[str, Any]:
    data = _columns(team, TEAM_FIELDS)
    data["members"] = [
        {"id": m.id, "member_id": m.member_id, "role": m.role} for m in team.memberships
    ]
    return data


def member_to_dict(member: Member) -> dict[str, Any]:
    return _columns(member, MEMBER_FIELDS)


def guide_to_dict(guide: Guide) -> dict[str, Any]:
    data = _columns(guide, GUIDE_FIELDS)
    data["author_ids"] = [a.member_id for a in guide.authors]
    data["steps"] = [
        {"id": s.id, "text": s.text, "photo_ids": [p.photo_id for p in s.photos]}
        for s in guide.steps
    ]
    return data


def session_to_dict(fs: FieldSession) -> dict[str, Any]:
    data = _columns(fs, SESSION_FIELDS)
    data["team_ids"] = [t.team_id for t in fs.teams]
    data["attendees"] = [
        {"id": a.id, "member_id": a.member_id, "role": a.role, "note": a.note} for a in fs.attendees
    ]
    data["groups"] = [{"id": g.id, "name": g.name, "count": g.count} for g in fs.groups]
    data["agenda"] = [
        {"id": a.id, "title": a.title, "time": a.time, "leader": a.leader} for a in fs.agenda
    ]
    data["guide_ids"] = [g.guide_id for g in fs.guides]
    data["feedback"] = [
        {"id": f.id, "text": f.text, "speaker": f.speaker, "speaker_role": f.speaker_role}
        for f in fs.feedback
    ]
    data["photo_ids"] = [p.photo_id for p in fs.photos]
    return data


def photo_to_dict(photo: Photo) -> dict[str, Any]:
    return _columns(photo, PHOTO_FIELDS)


def record_to_dict(kind: str, obj: Any) -> dict[str, Any]:
    converters: dict[str, Callable[[Any], dict[str, Any]]] = {
        "team": team_to_dict,
        "member": member_to_dict,
        "guide": guide_to_dict,
        "session": session_to_dict,
        "photo": photo_to_dict,
    }
    return converters[kind](obj)


def get_record(
    session: Session, kind: str, record_id: str, *, include_deleted: bool = False
) -> Any:
    """Load a live aggregate by id (an unambiguous id prefix of 8+ characters works too)."""
    model = AGGREGATES[kind]
    obj = session.get(model, record_id)
    if obj is None and len(record_id) >= 8:
        matches = session.scalars(
            select(model).where(model.id.startswith(record_id)).limit(2)
        ).all()
        if len(matches) == 1:
            obj = matches[0]
    if obj is None or (obj.deleted_at is not None and not include_deleted):
        raise RecordNotFoundError(
            _("No {kind} with id {id}.").format(kind=_(KIND_NAMES[kind]), id=record_id)
        )
    return obj
