"""The hub's sync service: pulling changes since a cursor, and publishing a batch of versions.

Qt-free and HTTP-free (the routes are in `hub.app`); the contract is docs/hub-protocol.md.

Publish runs the laptops' merge core (`services.merge.plan_merge` / `apply_plan`) on the
accepted entries in ONE transaction, then bumps the hub's counter (`database.next_version`)
as its very last write and stamps every record it changed with that value in `hub_change`.

Concurrency (why the locks are what they are). The counter's row lock, taken at the end, makes
versions follow commit order, so a puller never misses a change (HUB.md §1). It does not make
plan + apply safe: two publishers of the same record from the same base both plan "update"
against the version they read, and the second overwrites the first. Two ways to prevent it
were considered:

- SERIALIZABLE (or REPEATABLE READ) with retry: every publish also updates the one counter
  row, so any two overlapping publishes fail with a serialization error and one is redone,
  whatever records they touch: under 20-50 concurrent publishers most of the work is redone.
- READ COMMITTED plus a transaction-scoped advisory lock per record the publish touches (the
  published records and the records they refer to; one more lock for team names when teams
  are published, since names are unique across teams), taken in one sorted order before
  anything is read, so there is no deadlock. Publishes of different records do not wait for
  each other; two of the same record take turns, and the second plans against what the first
  committed (each READ COMMITTED statement sees the latest commits): 1 applied, 1 conflict.
  A lock on a key, not `SELECT … FOR UPDATE`, because a record published for the first time
  has no row to lock yet, and two laptops may create it at once (a team's shared id).

Measured (20 publishers of one guide from one base, released together, on the test cluster;
three runs each): without the record locks 15 of 20 were "applied" and 5 conflicts, each
apply overwriting the one before without keeping it in history (14 versions lost); with them
exactly 1 applied and 19 conflicts kept, in 2.0-2.5 s instead of 1.0-1.3 s for the 20 (they
take turns on the one record, which is the point). We use the locks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from desktop_app.core.errors import ImportRejectedError, UserError
from desktop_app.core.i18n import _
from desktop_app.hub.database import HubStore, current_version, next_version
from desktop_app.hub.errors import Forbidden, HubError
from desktop_app.hub.principal import Principal
from desktop_app.hub.tables import HubBlob, HubChange, HubState, PublishLog
from desktop_app.services import merge
from desktop_app.services.labels import KIND_NAMES
from desktop_app.services.pack_format import (
    ID_RE,
    EntryBatch,
    PackEntry,
    entry_of,
    parse_wire_entry,
)
from desktop_app.storage import versions
from desktop_app.storage.kinds import KIND_ORDER, KINDS
from desktop_app.storage.models import (
    Guide,
    GuideStep,
    GuideStepPhoto,
    Member,
    MergeConflict,
    ServiceTeam,
    SessionPhoto,
    SessionTeam,
    TeamMembership,
)
from desktop_app.storage.versions import chunks

MAX_PUBLISH_ENTRIES = 2000
DEFAULT_PAGE = 500
MAX_PAGE = 2000
MAINTENANCE_LOCK = 7340912  # advisory lock: purge and collection exclusive, publishes shared
ATTEMPTS = 3  # a deadlock or serialization failure is retried (none is expected: see above)

APPLIED, CONFLICT, REFUSED, UNCHANGED = "applied", "conflict", "refused", "unchanged"
FORBIDDEN, INVALID = "forbidden", "invalid"
MISSING_REFERENCE, MISSING_BLOB = "missing_reference", "missing_blob"


# --- pull -------------------------------------------------------------------------------------


Wire = dict[str, Any]


def wire_entries(s: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Wire]:
    """The hub's current entry of each (kind, id) that has a row, without personal fields.

    A deleted record travels in full (`deleted_at` set), as a pack carries a deleted record
    that something still refers to: a live session may still show a deleted guide."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in KIND_ORDER:
        ids = sorted({rid for k, rid in keys if k == kind})
        if not ids:
            continue
        objs = merge.load_records(s, kind, ids)
        ancestry = versions.ancestry(s, kind, list(objs))
        for rid, obj in objs.items():
            out[(kind, rid)] = entry_of(
                kind, obj, obj.version_tag, ancestry.get(rid, ()), include_contacts=False
            )
    return out


RESTORED, PURGED = "restored", "purged"  # why a laptop must start over (`resync_required`)


def resync_required(reason: str) -> HubError:
    """410 `resync_required`: the laptop forgets its cursor and what it believes the hub
    holds, pulls everything and republishes what the hub lacks (docs/hub-protocol.md)."""
    message = (
        _(
            "The hub was restored from a backup since this laptop last synced; this sync "
            "starts over from the beginning."
        )
        if reason == RESTORED
        else _(
            "The hub has cleared old deletions this laptop had not received yet; this sync "
            "starts over from the beginning."
        )
    )
    return HubError(message, code="resync_required", status=410, details={"reason": reason})


def check_cursor(state: HubState, since: int, epoch: str | None) -> None:
    """Refuse a cursor that does not belong to this hub's history, saying why."""
    if epoch is not None and epoch != state.epoch:
        # The laptop synced under another epoch: the hub's history was rewound since.
        raise resync_required(RESTORED)
    if since > state.version:
        # The laptop has seen versions this hub never handed out: restored from an older
        # backup (and no epoch told, e.g. an old laptop), or another hub.
        raise resync_required(RESTORED)
    if 0 < since < state.purge_horizon:
        # Deletions stamped after `since` may have been purged: pulling on would miss them.
        raise resync_required(PURGED)


def _wire_text(wire: Wire) -> str:
    """A wire entry as stored in `hub_change.wire` and sent as is (compact JSON, UTF-8 text)."""
    return json.dumps(wire, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def entry_texts(s: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """What `hub_change.wire` holds for each key: its entry as stored text, or "" for a key
    whose record has no row (a deletion the hub never held: nothing to pull)."""
    made = wire_entries(s, keys)
    return {key: _wire_text(made[key]) if key in made else "" for key in keys}


def _with_version(text: str, server_version: int) -> str:
    # The stored entry is a JSON object without its version: the version goes in front.
    return f'{{"server_version":{int(server_version)},{text[1:]}'


def pull_json(
    store: HubStore, since: int, limit: int = DEFAULT_PAGE, epoch: str | None = None
) -> bytes:
    """One page of changes with server_version > `since`, in server_version order, as the
    JSON body of `GET /v1/changes`.

    A page never splits the records of one publish (they share one server_version, and the
    next page asks for versions above the cursor): it ends before that publish, or, when the
    publish alone is larger than a page, holds all of it. `epoch` is the one the laptop last
    synced under (None from a laptop that does not send it).

    The entries are the ones their publishes stored (`HubChange.wire`), joined as text: a
    page of 2,000 is three index reads, not 2,000 records loaded with their children and
    ancestry and serialised again.
    """
    if since < 0:
        raise HubError(_("The change cursor must not be negative."))
    limit = max(1, min(limit, MAX_PAGE))
    with store.session() as s:
        # One snapshot for the whole page: the counter, the change rows (and any record an
        # entry is made from).
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        state = s.get(HubState, 1)
        assert state is not None
        hub_version = int(state.version)
        check_cursor(state, since, epoch)
        found = list(
            s.scalars(
                select(HubChange.server_version)
                .where(HubChange.server_version > since)
                .order_by(HubChange.server_version)
                .limit(limit + 1)
            )
        )
        rows: list[Any] = []
        more = False
        if found:
            last = found[min(limit, len(found)) - 1]
            if len(found) > limit and found[limit] == last:
                # The page would split a publish: end before it, or hold all of it.
                earlier = [v for v in found[:limit] if v != last]
                last = earlier[-1] if earlier else last
            rows = list(
                s.execute(
                    select(
                        HubChange.kind, HubChange.record_id, HubChange.server_version,
                        HubChange.wire,
                    )
                    .where(HubChange.server_version > since, HubChange.server_version <= last)
                    .order_by(HubChange.server_version, HubChange.kind, HubChange.record_id)
                ).all()
            )  # fmt: skip
            more = (
                s.scalar(
                    select(HubChange.server_version).where(HubChange.server_version > last).limit(1)
                )
                is not None
            )
        # Rows stamped before the hub kept entries (schema h0003) get theirs made here.
        made = entry_texts(s, [(r.kind, r.record_id) for r in rows if r.wire is None])
        texts = [
            _with_version(text_, r.server_version)
            for r in rows
            if (text_ := r.wire if r.wire is not None else made[(r.kind, r.record_id)])
        ]  # ("" is a row with no record to send)
    head = {
        # The last page ends at the counter, not at its last entry: in this snapshot every
        # change up to the counter is visible (versions follow commit order), and a cursor
        # below a purge horizon would send the laptop back to the beginning at every sync.
        "cursor": int(rows[-1].server_version) if more else hub_version,
        "more": more,
        "hub_version": hub_version,
        "epoch": state.epoch,
    }
    return (
        json.dumps(head, ensure_ascii=False)[:-1] + ',"entries":[' + ",".join(texts) + "]}"
    ).encode("utf-8")


def fill_change_entries(s: Session, *, remake: bool = False, batch: int = MAX_PAGE) -> int:
    """Store the wire entry of every change row that has none (rows stamped before schema
    h0003), or of every row if `remake` (the library schema changed), so that pulls send
    stored entries; run by `migrate_hub` after an upgrade. Returns how many were filled."""
    if remake:
        s.execute(update(HubChange).values(wire=None))
    filled = 0
    while True:
        keys = [
            (str(k), str(r))
            for k, r in s.execute(
                select(HubChange.kind, HubChange.record_id)
                .where(HubChange.wire.is_(None))
                .order_by(HubChange.kind, HubChange.record_id)
                .limit(batch)
            )
        ]
        if not keys:
            return filled
        # (An ORM bulk update by primary key: one executemany.)
        s.execute(
            update(HubChange),
            [
                {"kind": kind, "record_id": record_id, "wire": text_}
                for (kind, record_id), text_ in entry_texts(s, keys).items()
            ],
        )
        filled += len(keys)


def pull(
    store: HubStore, since: int, limit: int = DEFAULT_PAGE, epoch: str | None = None
) -> dict[str, Any]:
    """`pull_json`, read back (for callers in this process: tests, tools)."""
    page: dict[str, Any] = json.loads(pull_json(store, since, limit, epoch))
    return page


# --- publish ----------------------------------------------------------------------------------


@dataclass
class _Item:
    index: int
    kind: str
    id: str
    tag: str
    entry: PackEntry | None
    code: str = ""  # a refusal's code ("" while accepted)
    reason: str = ""

    def refuse(self, code: str, reason: str) -> None:
        if not self.code:
            self.code, self.reason = code, reason

    @property
    def accepted(self) -> bool:
        return not self.code


def _short(value: Any) -> str:
    return value[:36] if isinstance(value, str) else ""


def _parse(raw_entries: Any) -> list[_Item]:
    """Each entry checked as a pack entry is; a broken one is refused alone (`invalid`)."""
    items: list[_Item] = []
    seen: set[tuple[str, str]] = set()
    child_ids: set[str] = set()
    for index, raw in enumerate(raw_entries):
        record = raw.get("record") if isinstance(raw, dict) else None
        item = _Item(
            index=index,
            kind=_short(raw.get("kind")) if isinstance(raw, dict) else "",
            id=_short(record.get("id") if isinstance(record, dict) else raw.get("id"))
            if isinstance(raw, dict)
            else "",
            tag=_short(raw.get("tag")) if isinstance(raw, dict) else "",
            entry=None,
        )
        items.append(item)
        try:
            entry = parse_wire_entry(raw, index)
        except ImportRejectedError as exc:
            item.refuse(INVALID, exc.message)
            continue
        item.entry, item.kind, item.id, item.tag = entry, entry.kind, entry.id, entry.tag
        if not entry.tag:
            item.refuse(INVALID, _("The entry has no version tag."))
            continue
        if (entry.kind, entry.id) in seen:
            item.refuse(INVALID, _("The same record is listed twice in one publish."))
            continue
        seen.add((entry.kind, entry.id))
        rows = [
            child["id"]
            for name in ("members", "steps", "attendees", "groups", "agenda", "feedback")
            for child in (entry.data or {}).get(name, [])
        ]
        if child_ids.intersection(rows) or len(set(rows)) != len(rows):
            item.refuse(INVALID, _("Two records of the publish use the same row id."))
            continue
        child_ids.update(rows)
    return items


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def lock_records(s: Session, names: Iterable[str]) -> None:
    """Transaction-scoped advisory locks, taken in one sorted order (no deadlock)."""
    keys = sorted({_lock_key(n) for n in names})
    if keys:
        s.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(k)) FROM "
                "(SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"
            ),
            {"keys": keys},
        )


def _existing(s: Session, kind: str, ids: Iterable[str]) -> set[str]:
    model: Any = KINDS[kind].model
    out: set[str] = set()
    for part in chunks(sorted(set(ids))):
        out.update(s.scalars(select(model.id).where(model.id.in_(part))))
    return out


class _Ownership:
    """Which records are a leader's ("records of their teams", docs/hub-protocol.md)."""

    def __init__(self, s: Session, principal: Principal, items: list[_Item]) -> None:
        self.s = s
        self.teams = principal.team_ids
        # Members listed by a team of theirs in this batch belong to their teams too.
        self.batch_members: set[str] = set()
        for item in items:
            entry = item.entry
            if (
                item.accepted
                and entry is not None
                and entry.kind == "team"
                and entry.id in self.teams
                and entry.data is not None
                and not entry.data["deleted_at"]
            ):
                self.batch_members.update(m["member_id"] for m in entry.data["members"])

    def _member_on_hub(self, member_id: str) -> bool:
        return bool(
            self.s.scalar(
                select(TeamMembership.member_id)
                .join(ServiceTeam, ServiceTeam.id == TeamMembership.team_id)
                .where(
                    TeamMembership.member_id == member_id,
                    TeamMembership.team_id.in_(sorted(self.teams)),
                    ServiceTeam.deleted_at.is_(None),
                )
                .limit(1)
            )
        )

    def member(self, member_id: str) -> bool:
        return member_id in self.batch_members or self._member_on_hub(member_id)

    def data(self, kind: str, record_id: str, data: dict[str, Any]) -> bool:
        """Whether a version (the published one, or the hub's) is theirs."""
        if kind == "team":
            return record_id in self.teams
        if kind == "guide":
            return data.get("team_id") in self.teams
        if kind == "session":
            return bool(self.teams.intersection(data.get("team_ids", [])))
        if kind == "member":
            return self.member(record_id)
        return self.photo(record_id)

    def photo(self, photo_id: str) -> bool:
        """A photo used only by their records on the hub, or by nothing yet."""
        s = self.s
        sessions = s.scalars(
            select(SessionPhoto.session_id).where(SessionPhoto.photo_id == photo_id)
        ).all()
        for session_id in sessions:
            teams = s.scalars(
                select(SessionTeam.team_id).where(SessionTeam.session_id == session_id)
            ).all()
            if not self.teams.intersection(teams):
                return False
        guide_teams = s.scalars(
            select(Guide.team_id)
            .join(GuideStep, GuideStep.guide_id == Guide.id)
            .join(GuideStepPhoto, GuideStepPhoto.step_id == GuideStep.id)
            .where(GuideStepPhoto.photo_id == photo_id)
        ).all()
        if any(t not in self.teams for t in guide_teams):
            return False
        members = s.scalars(select(Member.id).where(Member.portrait_photo_id == photo_id)).all()
        return all(self.member(m) for m in members)


def _check_permissions(s: Session, principal: Principal, items: list[_Item]) -> None:
    if principal.is_admin:
        return
    ownership = _Ownership(s, principal, items)
    refusal = _("Only records of your own teams can be published.")
    for kind in KIND_ORDER:
        batch = [i for i in items if i.accepted and i.kind == kind and i.entry is not None]
        if not batch:
            continue
        current = merge.load_records(s, kind, [i.id for i in batch])
        for item in batch:
            assert item.entry is not None
            obj = current.get(item.id)
            if obj is not None and not ownership.data(kind, item.id, KINDS[kind].to_dict(obj)):
                item.refuse(FORBIDDEN, refusal)  # someone else's record on the hub
            elif item.entry.data is not None and not ownership.data(kind, item.id, item.entry.data):
                item.refuse(FORBIDDEN, refusal)  # not theirs, or moved out of their teams
            elif (
                obj is None
                and item.entry.data is None
                and kind == "team"
                and item.id not in principal.team_ids
            ):
                item.refuse(FORBIDDEN, refusal)


def _check_references(s: Session, items: list[_Item]) -> None:
    """Every reference resolves in the batch (an accepted entry in full) or on the hub;
    refusing one entry may refuse the entries that refer to it, so repeat until stable."""
    wanted: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for item in items:
        if item.accepted and item.entry is not None and item.entry.data is not None:
            for ref_kind, ref_id in KINDS[item.kind].references_in(item.entry.data):
                wanted[ref_kind].add(ref_id)
    on_hub = {kind: _existing(s, kind, ids) for kind, ids in wanted.items()}
    changed = True
    while changed:
        changed = False
        in_batch = {
            (i.kind, i.id)
            for i in items
            if i.accepted and i.entry is not None and i.entry.data is not None
        }
        for item in items:
            if not item.accepted or item.entry is None or item.entry.data is None:
                continue
            for ref_kind, ref_id in KINDS[item.kind].references_in(item.entry.data):
                if (ref_kind, ref_id) not in in_batch and ref_id not in on_hub[ref_kind]:
                    item.refuse(
                        MISSING_REFERENCE,
                        _("It refers to a {kind} ({id}) that is neither in this publish "
                          "nor on the hub.").format(kind=_(KIND_NAMES[ref_kind]), id=ref_id[:8]),
                    )  # fmt: skip
                    changed = True
                    break


def _check_photos(s: Session, items: list[_Item]) -> None:
    """A live photo needs its file on the hub; a photo id keeps its bytes forever."""
    photos = [i for i in items if i.accepted and i.kind == "photo" and i.entry is not None]
    full = [i for i in photos if i.entry is not None and i.entry.data is not None]
    if not full:
        return
    shas = {i.id: str(i.entry.data["sha256"]) for i in full if i.entry and i.entry.data}
    have: set[str] = set()
    for part in chunks(sorted(set(shas.values()))):
        have.update(s.scalars(select(HubBlob.sha256).where(HubBlob.sha256.in_(part))))
    hub_shas = versions.photo_shas(s, shas)
    for item in full:
        assert item.entry is not None and item.entry.data is not None
        sha = shas[item.id]
        if hub_shas.get(item.id, sha) != sha:
            item.refuse(INVALID, _("The photo has other contents than the hub's photo with "
                                   "the same id."))  # fmt: skip
        elif sha not in have and not item.entry.data["deleted_at"]:
            item.refuse(MISSING_BLOB, _("The photo's file has not been uploaded to the hub."))


def _plan(s: Session, principal: Principal, items: list[_Item]) -> merge.MergePlan:
    """The merge plan of the accepted items.

    A team that takes the name of another team on the hub makes the merge core rename one of
    the two ("name (2)", the one with the greater id, as on every laptop). When that is a team
    the publisher does not lead, the rename would change another team's record, which a
    leader may not do: the team entry is refused instead (and what refers to it), and the
    rest is planned again."""
    while True:
        accepted = [i for i in items if i.accepted and i.entry is not None]
        batch = EntryBatch(
            entries={
                kind: [i.entry for i in accepted if i.kind == kind and i.entry] for kind in KINDS
            },
            source_id=principal.device_id,
            source_name=principal.user_name,
            include_contacts=False,  # the hub never holds personal fields
        )
        try:
            plan = merge.plan_merge(s, batch)
        except UserError as exc:  # pre-checked above; kept as a refusal in words regardless
            raise HubError(exc.message, code=INVALID) from None
        foreign = [tid for tid, _new in plan.local_renames if tid not in principal.team_ids]
        if principal.is_admin or not foreign:
            return plan
        taken = {team.name for tid in foreign if (team := s.get(ServiceTeam, tid)) is not None}
        clashing = [
            i
            for i in accepted
            if i.kind == "team" and i.entry is not None and i.entry.data is not None
        ]
        if not clashing:  # cannot happen (only team entries rename teams): refuse, not loop
            raise Forbidden(_("Only records of your own teams can be published."))
        named = [i for i in clashing if i.entry and i.entry.data and i.entry.data["name"] in taken]
        for item in named or clashing:  # (all of them, should the name not be found)
            item.refuse(
                FORBIDDEN,
                _(
                    "Another team on the hub already has this name; give your team another "
                    "name and sync again."
                ),
            )
        _check_references(s, items)


def _changed_keys(plan: merge.MergePlan) -> set[tuple[str, str]]:
    """The records this publish changed that have a row on the hub (added, updated, deleted,
    revived, renamed, or holding a newly learned ancestor). A deletion of a record the hub
    never held leaves only its ancestry: there is no row to pull."""
    changed = {
        (d.kind, d.id)
        for d in plan.decisions
        if d.action in (merge.ADD, merge.UPDATE, merge.DELETE)
        or d.revive
        or (d.ancestry_to_add and d.local_tag)
    }
    changed.update(("team", tid) for tid, _name in plan.local_renames)
    return changed


def _stamp_changes(s: Session, keys: set[tuple[str, str]]) -> int:
    """Bump the counter (the very last thing before commit) and stamp the changed records."""
    if not keys:
        return current_version(s)
    # Each record's entry as this publish leaves it, made before the counter's row lock is
    # taken (it is held to commit). A changed key without a row (a deletion of a record the
    # hub never held) stores "" and is not pulled.
    texts = entry_texts(s, sorted(keys))
    version = next_version(s)
    rows = [
        {"kind": k, "record_id": r, "server_version": version, "wire": text_}
        for (k, r), text_ in texts.items()
    ]
    for start in range(0, len(rows), 500):
        statement = pg_insert(HubChange).values(rows[start : start + 500])
        s.execute(
            statement.on_conflict_do_update(
                index_elements=[HubChange.kind, HubChange.record_id],
                set_={
                    "server_version": statement.excluded.server_version,
                    "wire": statement.excluded.wire,
                },
            )
        )
    return version


def _stored_result(s: Session, principal: Principal, publish_id: str) -> dict[str, Any]:
    row = s.get(PublishLog, publish_id)
    assert row is not None
    if row.device_id != principal.device_id:
        raise HubError(
            _("This publish id was used by another laptop; publish again with a new one."),
            code="publish_id_taken",
            status=409,
        )
    return dict(row.result)


def _publish_once(
    store: HubStore, principal: Principal, publish_id: str, items: list[_Item]
) -> dict[str, Any]:
    with store.transaction() as s:
        # Claim the publish id first: a retry running at the same time waits here for this
        # transaction, then finds the stored result.
        claimed = s.scalar(
            pg_insert(PublishLog)
            .values(publish_id=publish_id, device_id=principal.device_id, result={})
            .on_conflict_do_nothing(index_elements=[PublishLog.publish_id])
            .returning(PublishLog.publish_id)
        )
        if claimed is None:
            return _stored_result(s, principal, publish_id)
        names = set()
        for item in items:
            if item.entry is not None:
                names.add(f"{item.kind}:{item.id}")
                if item.entry.data is not None:
                    names.update(
                        f"{k}:{r}" for k, r in KINDS[item.kind].references_in(item.entry.data)
                    )
                if item.kind == "team":
                    names.add("team-names")
        lock_records(s, names)
        # A purge or collection (`hub.purge`) holds this lock exclusively: the records and
        # photo files checked below cannot be purged before this publish commits, and one
        # lock instead of a lock per purged record (a purge may remove tens of thousands).
        s.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": MAINTENANCE_LOCK})
        _check_permissions(s, principal, items)
        _check_photos(s, items)
        _check_references(s, items)  # last: it refuses what refers to a refused entry
        plan = _plan(s, principal, items)
        merge.apply_plan(s, plan)
        s.flush()
        version = _stamp_changes(s, _changed_keys(plan))
        decided = {(d.kind, d.id): d for d in plan.decisions}
        conflicts = [k for k, d in decided.items() if d.action == merge.CONFLICT]
        current = wire_entries(s, conflicts)
        results: list[dict[str, Any]] = []
        for item in items:
            out: dict[str, Any] = {"kind": item.kind, "id": item.id, "tag": item.tag}
            decision = decided.get((item.kind, item.id))
            if not item.accepted or decision is None:
                out.update(outcome=REFUSED, code=item.code or INVALID, reason=item.reason)
            elif decision.action in (merge.ADD, merge.UPDATE, merge.DELETE):
                out.update(outcome=APPLIED, server_version=version)
            elif decision.action == merge.CONFLICT:
                out.update(
                    outcome=CONFLICT,
                    reason=decision.reason,
                    current=current.get((item.kind, item.id)),
                )
            else:
                out.update(outcome=UNCHANGED, reason=decision.reason)
            results.append(out)
        result = {"publish_id": publish_id, "hub_version": version, "results": results}
        s.execute(
            update(PublishLog).where(PublishLog.publish_id == publish_id).values(result=result)
        )
        return result


def publish(
    store: HubStore, principal: Principal, publish_id: Any, raw_entries: Any
) -> dict[str, Any]:
    """Publish a batch of entries (docs/hub-protocol.md, `POST /v1/publish`).

    Raises `HubError` for a refusal of the whole publish (a reader, a malformed body, a
    publish id of another device); items are refused one by one otherwise."""
    if not principal.may_publish:
        raise Forbidden(_("Your account may read from the hub but not publish to it."))
    if not isinstance(publish_id, str) or not ID_RE.match(publish_id):
        raise HubError(_("The publish has no valid publish id."))
    if not isinstance(raw_entries, list):
        raise HubError(_("The publish has no list of entries."))
    if len(raw_entries) > MAX_PUBLISH_ENTRIES:
        raise HubError(
            _("A publish holds at most {n} entries; send it in parts.").format(
                n=MAX_PUBLISH_ENTRIES
            ),
            code="too_large",
            status=413,
        )
    for attempt in range(ATTEMPTS):
        items = _parse(raw_entries)  # fresh refusals for each attempt
        try:
            return _publish_once(store, principal, publish_id, items)
        except IntegrityError:
            # Rows of this publish collide with rows of other records on the hub (a child row
            # id that another record already uses): the whole publish is refused unwritten.
            raise HubError(
                _("The publish reuses row ids of other records on the hub; nothing was written."),
                code=INVALID,
            ) from None
        except OperationalError as exc:
            code = getattr(exc.orig, "sqlstate", "")
            if code not in ("40001", "40P01") or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# --- conflicts --------------------------------------------------------------------------------


def open_conflicts(store: HubStore, principal: Principal) -> list[dict[str, Any]]:
    """Open conflicts on records the caller may publish (all of them for an administrator)."""
    with store.session() as s:
        rows = s.scalars(
            select(MergeConflict)
            .where(MergeConflict.resolved_at.is_(None))
            .order_by(MergeConflict.created_at, MergeConflict.id)
        ).all()
        ownership = _Ownership(s, principal, [])
        out = []
        for row in rows:
            obj = s.get(KINDS[row.kind].model, row.record_id)
            if obj is None:
                continue
            if not principal.is_admin and not ownership.data(
                row.kind, row.record_id, KINDS[row.kind].to_dict(obj)
            ):
                continue
            out.append(
                {
                    "id": row.id,
                    "kind": row.kind,
                    "record_id": row.record_id,
                    "incoming": row.incoming,
                    "current_tag": obj.version_tag,
                    "created_at": row.created_at.isoformat(),
                }
            )
        return out


__all__ = [
    "APPLIED",
    "CONFLICT",
    "REFUSED",
    "UNCHANGED",
    "open_conflicts",
    "publish",
    "pull",
    "wire_entries",
]
