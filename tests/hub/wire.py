"""Wire entries for hub tests: records as a laptop would publish them (docs/hub-protocol.md),
with their tags computed exactly as a library stamps them (storage/versions.py)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from desktop_app.hub.principal import ADMIN, LEADER, READER, Principal
from desktop_app.storage.versions import record_tag, tombstone_tag

WHEN = "2026-11-30T08:00:00+00:00"


def new_id() -> str:
    return str(uuid.uuid4())


def principal(role: str = ADMIN, teams: Iterable[str] = (), name: str = "") -> Principal:
    return Principal(
        user_id=new_id(),
        user_name=name or role,
        role=role,
        team_ids=frozenset(teams),
        device_id=new_id(),
    )


def admin() -> Principal:
    return principal(ADMIN)


def leader(*teams: str) -> Principal:
    return principal(LEADER, teams)


def reader() -> Principal:
    return principal(READER)


def _meta(rid: str, revision: int, deleted: bool) -> dict[str, Any]:
    return {
        "id": rid,
        "created_at": WHEN,
        "updated_at": WHEN,
        "revision": revision,
        "deleted_at": WHEN if deleted else None,
    }


def team_data(
    tid: str, name: str, *, revision: int = 1, members: Iterable[str] = (), deleted: bool = False
) -> dict[str, Any]:
    return {
        **_meta(tid, revision, deleted),
        "name": name,
        "category": "management",
        "parent_union": "丰台区总工会",
        "description": "",
        "expertise": [],
        "member_count_note": "",
        "members": [{"id": f"{tid[:8]}-{m[:8]}-{revision}", "member_id": m, "role": "member"}
                    for m in members],
    }  # fmt: skip


def member_data(
    mid: str, name: str, *, revision: int = 1, portrait: str | None = None
) -> dict[str, Any]:
    return {
        **_meta(mid, revision, False),
        "name": name,
        "honours": [],
        "specialty": "",
        "employer": "",
        "portrait_photo_id": portrait,
    }


def guide_data(
    gid: str,
    team_id: str | None,
    title: str,
    *,
    revision: int = 1,
    photos: Iterable[str] = (),
    deleted: bool = False,
) -> dict[str, Any]:
    return {
        **_meta(gid, revision, deleted),
        "title": title,
        "category": "修剪",
        "problem": "",
        "season": "",
        "materials": [],
        "key_points": [],
        "safety_notes": [],
        "common_mistakes": [],
        "tags": [],
        "team_id": team_id,
        "is_demo": False,
        "author_ids": [],
        "steps": [{"id": f"{gid[:13]}-s{revision}", "text": "剪掉枯枝", "photo_ids": list(photos)}],
    }


def session_data(
    sid: str, team_ids: Iterable[str], theme: str, *, revision: int = 1, photos: Iterable[str] = ()
) -> dict[str, Any]:
    return {
        **_meta(sid, revision, False),
        "starts_at": "2026-05-01T01:30:00+00:00",
        "ends_at": "2026-05-01T03:30:00+00:00",
        "venue": "园博园",
        "gps_lat": None,
        "gps_lon": None,
        "host_organisations": [],
        "theme": theme,
        "summary": "",
        "follow_ups": [],
        "time_zone": "Asia/Shanghai",
        "team_ids": list(team_ids),
        "attendees": [],
        "groups": [],
        "agenda": [],
        "guide_ids": [],
        "feedback": [],
        "photo_ids": list(photos),
    }


def photo_data(
    pid: str, content: bytes, *, revision: int = 1, deleted: bool = False
) -> dict[str, Any]:
    return {
        **_meta(pid, revision, deleted),
        "sha256": hashlib.sha256(content).hexdigest(),
        "ext": "jpg",
        "original_name": "p.jpg",
        "byte_size": len(content),
        "width": 10,
        "height": 10,
        "taken_at": None,
        "camera": "",
        "gps_lat": None,
        "gps_lon": None,
        "orientation": 1,
        "rotation": 0,
        "caption": "",
    }


PHOTO_SHAS: dict[str, str] = {}


def entry(kind: str, data: dict[str, Any], ancestry: Iterable[str] = ()) -> dict[str, Any]:
    """A full entry with its tag (photo references hashed by the photos' SHA-256)."""
    if kind == "photo":
        PHOTO_SHAS[data["id"]] = data["sha256"]
    tag = record_tag(kind, data, lambda pid: PHOTO_SHAS.get(pid, pid))
    return {"kind": kind, "record": data, "tag": tag, "ancestry": sorted(ancestry)}


def tombstone(kind: str, rid: str, revision: int, ancestry: Iterable[str] = ()) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": rid,
        "revision": revision,
        "deleted_at": WHEN,
        "tag": tombstone_tag(kind, rid, revision),
        "ancestry": sorted(ancestry),
    }
