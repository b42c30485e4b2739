"""Merging records from a knowledge pack into a library, and resolving the conflicts.

Versions. Every state of an aggregate has a *tag*, `"<revision>:<content sha256>"`. The content
hash covers what the record says, not how it is stored: revision, times, child-row ids and
personal fields (member phone and notes, which packs omit by default) are left out, photo
references are hashed by the photo's SHA-256 (so two laptops that imported the same picture
under different ids agree), and every deleted record hashes the same way.

"Changed since they last met". A library knows, for each record, the tags of the versions its
current one supersedes: the versions that were current here (`record_history`) and the tags
it learned from packs and resolved conflicts (`record_ancestry`). A pack carries that ancestry
with every record, so for incoming tag I (ancestry IA) and local tag L (ancestry LA):

- I == L, or the same content: nothing to do (the lineages are joined);
- L in IA: only the other side changed since they met: take the incoming version;
- I in LA: only this side changed: keep the local version;
- otherwise both changed: keep the local version current and store the incoming one in
  `merge_conflict`, for the user to keep mine / take theirs.

A tombstone is the version "deleted"; it deletes only a record nobody edited here since the
version that was deleted (otherwise it is a conflict, and the record stays). Every replaced
version goes to `record_history` with reason "merge". Resolving a conflict makes a new version
that supersedes both sides, so the next exchange carries the decision to the other laptop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from desktop_app.core.errors import RecordNotFoundError, UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.services.labels import KIND_NAMES
from desktop_app.services.pack_format import (
    KINDS,
    PERSONAL_FIELDS,
    Pack,
    PackEntry,
    map_references,
)
from desktop_app.services.records import record_to_dict
from desktop_app.storage.library import Library
from desktop_app.storage.models import (
    AGGREGATES,
    AgendaItem,
    FeedbackQuote,
    FieldSession,
    Guide,
    GuideAuthor,
    GuideStep,
    GuideStepPhoto,
    MergeConflict,
    ParticipantGroup,
    Photo,
    RecordAncestry,
    RecordHistory,
    RecordMixin,
    ServiceTeam,
    SessionAttendee,
    SessionGuide,
    SessionPhoto,
    SessionTeam,
    TeamMembership,
    utcnow,
)

CHUNK = 500
META_FIELDS = ("revision", "created_at", "updated_at", "deleted_at")

# Relationships loaded with an aggregate, so that hashing a thousand guides is a few queries.
EAGER: dict[str, list[Any]] = {
    "team": [selectinload(ServiceTeam.memberships)],
    "member": [],
    "guide": [
        selectinload(Guide.steps).selectinload(GuideStep.photos),
        selectinload(Guide.authors),
    ],
    "session": [
        selectinload(getattr(FieldSession, rel))
        for rel in ("teams", "attendees", "groups", "agenda", "guides", "feedback", "photos")
    ],
    "photo": [],
}


# --- versions -------------------------------------------------------------------------------

PhotoSha = Callable[[str], str]


def canonical_content(kind: str, data: dict[str, Any], photo_sha: PhotoSha) -> dict[str, Any]:
    """What a version says, independent of where and when it is stored."""
    if data.get("deleted_at"):
        return {"kind": kind, "id": data["id"], "deleted": True}
    personal = PERSONAL_FIELDS.get(kind, ())
    out = {k: v for k, v in data.items() if k not in META_FIELDS and k not in personal}
    out = map_references(kind, out, "photo", lambda pid: "sha256:" + photo_sha(pid))
    for key, value in out.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = [
                {k: v for k, v in item.items() if k != "id"} if "id" in item else item
                for item in value
            ]
    out["kind"] = kind
    return out


def content_hash(kind: str, data: dict[str, Any], photo_sha: PhotoSha) -> str:
    text = json.dumps(
        canonical_content(kind, data, photo_sha),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_tag(revision: int, digest: str) -> str:
    return f"{revision}:{digest}"


def tag_hash(tag: str) -> str:
    return tag.split(":", 1)[1]


def record_tag(kind: str, data: dict[str, Any], photo_sha: PhotoSha) -> str:
    return make_tag(int(data["revision"]), content_hash(kind, data, photo_sha))


def tombstone_tag(kind: str, record_id: str, revision: int) -> str:
    return record_tag(kind, {"id": record_id, "revision": revision, "deleted_at": "x"}, str)


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def photo_sha_map(s: Session) -> dict[str, str]:
    return {pid: sha for pid, sha in s.execute(select(Photo.id, Photo.sha256))}


def load_records(s: Session, kind: str, ids: Sequence[str]) -> dict[str, Any]:
    """Aggregates (deleted ones too) by id, with their child rows loaded."""
    model: Any = AGGREGATES[kind]
    found: dict[str, Any] = {}
    for part in chunks(list(ids)):
        for obj in s.scalars(select(model).where(model.id.in_(part)).options(*EAGER[kind])):
            found[obj.id] = obj
    return found


def load_ancestry(
    s: Session, kind: str, ids: Sequence[str], photo_sha: PhotoSha
) -> dict[str, set[str]]:
    """Tags each record's current version supersedes: its history here and what was learned."""
    out: dict[str, set[str]] = {}
    for part in chunks(list(ids)):
        rows = s.execute(
            select(RecordHistory.record_id, RecordHistory.revision, RecordHistory.data).where(
                RecordHistory.kind == kind, RecordHistory.record_id.in_(part)
            )
        )
        for record_id, revision, data in rows:
            if isinstance(data, dict) and "id" in data:
                tag = make_tag(int(revision), content_hash(kind, data, photo_sha))
                out.setdefault(record_id, set()).add(tag)
        learned = s.execute(
            select(RecordAncestry.record_id, RecordAncestry.tag).where(
                RecordAncestry.kind == kind, RecordAncestry.record_id.in_(part)
            )
        )
        for record_id, tag in learned:
            out.setdefault(record_id, set()).add(tag)
    return out


def add_ancestry(s: Session, rows: Iterable[tuple[str, str, str]]) -> None:
    values = [{"kind": k, "record_id": r, "tag": t} for k, r, t in set(rows)]
    for start in range(0, len(values), CHUNK):
        s.execute(insert(RecordAncestry).prefix_with("OR IGNORE"), values[start : start + CHUNK])


def record_label(kind: str, data: dict[str, Any] | None) -> str:
    """A short human name for a record (title, name, theme...)."""
    if not data:
        return ""
    if kind in ("team", "member"):
        return str(data.get("name", ""))
    if kind == "guide":
        return str(data.get("title", ""))
    if kind == "session":
        date = str(data.get("starts_at") or "")[:10]
        return " ".join(filter(None, (date, str(data.get("theme") or data.get("venue") or ""))))
    if kind == "photo":
        return str(data.get("original_name") or str(data.get("sha256", ""))[:12])
    return ""


# --- planning -------------------------------------------------------------------------------

ADD, UPDATE, DELETE, CONFLICT, UNCHANGED = "add", "update", "delete", "conflict", "unchanged"


@dataclass
class Decision:
    """What importing one record of a pack does."""

    kind: str
    id: str
    action: str
    label: str
    entry: PackEntry
    data: dict[str, Any] | None  # incoming record with photo ids mapped to local ones
    tag: str
    reason: str = ""  # why, for people (conflicts and "unchanged")
    local_tag: str = ""
    ancestry_to_add: set[str] = field(default_factory=set)
    rename_to: str = ""


@dataclass
class MergePlan:
    decisions: list[Decision]
    photo_map: dict[str, str]  # incoming photo id -> the local photo with the same bytes
    notes: list[str]
    source_id: str
    source_name: str
    include_contacts: bool

    def of(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]

    @property
    def changes(self) -> bool:
        return any(d.action != UNCHANGED or d.ancestry_to_add for d in self.decisions)


def plan_merge(s: Session, pack: Pack) -> MergePlan:
    """Decide, without changing anything, what importing `pack` into the library would do."""
    notes: list[str] = []
    local_sha = photo_sha_map(s)
    sha_to_local = {sha: pid for pid, sha in local_sha.items()}
    pack_sha: dict[str, str] = {
        e.id: e.data["sha256"] for e in pack.entries["photo"] if e.data is not None
    }
    photo_map: dict[str, str] = {}
    for pid, sha in pack_sha.items():
        local_id = sha_to_local.get(sha)
        if local_id is not None and local_id != pid:
            photo_map[pid] = local_id

    def sha_of(pid: str) -> str:
        return local_sha.get(pid) or pack_sha.get(pid) or pid

    decisions: list[Decision] = []
    live_team_names = {
        name: tid
        for tid, name in s.execute(
            select(ServiceTeam.id, ServiceTeam.name).where(ServiceTeam.deleted_at.is_(None))
        )
    }
    for kind in KINDS:
        entries = pack.entries.get(kind, [])
        if not entries:
            continue
        ids = [e.id for e in entries]
        local = load_records(s, kind, ids)
        ancestry = load_ancestry(s, kind, ids, sha_of)
        for entry in entries:
            data = entry.data
            if data is not None and photo_map:
                data = map_references(kind, data, "photo", lambda p: photo_map.get(p, p))
            if data is not None:
                tag = record_tag(kind, data, sha_of)
            else:
                tag = tombstone_tag(kind, entry.id, entry.revision)
            obj = local.get(entry.id)
            local_data = record_to_dict(kind, obj) if obj is not None else None
            label = record_label(kind, data or local_data) or entry.id[:8]
            decision = Decision(kind, entry.id, UNCHANGED, label, entry, data, tag)
            incoming_anc = set(entry.ancestry)
            known = ancestry.get(entry.id, set())
            if kind == "photo" and entry.id in photo_map:
                decision.reason = _("The same photo is already in this library.")
            elif local_data is None:
                if tag in known:
                    decision.reason = _("Deleted here already.")
                elif data is None:
                    # A deletion of something never seen here: remembered, so that an older
                    # copy arriving later from a third laptop does not bring it back.
                    decision.reason = _("Deleted there; never was here.")
                    decision.ancestry_to_add = {tag, *incoming_anc} - known
                else:
                    decision.action = ADD
                    decision.ancestry_to_add = incoming_anc - known
            else:
                local_tag = record_tag(kind, local_data, sha_of)
                decision.local_tag = local_tag
                if tag == local_tag:
                    decision.reason = _("Identical.")
                    decision.ancestry_to_add = incoming_anc - known
                elif local_tag in incoming_anc:
                    decision.action = DELETE if data is None or data["deleted_at"] else UPDATE
                    if local_data["deleted_at"] and decision.action == DELETE:
                        decision.action = UPDATE  # a deleted record stays deleted
                    decision.ancestry_to_add = incoming_anc - known
                elif tag in known:
                    decision.reason = _("Changed here since; this version is newer.")
                elif tag_hash(tag) == tag_hash(local_tag):
                    decision.reason = _("Identical.")
                    decision.ancestry_to_add = ({tag} | incoming_anc) - known
                else:
                    decision.action = CONFLICT
                    if data is None or data["deleted_at"]:
                        decision.reason = _("Deleted there, changed here.")
                    elif local_data["deleted_at"]:
                        decision.reason = _("Changed there, deleted here.")
                    else:
                        decision.reason = _("Changed on both laptops.")
            if (
                kind == "team"
                and decision.action in (ADD, UPDATE)
                and data is not None
                and not data["deleted_at"]
            ):
                name = data["name"]
                owner = live_team_names.get(name)
                if owner is not None and owner != entry.id:
                    n = 2
                    while f"{name} ({n})" in live_team_names:
                        n += 1
                    decision.rename_to = f"{name} ({n})"
                    notes.append(
                        _(
                            "The team “{name}” is renamed “{new}” here, because another team "
                            "already has that name."
                        ).format(name=name, new=decision.rename_to)
                    )
                if local_data is not None and live_team_names.get(local_data["name"]) == entry.id:
                    del live_team_names[local_data["name"]]
                live_team_names[decision.rename_to or name] = entry.id
            decisions.append(decision)
    return MergePlan(
        decisions=decisions,
        photo_map=photo_map,
        notes=notes,
        source_id=pack.source_id,
        source_name=pack.source_name,
        include_contacts=pack.include_contacts,
    )


# --- applying -------------------------------------------------------------------------------


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _assign(kind: str, obj: Any, data: dict[str, Any], *, contacts: bool) -> None:
    """Make `obj` say exactly what `data` says (child rows are replaced)."""
    obj.created_at = _dt(data["created_at"])
    obj.updated_at = _dt(data["updated_at"])
    obj.revision = data["revision"]
    obj.deleted_at = _dt(data["deleted_at"])
    if kind == "team":
        for name in ("name", "kind", "parent_union", "description", "member_count_note"):
            setattr(obj, name, data[name])
        obj.expertise = list(data["expertise"])
        obj.memberships = [
            TeamMembership(id=m["id"], member_id=m["member_id"], role=m["role"], position=i)
            for i, m in enumerate(data["members"])
        ]
    elif kind == "member":
        for name in ("name", "specialty", "employer", "portrait_photo_id"):
            setattr(obj, name, data[name])
        obj.honours = [dict(h) for h in data["honours"]]
        for name in PERSONAL_FIELDS["member"]:
            # Contact details travel only when asked for, and never erase what is known here.
            if contacts and data.get(name):
                setattr(obj, name, data[name])
            elif getattr(obj, name, None) is None:
                setattr(obj, name, "")
    elif kind == "guide":
        for name in ("title", "category", "problem", "season", "team_id", "is_demo"):
            setattr(obj, name, data[name])
        for name in ("materials", "key_points", "safety_notes", "common_mistakes", "tags"):
            setattr(obj, name, list(data[name]))
        obj.authors = [
            GuideAuthor(member_id=m, position=i) for i, m in enumerate(data["author_ids"])
        ]
        obj.steps = [
            GuideStep(
                id=st["id"],
                text=st["text"],
                position=i,
                photos=[
                    GuideStepPhoto(photo_id=p, position=j) for j, p in enumerate(st["photo_ids"])
                ],
            )
            for i, st in enumerate(data["steps"])
        ]
    elif kind == "session":
        obj.starts_at = _dt(data["starts_at"])
        obj.ends_at = _dt(data["ends_at"])
        for name in ("venue", "gps_lat", "gps_lon", "theme", "summary"):
            setattr(obj, name, data[name])
        obj.host_organisations = list(data["host_organisations"])
        obj.follow_ups = list(data["follow_ups"])
        obj.teams = [SessionTeam(team_id=t, position=i) for i, t in enumerate(data["team_ids"])]
        obj.attendees = [
            SessionAttendee(
                id=a["id"], member_id=a["member_id"], role=a["role"], note=a["note"], position=i
            )
            for i, a in enumerate(data["attendees"])
        ]
        obj.groups = [
            ParticipantGroup(id=g["id"], name=g["name"], count=g["count"], position=i)
            for i, g in enumerate(data["groups"])
        ]
        obj.agenda = [
            AgendaItem(id=a["id"], title=a["title"], time=a["time"], leader=a["leader"], position=i)
            for i, a in enumerate(data["agenda"])
        ]
        obj.guides = [SessionGuide(guide_id=g, position=i) for i, g in enumerate(data["guide_ids"])]
        obj.feedback = [
            FeedbackQuote(
                id=f["id"],
                text=f["text"],
                speaker=f["speaker"],
                speaker_role=f["speaker_role"],
                position=i,
            )
            for i, f in enumerate(data["feedback"])
        ]
        obj.photos = [SessionPhoto(photo_id=p, position=i) for i, p in enumerate(data["photo_ids"])]
    elif kind == "photo":
        for name in (
            "sha256",
            "ext",
            "original_name",
            "byte_size",
            "width",
            "height",
            "camera",
            "gps_lat",
            "gps_lon",
            "orientation",
            "rotation",
            "caption",
        ):
            setattr(obj, name, data[name])
        obj.taken_at = _dt(data["taken_at"])


CHILD_RELATIONS: dict[str, tuple[str, ...]] = {
    "team": ("memberships",),
    "member": (),
    "guide": ("steps", "authors"),
    "session": ("teams", "attendees", "groups", "agenda", "guides", "feedback", "photos"),
    "photo": (),
}


def _clear_children(s: Session, kind: str, obj: Any) -> None:
    """Drop child rows first, so incoming rows with the same ids can be inserted."""
    relations = CHILD_RELATIONS[kind]
    if relations:
        for rel in relations:
            setattr(obj, rel, [])
        s.flush()


def _history(s: Session, kind: str, obj: Any) -> None:
    s.add(
        RecordHistory(
            kind=kind,
            record_id=obj.id,
            revision=obj.revision,
            data=record_to_dict(kind, obj),
            reason="merge",
        )
    )


def _tombstone_data(obj_data: dict[str, Any], entry: PackEntry) -> dict[str, Any]:
    """The local record as the incoming deletion leaves it."""
    data = dict(obj_data)
    data["revision"] = entry.revision
    data["deleted_at"] = entry.deleted_at
    data["updated_at"] = entry.deleted_at
    return data


def _free_team_name(s: Session, name: str, team_id: str) -> str:
    candidate, n = name, 2
    while s.scalar(
        select(ServiceTeam.id).where(
            ServiceTeam.name == candidate,
            ServiceTeam.deleted_at.is_(None),
            ServiceTeam.id != team_id,
        )
    ):
        candidate = f"{name} ({n})"
        n += 1
    return candidate


def _incoming_payload(decision: Decision, plan: MergePlan) -> dict[str, Any]:
    entry = decision.entry
    return {
        "record": decision.data,
        "tombstone": None
        if entry.data is not None
        else {
            "kind": entry.kind,
            "id": entry.id,
            "revision": entry.revision,
            "deleted_at": entry.deleted_at,
        },
        "tag": decision.tag,
        "ancestry": sorted(entry.ancestry),
        "contacts": plan.include_contacts,
        "source": {"id": plan.source_id, "name": plan.source_name},
        "reason": decision.reason,
    }


def apply_plan(s: Session, plan: MergePlan, progress: Progress | None = None) -> None:
    """Carry out a plan inside the caller's transaction."""
    progress = progress or NullProgress()
    total = len(plan.decisions)
    ancestry_rows: list[tuple[str, str, str]] = []
    settle: dict[tuple[str, str], set[str]] = {}
    previous_kind = ""
    for done, decision in enumerate(plan.decisions, start=1):
        if decision.kind != previous_kind:
            # New records of one kind are inserted together; the next kind may refer to them.
            s.flush()
            previous_kind = decision.kind
        progress.check_cancelled()
        if done % 50 == 0:
            progress.step(done, total, _("Merging records…"))
        kind, rid = decision.kind, decision.id
        ancestry_rows += [(kind, rid, t) for t in decision.ancestry_to_add]
        if decision.action == ADD:
            assert decision.data is not None
            obj: Any = AGGREGATES[kind]()
            obj.id = rid
            _assign(kind, obj, decision.data, contacts=plan.include_contacts)
            _settle_team_name(s, kind, obj, decision.data)
            s.add(obj)
            if kind == "team":
                s.flush()  # the next team's name check must see this one
        elif decision.action in (UPDATE, DELETE):
            obj = s.get(AGGREGATES[kind], rid)
            assert obj is not None
            current = record_to_dict(kind, obj)
            _history(s, kind, obj)
            _clear_children(s, kind, obj)
            incoming = decision.data or _tombstone_data(current, decision.entry)
            _assign(kind, obj, incoming, contacts=plan.include_contacts)
            _settle_team_name(s, kind, obj, incoming)
            s.flush()
            settle[(kind, rid)] = {decision.local_tag, decision.tag, *decision.entry.ancestry}
        elif decision.action == CONFLICT:
            _store_conflict(s, decision, plan)
        if decision.action == UNCHANGED and decision.local_tag:
            settle[(kind, rid)] = {decision.local_tag, *decision.ancestry_to_add}
    add_ancestry(s, ancestry_rows)
    s.flush()
    with_open_conflicts = {
        (str(kind), str(rid))
        for kind, rid in s.execute(
            select(MergeConflict.kind, MergeConflict.record_id).where(
                MergeConflict.resolved_at.is_(None)
            )
        )
    }
    for (kind, rid), tags in settle.items():
        if (kind, rid) in with_open_conflicts:
            settle_conflicts(s, kind, rid, tags | _known_tags(s, kind, rid))
    progress.step(total, total, _("Merging records…"))
    progress.check_cancelled()


def _known_tags(s: Session, kind: str, record_id: str) -> set[str]:
    return set(
        s.scalars(
            select(RecordAncestry.tag).where(
                RecordAncestry.kind == kind, RecordAncestry.record_id == record_id
            )
        )
    )


def _settle_team_name(s: Session, kind: str, obj: Any, data: dict[str, Any]) -> None:
    """A team whose name is taken here is renamed, as a local edit on top of the incoming one.

    Called before the flush, so the clashing name never reaches the unique index.
    """
    if kind != "team" or data["deleted_at"]:
        return
    with s.no_autoflush:
        free = _free_team_name(s, data["name"], obj.id)
    if free == data["name"]:
        return
    s.add(
        RecordHistory(
            kind="team", record_id=obj.id, revision=data["revision"], data=data, reason="merge"
        )
    )
    obj.name = free
    obj.revision = int(data["revision"]) + 1
    obj.updated_at = utcnow()


def _store_conflict(s: Session, decision: Decision, plan: MergePlan) -> None:
    open_rows = s.scalars(
        select(MergeConflict).where(
            MergeConflict.kind == decision.kind,
            MergeConflict.record_id == decision.id,
            MergeConflict.resolved_at.is_(None),
        )
    ).all()
    payload = _incoming_payload(decision, plan)
    for row in open_rows:
        stored_tag = row.incoming.get("tag")
        if stored_tag == decision.tag or stored_tag in decision.entry.ancestry:
            # The same incoming version again, or a newer one of the same lineage.
            row.incoming = payload
            row.source_library = plan.source_name
            local = s.get(AGGREGATES[decision.kind], decision.id)
            row.local_revision = local.revision if local is not None else row.local_revision
            return
    local = s.get(AGGREGATES[decision.kind], decision.id)
    assert local is not None
    s.add(
        MergeConflict(
            kind=decision.kind,
            record_id=decision.id,
            local_revision=local.revision,
            incoming=payload,
            source_library=plan.source_name,
        )
    )


def settle_conflicts(s: Session, kind: str, record_id: str, known: set[str]) -> int:
    """Close open conflicts whose incoming version this library now supersedes."""
    closed = 0
    for row in s.scalars(
        select(MergeConflict).where(
            MergeConflict.kind == kind,
            MergeConflict.record_id == record_id,
            MergeConflict.resolved_at.is_(None),
        )
    ):
        if row.incoming.get("tag") in known:
            row.resolved_at = utcnow()
            row.resolution = "merged"
            closed += 1
    return closed


# --- conflicts ------------------------------------------------------------------------------


@dataclass
class ConflictInfo:
    """An open (or resolved) conflict with both versions, for the list and the side-by-side."""

    id: str
    kind: str
    record_id: str
    label: str
    reason: str
    source_library: str
    created_at: datetime
    mine: dict[str, Any] | None
    theirs: dict[str, Any] | None  # None: the other laptop deleted it
    resolved_at: datetime | None
    resolution: str

    @property
    def kind_label(self) -> str:
        return _(KIND_NAMES[self.kind])


def _conflict_info(s: Session, row: MergeConflict) -> ConflictInfo:
    obj = s.get(AGGREGATES[row.kind], row.record_id)
    local = record_to_dict(row.kind, obj) if obj is not None else None
    mine = local if local is not None and not local["deleted_at"] else None
    record = row.incoming.get("record")
    theirs = record if isinstance(record, dict) and not record.get("deleted_at") else None
    return ConflictInfo(
        id=row.id,
        kind=row.kind,
        record_id=row.record_id,
        label=record_label(row.kind, local or record) or row.record_id[:8],
        reason=str(row.incoming.get("reason", "")),
        source_library=row.source_library,
        created_at=row.created_at,
        mine=mine,
        theirs=theirs,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
    )


def list_conflicts(library: Library, *, include_resolved: bool = False) -> list[ConflictInfo]:
    with library.session() as s:
        query = select(MergeConflict).order_by(MergeConflict.created_at)
        if not include_resolved:
            query = query.where(MergeConflict.resolved_at.is_(None))
        return [_conflict_info(s, row) for row in s.scalars(query)]


def open_conflict_count(library: Library) -> int:
    with library.session() as s:
        return len(
            s.scalars(select(MergeConflict.id).where(MergeConflict.resolved_at.is_(None))).all()
        )


def _find_conflict(s: Session, conflict_id: str) -> MergeConflict:
    row = s.get(MergeConflict, conflict_id)
    if row is None and len(conflict_id) >= 6:
        matches = s.scalars(
            select(MergeConflict).where(MergeConflict.id.startswith(conflict_id)).limit(2)
        ).all()
        row = matches[0] if len(matches) == 1 else None
    if row is None:
        raise RecordNotFoundError(_("No conflict with id {id}.").format(id=conflict_id))
    if row.resolved_at is not None:
        raise UserError(_("The conflict {id} is already resolved.").format(id=conflict_id))
    return row


def resolve_conflict(library: Library, conflict_id: str, keep: str) -> None:
    """Settle a conflict: keep "mine" or take "theirs"; either way a new version supersedes both.

    The new version's revision is above both sides', and its ancestry includes both tags, so
    after the next exchange the other laptop takes it without a new conflict.
    """
    if keep not in ("mine", "theirs"):
        raise UserError(_("Choose “mine” or “theirs”."))
    with library.transaction() as s:
        row = _find_conflict(s, conflict_id)
        kind = row.kind
        obj: RecordMixin | None = s.get(AGGREGATES[kind], row.record_id)
        if obj is None:
            raise RecordNotFoundError(
                _("No {kind} with id {id}.").format(kind=_(KIND_NAMES[kind]), id=row.record_id)
            )
        sha = photo_sha_map(s)

        def sha_of(pid: str) -> str:
            return sha.get(pid, pid)

        incoming = row.incoming
        incoming_rev = int(str(incoming.get("tag", "1:")).split(":", 1)[0] or 1)
        current = record_to_dict(kind, obj)
        local_tag = record_tag(kind, current, sha_of)
        new_revision = max(obj.revision, incoming_rev) + 1
        _history(s, kind, obj)
        if keep == "theirs":
            record = incoming.get("record")
            if isinstance(record, dict):
                data = dict(record)
            else:
                tomb = incoming.get("tombstone") or {}
                data = dict(current)
                data["deleted_at"] = tomb.get("deleted_at") or utcnow().isoformat()
            if kind == "team" and not data.get("deleted_at"):
                free = _free_team_name(s, data["name"], obj.id)
                if free != data["name"]:
                    raise UserError(
                        _(
                            "A team named “{name}” already exists here; rename it first, "
                            "then take theirs."
                        ).format(name=data["name"])
                    )
            data["created_at"] = current["created_at"]
            _clear_children(s, kind, obj)
            _assign(kind, obj, data, contacts=bool(incoming.get("contacts")))
        obj.revision = new_revision
        obj.updated_at = utcnow()
        tags = {local_tag, str(incoming.get("tag", "")), *incoming.get("ancestry", [])}
        add_ancestry(s, [(kind, obj.id, t) for t in tags if t])
        row.resolved_at = utcnow()
        row.resolution = keep
        s.flush()
        settle_conflicts(s, kind, obj.id, tags | _known_tags(s, kind, obj.id))
