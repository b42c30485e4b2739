"""Merging records from a knowledge pack into a library, and resolving the conflicts.

Versions. Every state of a record has a *tag*, `"<revision>:<content sha256>"`, written when
the version is made and stored with it (`storage/versions.py` says what the hash covers). A
pack carries each record's tag; a pack of format 1 did not, and its tags are computed here.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import ImportRejectedError, RecordNotFoundError, UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.services.labels import KIND_NAMES
from desktop_app.services.pack_format import PackEntry, RecordBatch
from desktop_app.services.records import live_team_named
from desktop_app.storage import versions
from desktop_app.storage.bulk import insert_new
from desktop_app.storage.db import lock_for_writing
from desktop_app.storage.kinds import KIND_ORDER, KINDS, record_to_dict
from desktop_app.storage.models import MergeConflict, Photo, RecordMixin, ServiceTeam, utcnow
from desktop_app.storage.store import RecordStore
from desktop_app.storage.versions import (
    add_ancestry,
    chunks,
    content_hash,
    record_tag,
    tag_hash,
    tag_revision,
    tombstone_tag,
)

__all__ = ["add_ancestry", "content_hash", "record_tag", "tombstone_tag"]


def photo_shas(s: Session, *, ids: Iterable[str], shas: Iterable[str]) -> dict[str, str]:
    """id -> sha256 of the local photos with one of `ids` or one of `shas`."""
    found: dict[str, str] = {}
    for part in chunks(sorted(set(ids))):
        found.update(
            (pid, sha)
            for pid, sha in s.execute(select(Photo.id, Photo.sha256).where(Photo.id.in_(part)))
        )
    for part in chunks(sorted(set(shas))):
        found.update(
            (pid, sha)
            for pid, sha in s.execute(select(Photo.id, Photo.sha256).where(Photo.sha256.in_(part)))
        )
    return found


def load_records(s: Session, kind: str, ids: Sequence[str]) -> dict[str, Any]:
    """Records (deleted ones too) by id, with their child rows loaded."""
    spec = KINDS[kind]
    model: Any = spec.model
    found: dict[str, Any] = {}
    for part in chunks(list(ids)):
        for obj in s.scalars(
            select(model).where(model.id.in_(part)).options(*spec.loader_options())
        ):
            found[obj.id] = obj
    return found


def record_label(kind: str, data: dict[str, Any] | None) -> str:
    """A short human name for a record (title, name, theme...)."""
    return KINDS[kind].title(data) if data else ""


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
    # A photo that would end deleted while a live record shows it is brought back (see
    # `_photos_to_revive`).
    revive: bool = False
    # The tag of this library's deletion of a record it holds no row of ("Deleted here
    # already"), for `_keep_referenced_rows`.
    deleted_here: str = ""
    # A conflict only about contact details (the versions are the same otherwise).
    contacts_only: bool = False
    # Contact details this library lacks (empty here) that the pack brings for the same version.
    fill_contacts: dict[str, Any] = field(default_factory=dict)


@dataclass
class MergePlan:
    decisions: list[Decision]
    photo_map: dict[str, str]  # incoming photo id -> the local photo with the same bytes
    notes: list[str]
    source_id: str
    source_name: str
    include_contacts: bool
    # Local teams (not in the pack) renamed "name (2)" because an incoming team has their name
    # and the rule gives the name to the incoming one: (team id, new name).
    local_renames: list[tuple[str, str]] = field(default_factory=list)

    def of(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]

    @property
    def changes(self) -> bool:
        return bool(self.local_renames) or any(
            d.action != UNCHANGED or d.ancestry_to_add or d.revive or d.fill_contacts
            for d in self.decisions
        )


def plan_merge(s: Session, pack: RecordBatch) -> MergePlan:
    """Decide, without changing anything, what importing `pack` (a pack, or entries from the
    hub) into the library would do."""
    notes: list[str] = []
    pack_sha: dict[str, str] = {
        e.id: e.data["sha256"] for e in pack.entries.get("photo", []) if e.data is not None
    }
    # Only the photos this batch can meet (its ids, its pictures): a hub publish of one
    # record must not read the sha of every photo of the district.
    local_sha = photo_shas(s, ids=pack_sha, shas=set(pack_sha.values()))
    sha_to_local = {sha: pid for pid, sha in local_sha.items()}
    photo_map: dict[str, str] = {}
    for pid, sha in pack_sha.items():
        here = local_sha.get(pid)
        if here is not None and here != sha:
            # A photo's bytes are its identity: the same id with other bytes is an altered
            # pack, and taking it would leave a record pointing at a file nobody verified.
            raise ImportRejectedError(
                _(
                    "The knowledge pack gives photo {id} other contents than this library "
                    "holds; the pack was altered or damaged."
                ).format(id=pid[:8])
            )
        local_id = sha_to_local.get(sha)
        if local_id is not None and local_id != pid:
            photo_map[pid] = local_id

    def sha_of(pid: str) -> str:
        return local_sha.get(pid) or pack_sha.get(pid) or pid

    decisions: list[Decision] = []
    names = _TeamNames(
        s,
        (
            str(e.data["name"])
            for e in pack.entries.get("team", [])
            if e.data is not None and isinstance(e.data.get("name"), str)
        ),
    )
    for kind in KIND_ORDER:
        entries = pack.entries.get(kind, [])
        if not entries:
            continue
        spec = KINDS[kind]
        ids = [e.id for e in entries]
        local = load_records(s, kind, ids)
        ancestry = versions.ancestry(s, kind, ids)
        if kind == "photo" and photo_map:
            # The same picture under another id here: its versions apply to the local photo
            # (a caption or a turn made there shows here too), see `_decide`.
            mapped = [photo_map[e.id] for e in entries if e.id in photo_map]
            local.update(load_records(s, kind, mapped))
            ancestry.update(versions.ancestry(s, kind, mapped))
        for entry in entries:
            data = entry.data
            if data is not None and photo_map:
                data = spec.map_references(data, "photo", lambda p: photo_map.get(p, p))
            if entry.tag:
                tag = entry.tag
            elif data is not None:
                tag = record_tag(kind, data, sha_of)
                held = local.get(entry.id)
                if kind == "photo" and held is not None:
                    legacy = versions.legacy_photo_tag(data, sha_of)
                    if held.version_tag == legacy:
                        tag = legacy  # the library stamped its photos as format-1 apps did
            else:
                tag = tombstone_tag(kind, entry.id, entry.revision)
            record_id = entry.id
            if kind == "photo" and entry.id in photo_map:
                record_id = photo_map[entry.id]
                if data is not None:
                    data = {**data, "id": record_id}
            obj = local.get(record_id)
            local_data = record_to_dict(kind, obj) if obj is not None else None
            label = record_label(kind, data or local_data) or entry.id[:8]
            decision = Decision(kind, record_id, UNCHANGED, label, entry, data, tag)
            incoming_anc = set(entry.ancestry)
            known = ancestry.get(record_id, set())
            if local_data is None:
                if tag in known:
                    decision.reason = _("Deleted here already.")
                    decision.deleted_here = _tombstone_in(kind, record_id, known)
                elif data is None:
                    # A deletion of something never seen here: remembered, so that an older
                    # copy arriving later from a third laptop does not bring it back.
                    decision.reason = _("Deleted there; never was here.")
                    decision.ancestry_to_add = {tag, *incoming_anc} - known
                else:
                    decision.action = ADD
                    decision.ancestry_to_add = incoming_anc - known
            else:
                assert obj is not None
                decision.local_tag = obj.version_tag
                verdict = _decide(
                    decision, local_data, incoming_anc, known, same_picture=record_id != entry.id
                )
                if verdict == IDENTICAL and pack.include_contacts and data is not None:
                    decision.fill_contacts = _contacts_to_fill(kind, data, local_data)
                if (
                    verdict == IDENTICAL
                    and pack.include_contacts
                    and data is not None
                    and _contacts_differ(kind, data, local_data)
                ):
                    # Contact details are not part of a version's content (packs without them
                    # must not make versions differ), so two laptops correcting the same phone
                    # number hold "the same version" with two numbers. Shared contacts that
                    # differ are a conflict for the user, never a silent difference.
                    decision.action = CONFLICT
                    decision.contacts_only = True
                    decision.reason = _("The contact details differ between the two laptops.")
                    decision.ancestry_to_add = set()
            if kind == "team" and decision.action in (ADD, UPDATE):
                decision.rename_to = names.settle(entry.id, data, local_data, notes)
            if kind == "team" and decision.action == UNCHANGED and local_data is not None:
                names.keep(entry.id, local_data)
            if kind == "team":
                names.incoming[entry.id] = decision
            decisions.append(decision)
    _keep_referenced_rows(decisions)
    _photos_to_revive(s, decisions, photo_map, pack, notes)
    plan = MergePlan(
        decisions=decisions,
        photo_map=photo_map,
        notes=notes,
        source_id=pack.source_id,
        source_name=pack.source_name,
        include_contacts=pack.include_contacts,
        local_renames=names.local_renames,
    )
    return plan


# How an incoming version relates to the local one (what `_decide` found).
IDENTICAL, THEIRS_NEWER, MINE_NEWER, SAME_PICTURE, BOTH_CHANGED = (
    "identical", "theirs_newer", "mine_newer", "same_picture", "both_changed"
)  # fmt: skip


def _decide(
    decision: Decision,
    local_data: dict[str, Any],
    incoming_anc: set[str],
    known: set[str],
    *,
    same_picture: bool,
) -> str:
    """Decide between a local record and an incoming version of it (see the module doc).

    Lineages are compared by tag first. When no tag relates them, a version whose *content*
    equals one the other side has superseded is treated as that version: a laptop that reached
    the same content on its own (another revision number, or the same picture imported under
    its own id) has lost nothing when the newer version is taken, and taking it is what the
    other laptop does too, so both end with one version instead of a conflict.
    """
    tag, local_tag, data = decision.tag, decision.local_tag, decision.data
    # Only versions one side never saw count: a local version equal to one it had already
    # superseded itself is a deliberate return to it (A→B→A), a change like any other.
    incoming_hashes = {tag_hash(t) for t in incoming_anc - known - {local_tag}}
    known_hashes = {tag_hash(t) for t in known - incoming_anc - {tag}}
    newer_there = local_tag in incoming_anc
    newer_here = tag in known
    if not newer_there and not newer_here:
        # Content equivalence, used only when it points one way (a cycle of contents, A→B→A
        # against B, is left to the user).
        there = tag_hash(local_tag) in incoming_hashes
        here = tag_hash(tag) in known_hashes
        if there != here:
            newer_there, newer_here = there, here
    if tag == local_tag:
        decision.reason = _("Identical.")
        decision.ancestry_to_add = incoming_anc - known
        return IDENTICAL
    if newer_there:
        decision.action = DELETE if data is None or data["deleted_at"] else UPDATE
        if local_data["deleted_at"] and decision.action == DELETE:
            decision.action = UPDATE  # a deleted record stays deleted
        decision.ancestry_to_add = incoming_anc - known
        return THEIRS_NEWER
    if newer_here:
        decision.reason = _("Changed here since; this version is newer.")
        return MINE_NEWER
    if tag_hash(tag) == tag_hash(local_tag):
        decision.reason = _("Identical.")
        decision.ancestry_to_add = ({tag} | incoming_anc) - known
        return IDENTICAL
    if same_picture and data is not None and _same_shown(data, local_data):
        # The same picture imported on two laptops, with their own photo ids and nothing told
        # apart that a person sees (only, say, the file name it was imported from): not a
        # conflict. Both laptops settle on the greater tag, so they hold one version.
        decision.reason = _("The same photo is already in this library.")
        if tag > local_tag:
            decision.action = UPDATE
        decision.ancestry_to_add = ({tag} | incoming_anc) - known
        return SAME_PICTURE
    decision.action = CONFLICT
    if data is None or data["deleted_at"]:
        decision.reason = _("Deleted there, changed here.")
    elif local_data["deleted_at"]:
        decision.reason = _("Changed there, deleted here.")
    else:
        decision.reason = _("Changed on both laptops.")
    return BOTH_CHANGED


# What a person sees of a photo and can change: two copies of one picture that agree on these
# are the same photo to them.
_SHOWN_PHOTO_FIELDS = ("caption", "rotation", "deleted_at")


def _same_shown(data: dict[str, Any], local_data: dict[str, Any]) -> bool:
    return all(
        (data.get(f) is None) == (local_data.get(f) is None)
        if f == "deleted_at"
        else data.get(f) == local_data.get(f)
        for f in _SHOWN_PHOTO_FIELDS
    )


def _contacts_differ(kind: str, data: dict[str, Any], local_data: dict[str, Any]) -> bool:
    """Both sides hold contact details for the record, and they are not the same. (Details
    only one side has are filled in, never a conflict: a library that received the record
    without contacts simply lacks them.)"""
    return any(
        data.get(name) and local_data.get(name) and data[name] != local_data[name]
        for name in KINDS[kind].personal
    )


def _contacts_to_fill(
    kind: str, data: dict[str, Any], local_data: dict[str, Any]
) -> dict[str, Any]:
    return {
        name: data[name]
        for name in KINDS[kind].personal
        if data.get(name) and not local_data.get(name)
    }


def _tombstone_in(kind: str, record_id: str, known: set[str]) -> str:
    """The latest deletion of a record among the tags a library knows ("" if none)."""
    found = [t for t in known if t == tombstone_tag(kind, record_id, tag_revision(t))]
    return max(found, key=tag_revision) if found else ""


def _keep_referenced_rows(decisions: list[Decision]) -> None:
    """Give a row to every record that incoming rows refer to.

    A library may know a record only as deleted, without a row: it learned the deletion from
    a pack before it ever held the record, or it held it and the row went. A later pack that
    brings, say, a session whose photo (or team) is that record carries the record in full;
    leaving it out would leave the session pointing at nothing (and the database refuses the
    whole import). The record is added as this library's deletion of it (its tag, its
    revision): the same version, only now with a row, so nothing comes back to life; a photo
    a live record shows is then brought back as every laptop does (`_photos_to_revive`).
    """
    by_key = {(d.kind, d.id): d for d in decisions}
    changed = True
    while changed:
        changed = False
        needed = {
            ref
            for d in decisions
            if d.action in (ADD, UPDATE) and d.data is not None
            for ref in KINDS[d.kind].references_in(d.data)
        }
        for key in needed:
            d = by_key.get(key)
            if (
                d is None
                or d.action != UNCHANGED
                or d.local_tag
                or d.data is None
                or not d.deleted_here
            ):
                continue
            d.action = ADD
            d.tag = d.deleted_here
            d.data = {
                **d.data,
                "revision": tag_revision(d.deleted_here),
                "deleted_at": d.data["deleted_at"] or d.data["updated_at"],
            }
            d.reason = _("Kept as deleted: records here refer to it.")
            changed = True


def _photos_to_revive(
    s: Session,
    decisions: list[Decision],
    photo_map: dict[str, str],
    pack: RecordBatch,
    notes: list[str],
) -> None:
    """Mark the photos that would end deleted while a live record still shows them.

    Photo clean-up deletes a photo nothing uses *here*; another laptop may have put the same
    photo in a guide meanwhile. Keeping the deletion would leave that guide pointing at a
    photo whose file is gone (and a pack of it could not be exported). A photo in use wins:
    it is brought back as a new version. Both laptops reach the same version (the revision
    after the deletion, the photo as it was), so they agree without a conflict.
    """
    photo_decisions = {d.id: d for d in decisions if d.kind == "photo" and d.id not in photo_map}
    live_refs: set[str] = set()
    replaced: set[tuple[str, str]] = set()
    for one in decisions:
        if one.action in (ADD, UPDATE, DELETE):
            replaced.add((one.kind, one.id))
            if one.data is not None and not one.data["deleted_at"] and one.action != DELETE:
                live_refs.update(
                    rid for rk, rid in KINDS[one.kind].references_in(one.data) if rk == "photo"
                )
    ends_deleted: set[str] = set()
    for pid, decision in photo_decisions.items():
        if decision.action in (ADD, UPDATE):
            if decision.data is not None and decision.data["deleted_at"]:
                ends_deleted.add(pid)
        elif decision.action == DELETE:
            ends_deleted.add(pid)
    # Photos deleted here that stay deleted: only those the batch names or shows can change
    # their fate (a hub publish of one record must not read every deleted photo).
    touched = sorted(set(photo_decisions) | live_refs)
    for part in chunks(touched):
        for pid in s.scalars(
            select(Photo.id).where(Photo.id.in_(part), Photo.deleted_at.is_not(None))
        ):
            incoming = photo_decisions.get(pid)
            if incoming is None or incoming.action not in (ADD, UPDATE):
                ends_deleted.add(pid)
    if not ends_deleted:
        return
    from desktop_app.storage.models import (
        FieldSession,
        Guide,
        GuideStep,
        GuideStepPhoto,
        Member,
        SessionPhoto,
    )

    candidates = sorted(ends_deleted)
    for part in chunks(candidates):
        queries = (
            ("session", select(SessionPhoto.photo_id, FieldSession.id).join(FieldSession)
             .where(FieldSession.deleted_at.is_(None), SessionPhoto.photo_id.in_(part))),
            ("guide", select(GuideStepPhoto.photo_id, Guide.id)
             .join(GuideStep, GuideStep.id == GuideStepPhoto.step_id)
             .join(Guide, Guide.id == GuideStep.guide_id)
             .where(Guide.deleted_at.is_(None), GuideStepPhoto.photo_id.in_(part))),
            ("member", select(Member.portrait_photo_id, Member.id)
             .where(Member.deleted_at.is_(None), Member.portrait_photo_id.in_(part))),
        )  # fmt: skip
        for kind, query in queries:
            for used, owner in s.execute(query):
                if used and (kind, owner) not in replaced:
                    live_refs.add(str(used))
    # Whether a file is at hand plays no part in the decision (laptops must decide alike);
    # the import writes the pack's copy of the file when it has one.
    count = 0
    for pid in sorted(ends_deleted & live_refs):
        found = photo_decisions.get(pid)
        if found is None:
            found = Decision("photo", pid, UNCHANGED, pid[:8],
                             PackEntry("photo", pid, None, 0, []), None, "")  # fmt: skip
            decisions.append(found)
        found.revive = True
        count += 1
    if count:
        notes.append(
            _("{n} photos deleted on one laptop are kept, because records still show them.").format(
                n=count
            )
        )


class _TeamNames:
    """Live team names as the plan goes. Two live teams may not share a name; when an incoming
    team has the name of another team here, the team with the greater id is renamed "name (2)".
    The rule is the same on every laptop, so both sides of an exchange rename the same team,
    to the same name at the same revision — the same version — and the next exchange finds
    nothing to do (renaming always the incoming team renamed each laptop's own copy of the
    other's team, forever). A counter per name keeps a pack of thousands of teams with one
    name linear (a query per candidate took minutes)."""

    def __init__(self, s: Session, names: Iterable[str] = ()) -> None:
        # Only the names this batch meets are read (a hub publish of one record must not read
        # every team of the district): `names` up front, any other when first asked.
        self.s = s
        self.owner: dict[str, str | None] = {}  # name -> the live team holding it, or None
        self.next_number: dict[str, int] = {}
        self.incoming: dict[str, Decision] = {}  # this pack's team decisions so far, by id
        self.local_renames: list[tuple[str, str]] = []
        wanted = sorted(set(names))
        for part in chunks(wanted):
            self.owner.update(dict.fromkeys(part))
            self.owner.update(
                (name, tid)
                for tid, name in s.execute(
                    select(ServiceTeam.id, ServiceTeam.name).where(
                        ServiceTeam.deleted_at.is_(None), ServiceTeam.name.in_(part)
                    )
                )
            )

    def holder(self, name: str) -> str | None:
        """The live team with this name as the plan stands."""
        if name not in self.owner:
            self.owner[name] = live_team_named(self.s, name)
        return self.owner[name]

    def _free(self, name: str) -> str:
        n = self.next_number.get(name, 2)
        while self.holder(f"{name} ({n})") is not None:
            n += 1
        self.next_number[name] = n + 1
        return f"{name} ({n})"

    def keep(self, team_id: str, local_data: dict[str, Any]) -> None:
        """A team the pack leaves as it is here keeps its name."""
        if not local_data["deleted_at"]:
            self.owner[local_data["name"]] = team_id

    def settle(
        self,
        team_id: str,
        data: dict[str, Any] | None,
        local_data: dict[str, Any] | None,
        notes: list[str],
    ) -> str:
        if local_data is not None and self.holder(local_data["name"]) == team_id:
            self.owner[local_data["name"]] = None
        if data is None or data["deleted_at"]:
            return ""
        name = data["name"]
        rename_to = ""
        holder = self.holder(name)
        if holder is not None and holder != team_id:
            if team_id > holder:
                rename_to = self._free(name)
                renamed = rename_to
            else:
                renamed = self._free(name)
                self.owner[renamed] = holder
                pending = self.incoming.get(holder)
                if pending is not None and pending.action in (ADD, UPDATE):
                    pending.rename_to = renamed  # an incoming team of this same pack
                else:
                    self.local_renames.append((holder, renamed))
            notes.append(
                _(
                    "The team “{name}” is renamed “{new}” here, because another team "
                    "already has that name."
                ).format(name=name, new=renamed)
            )
        self.owner[rename_to or name] = team_id
        return rename_to


# --- applying -------------------------------------------------------------------------------


def _tombstone_data(obj_data: dict[str, Any], entry: PackEntry) -> dict[str, Any]:
    """The local record as the incoming deletion leaves it."""
    data = dict(obj_data)
    data["revision"] = entry.revision
    data["deleted_at"] = entry.deleted_at
    data["updated_at"] = entry.deleted_at
    return data


def _clear_children(s: Session, kind: str, obj: Any) -> None:
    """Drop child rows first, so incoming rows with the same ids can be inserted."""
    relations = KINDS[kind].children
    if relations:
        for rel in relations:
            setattr(obj, rel, [])
        s.flush()


def _take(s: Session, decision: Decision, obj: Any, data: dict[str, Any], contacts: bool) -> None:
    """Make `obj` the incoming version, with the incoming tag; a team whose name is taken
    here is then renamed, as a local version on top of the incoming one."""
    kind = decision.kind
    KINDS[kind].assign(obj, data, contacts=contacts)
    if decision.rename_to:
        obj.version_tag = decision.tag
        versions.keep_in_history(s, kind, obj, "merge")
        obj.name = decision.rename_to
        obj.revision = int(data["revision"]) + 1
        obj.updated_at = utcnow()
        versions.stamp(s, kind, obj)
    else:
        obj.version_tag = decision.tag


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
        "contacts_only": decision.contacts_only,
    }


def apply_plan(s: Session, plan: MergePlan, progress: Progress | None = None) -> None:
    """Carry out a plan inside the caller's transaction."""
    progress = progress or NullProgress()
    total = len(plan.decisions)
    ancestry_rows: list[tuple[str, str, str]] = []
    settle: dict[tuple[str, str], set[str]] = {}
    previous_kind = ""
    new_records: list[Any] = []  # inserted together at the end of their kind (storage/bulk)
    for done, decision in enumerate(plan.decisions, start=1):
        if decision.kind != previous_kind:
            # New records of one kind are inserted together; the next kind may refer to them.
            s.flush()
            insert_new(s, new_records)
            new_records = []
            previous_kind = decision.kind
            if decision.kind == "team":
                _rename_local_teams(s, plan.local_renames)
        progress.check_cancelled()
        kind, rid = decision.kind, decision.id
        ancestry_rows += [(kind, rid, t) for t in decision.ancestry_to_add]
        if decision.action == ADD:
            assert decision.data is not None
            obj: Any = KINDS[kind].model()
            obj.id = rid
            _take(s, decision, obj, decision.data, plan.include_contacts)
            if decision.rename_to:
                s.add(obj)  # renamed as a second version: its history row needs the ORM
            else:
                new_records.append(obj)
        elif decision.action in (UPDATE, DELETE):
            obj = s.get(KINDS[kind].model, rid)
            assert obj is not None
            current = record_to_dict(kind, obj)
            versions.keep_in_history(s, kind, obj, "merge")
            _clear_children(s, kind, obj)
            incoming = decision.data or _tombstone_data(current, decision.entry)
            _take(s, decision, obj, incoming, plan.include_contacts)
            if kind == "team":
                s.flush()  # a team freeing a name before the next one takes it
            settle[(kind, rid)] = {decision.local_tag, decision.tag, *decision.entry.ancestry}
        elif decision.action == CONFLICT:
            _store_conflict(s, decision, plan)
        if decision.action == UNCHANGED and decision.local_tag:
            settle[(kind, rid)] = {decision.local_tag, *decision.ancestry_to_add}
        if decision.fill_contacts:
            # Not a new version: contact details are outside a version's content.
            holder = s.get(KINDS[kind].model, rid)
            for name, value in decision.fill_contacts.items():
                setattr(holder, name, value)
        if done % 50 == 0:
            progress.step(min(done, total), total, _("Merging records…"))
    s.flush()
    insert_new(s, new_records)
    for decision in plan.decisions:
        if decision.revive:
            _revive(s, decision.id)
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


def _rename_local_teams(s: Session, renames: list[tuple[str, str]]) -> None:
    """Free the names incoming teams take (see `_TeamNames`), before those teams arrive."""
    for team_id, new_name in renames:
        team = s.get(ServiceTeam, team_id)
        if team is None:
            continue
        versions.begin_version(s, "team", team, reason="merge")
        team.name = new_name
        versions.stamp(s, "team", team)
    if renames:
        s.flush()


def _revive(s: Session, photo_id: str) -> None:
    photo = s.get(Photo, photo_id)
    if photo is None or photo.deleted_at is None:
        return
    versions.begin_version(s, "photo", photo, reason="restore")
    photo.deleted_at = None
    versions.stamp(s, "photo", photo)


def _known_tags(s: Session, kind: str, record_id: str) -> set[str]:
    return versions.ancestry(s, kind, [record_id]).get(record_id, set())


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
            local = s.get(KINDS[decision.kind].model, decision.id)
            row.local_revision = local.revision if local is not None else row.local_revision
            return
    local = s.get(KINDS[decision.kind].model, decision.id)
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
        if row.incoming.get("contacts_only"):
            # Its tag is the local version's own: only the user's choice (or contacts that
            # agree again) settles it, not the next pack that carries the same version.
            obj = s.get(KINDS[kind].model, record_id)
            record = row.incoming.get("record")
            if (
                obj is not None
                and isinstance(record, dict)
                and not _contacts_differ(kind, record, record_to_dict(kind, obj))
            ):
                row.resolved_at = utcnow()
                row.resolution = "merged"
                closed += 1
            continue
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
    obj = s.get(KINDS[row.kind].model, row.record_id)
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


def list_conflicts(library: RecordStore, *, include_resolved: bool = False) -> list[ConflictInfo]:
    with library.session() as s:
        # Ties (one import writes many conflicts within a microsecond) broken by what the
        # rows say, not where they lie: SQLite and PostgreSQL store rows in different orders.
        query = select(MergeConflict).order_by(
            MergeConflict.created_at, MergeConflict.kind, MergeConflict.record_id, MergeConflict.id
        )
        if not include_resolved:
            query = query.where(MergeConflict.resolved_at.is_(None))
        return [_conflict_info(s, row) for row in s.scalars(query)]


def open_conflict_count(library: RecordStore) -> int:
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


def resolve_conflict(library: RecordStore, conflict_id: str, keep: str) -> None:
    """Settle a conflict: keep "mine" or take "theirs"; either way a new version supersedes both.

    The new version's revision is above both sides', and its ancestry includes both tags, so
    after the next exchange the other laptop takes it without a new conflict.
    """
    if keep not in ("mine", "theirs"):
        raise UserError(_("Choose “mine” or “theirs”."))
    with library.transaction() as s:
        lock_for_writing(s)  # a second resolution of it waits, then finds it resolved
        row = _find_conflict(s, conflict_id)
        kind = row.kind
        obj = _conflict_holder(s, row)
        incoming = row.incoming
        incoming_tag = str(incoming.get("tag", ""))
        local_tag = obj.version_tag
        new_revision = max(obj.revision, tag_revision(incoming_tag)) + 1
        versions.keep_in_history(s, kind, obj, "resolve")
        if keep == "theirs":
            current = record_to_dict(kind, obj)
            record = incoming.get("record")
            if isinstance(record, dict):
                data = dict(record)
            else:
                tomb = incoming.get("tombstone") or {}
                data = dict(current)
                data["deleted_at"] = tomb.get("deleted_at") or utcnow().isoformat()
            if not data.get("deleted_at"):
                _check_team_name_free(s, kind, obj, data)
            data["created_at"] = current["created_at"]
            _clear_children(s, kind, obj)
            KINDS[kind].assign(obj, data, contacts=bool(incoming.get("contacts")))
            _revive_photos_of(s, kind, data)
        _settle_resolution(s, row, obj, local_tag, new_revision, keep)


def _conflict_holder(s: Session, row: MergeConflict) -> RecordMixin:
    """The local record a conflict is about."""
    obj: RecordMixin | None = s.get(KINDS[row.kind].model, row.record_id)
    if obj is None:
        raise RecordNotFoundError(
            _("No {kind} with id {id}.").format(kind=_(KIND_NAMES[row.kind]), id=row.record_id)
        )
    return obj


def _revive_photos_of(s: Session, kind: str, data: dict[str, Any]) -> None:
    """A photo the resolved version shows that was cleaned up here meanwhile comes back."""
    for ref_kind, ref_id in KINDS[kind].references_in(data):
        if ref_kind == "photo":
            _revive(s, ref_id)


def _settle_resolution(
    s: Session,
    row: MergeConflict,
    obj: RecordMixin,
    local_tag: str,
    new_revision: int,
    resolution: str,
) -> None:
    """Make the resolved content a new version above both sides, whose ancestry holds both
    tags, and close the conflict (and any other it supersedes)."""
    kind, incoming = row.kind, row.incoming
    obj.revision = new_revision
    obj.updated_at = utcnow()
    versions.stamp(s, kind, obj)
    tags = {local_tag, str(incoming.get("tag", "")), *incoming.get("ancestry", [])}
    add_ancestry(s, [(kind, obj.id, t) for t in tags if t])
    row.resolved_at = utcnow()
    row.resolution = resolution
    s.flush()
    settle_conflicts(s, kind, obj.id, tags | _known_tags(s, kind, obj.id))


# --- field-level resolution -------------------------------------------------------------------


def resolve_conflict_fields(
    library: RecordStore, conflict_id: str, theirs_fields: set[str]
) -> None:
    """Settle a conflict field by field: the fields named in `theirs_fields` (see
    `record_history.FIELDS`: "name", "category", "members", "steps", "when"...) are taken
    from the other laptop's version, every other field keeps this laptop's value.

    Like `resolve_conflict`, the result is one new version above both sides, whose ancestry
    holds both tags: the next exchange carries the decision to the other laptop as a plain
    update. Only a conflict where both sides kept the record can be merged this way.
    """
    from desktop_app.core.errors import ValidationError
    from desktop_app.services import record_history, rules

    with library.transaction() as s:
        lock_for_writing(s)  # as resolve_conflict
        row = _find_conflict(s, conflict_id)
        kind = row.kind
        obj = _conflict_holder(s, row)
        incoming = row.incoming
        record = incoming.get("record")
        if obj.deleted_at is not None or not isinstance(record, dict) or record.get("deleted_at"):
            raise UserError(
                _(
                    "One laptop deleted this {kind}: choose “Keep mine” or “Take theirs” for "
                    "the whole record."
                ).format(kind=_(KIND_NAMES[kind]))
            )
        contacts = bool(incoming.get("contacts"))
        personal = {
            f.name for f in record_history.FIELDS[kind] if set(f.keys) & set(KINDS[kind].personal)
        }
        if not contacts and theirs_fields & personal:
            raise UserError(
                _("Their version came without contact details; keep yours for those fields.")
            )
        current = record_to_dict(kind, obj)
        data = record_history.merge_fields(kind, current, record, theirs_fields)
        if errors := rules.RECORD_RULES[kind](data):
            raise ValidationError(errors)
        _check_team_name_free(s, kind, obj, data)
        incoming_tag = str(incoming.get("tag", ""))
        local_tag = obj.version_tag
        new_revision = max(obj.revision, tag_revision(incoming_tag)) + 1
        versions.keep_in_history(s, kind, obj, "resolve")
        _clear_children(s, kind, obj)
        # The merged dictionary carries this laptop's personal values (or theirs, when
        # asked for and sent): assigned as they are.
        KINDS[kind].assign(obj, data, contacts=True)
        _revive_photos_of(s, kind, data)
        _settle_resolution(s, row, obj, local_tag, new_revision, "fields")


def _check_team_name_free(s: Session, kind: str, obj: RecordMixin, data: dict[str, Any]) -> None:
    if kind != "team":
        return
    if live_team_named(s, data["name"], other_than=obj.id):
        raise UserError(
            _(
                "A team named “{name}” already exists here; rename it first, then take theirs."
            ).format(name=data["name"])
        )
