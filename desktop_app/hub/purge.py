"""Keeping the hub's database from growing forever: purging old deletions and superseded
versions, and deleting photo files nothing uses (`jiangxin-hub purge`, `jiangxin-hub gc`).

What is removed, and why it is safe (docs/hub-protocol.md, "Purging"):

- **Old deletions.** A record deleted before the cutoff goes with its rows, history, ancestry
  and change row, unless something still refers to it (a live session showing a deleted
  guide keeps the guide, as a pack would carry it) or it has an open conflict (someone may
  still bring it back). Laptops that pulled past the deletion hold it already; one that did
  not would never learn of it, so the hub's `purge_horizon` moves to the highest counter value
  purged and a laptop whose cursor is below it is told to start over (`resync_required`,
  reason `purged`), which deletes there too what it still held unchanged.
- **Superseded versions.** History rows (full copies of earlier versions) replaced before the
  cutoff are deleted; their tags move to `record_ancestry` first, so the merge core still
  knows every version a record supersedes and no decision changes: a laptop's stale base is
  still recognised as an ancestor. Laptops never pull history, so no laptop starts over.
- **Unused photo files.** A blob that no photo record (current or deleted) and no open
  conflict names, stored longer ago than the grace period. Laptops upload photos before the
  records that use them, so a fresh unreferenced blob is normal: the grace period keeps it.

A run holds one advisory lock exclusively that every publish takes shared: publishes in
flight finish first, new ones wait until the run commits (pulls do not wait), so nothing a run
reads changes under it, and a publish that has checked its photo files and references cannot
lose one before it commits. (One lock, not one per purged record: a purge may remove tens of
thousands, more than PostgreSQL's lock table holds.)

Everything runs in one transaction; a dry run is the same run, rolled back, so it refuses
what the real run refuses and reports exactly what the real run would do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.hub.database import HubStore
from desktop_app.hub.sync import MAINTENANCE_LOCK
from desktop_app.hub.tables import HubBlob, HubChange, HubState
from desktop_app.services import merge
from desktop_app.storage import versions
from desktop_app.storage.kinds import KIND_ORDER, KINDS
from desktop_app.storage.models import (
    MergeConflict,
    Photo,
    RecordAncestry,
    RecordHistory,
    VersionOrigin,
    utcnow,
)
from desktop_app.storage.versions import chunks

log = logging.getLogger(__name__)

MIN_DAYS = 7  # younger deletions: laptops that were away a week would all start over
MIN_GRACE_HOURS = 1  # a publish uploads its photos minutes before its records at most
DEFAULT_GRACE_HOURS = 48
LOAD_CHUNK = 500


class PurgeRefused(UserError):
    """A purge or collection asked for something the hub will not do."""


@dataclass
class PurgeReport:
    dry_run: bool
    cutoff: datetime | None = None  # None: photo files only (`gc`)
    grace_cutoff: datetime | None = None
    deleted_records: dict[str, int] = field(default_factory=dict)  # kind -> count
    kept_referenced: int = 0  # old deletions something still refers to
    kept_in_conflict: int = 0
    history_versions: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    horizon: int = 0  # the purge horizon after the run
    hub_version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "grace_cutoff": self.grace_cutoff.isoformat() if self.grace_cutoff else None,
            "deleted_records": dict(self.deleted_records),
            "kept_referenced": self.kept_referenced,
            "kept_in_conflict": self.kept_in_conflict,
            "history_versions": self.history_versions,
            "blobs": self.blobs,
            "blob_bytes": self.blob_bytes,
            "horizon": self.horizon,
            "hub_version": self.hub_version,
        }


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def check_limits(older_than_days: int | None, grace_hours: float) -> None:
    """Refuse a horizon or grace period too short to be safe, with a sentence."""
    if older_than_days is not None and older_than_days < MIN_DAYS:
        raise PurgeRefused(
            _(
                "Purge only deletions older than {n} days or more: laptops that were away "
                "for less would all have to sync from the beginning."
            ).format(n=MIN_DAYS)
        )
    if grace_hours < MIN_GRACE_HOURS:
        raise PurgeRefused(
            _(
                "Keep unused photo files for at least {n} hour: a laptop that is syncing "
                "uploads its photos before the records that use them."
            ).format(n=MIN_GRACE_HOURS)
        )


def purge(
    store: HubStore,
    older_than_days: int | None,
    *,
    grace_hours: float = DEFAULT_GRACE_HOURS,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Purge deletions and superseded versions older than `older_than_days` (None: only
    collect photo files), then delete photo files unused for longer than `grace_hours`."""
    check_limits(older_than_days, grace_hours)
    now = now or utcnow()
    report = PurgeReport(dry_run=dry_run)
    report.grace_cutoff = now - timedelta(hours=grace_hours)
    if older_than_days is not None:
        report.cutoff = now - timedelta(days=older_than_days)
    try:
        with store.transaction() as s:
            # Before anything is read: publishes in flight finish first, new ones wait for
            # this transaction (they take the lock shared, see `hub.sync`), so nothing this
            # run reads changes under it. Pulls do not wait.
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MAINTENANCE_LOCK})
            if report.cutoff is not None:
                _purge_deletions(s, report.cutoff, report)
                _purge_history(s, report.cutoff, report)
            _collect_blobs(s, report.grace_cutoff, report)
            state = s.scalars(select(HubState).where(HubState.id == 1).with_for_update()).one()
            if report.cutoff is not None and not dry_run:
                state.purged_at = now
            report.horizon = int(state.purge_horizon)
            report.hub_version = int(state.version)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if not dry_run:
        log.info("purge: %s", report.to_json())
    return report


def _old_deletions(s: Session, cutoff: datetime) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for kind in KIND_ORDER:
        model: Any = KINDS[kind].model
        deleted = select(model.id).where(model.deleted_at.is_not(None))
        found[kind] = set(s.scalars(deleted.where(model.deleted_at < cutoff)))
    return found


def _references_to(s: Session, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], set[Any]]:
    """For each wanted (kind, id): the records that refer to it, from every record's current
    version as the merge core reads it (`references_in`), so no kind of reference is missed
    (some are plain columns without a foreign key)."""
    out: dict[tuple[str, str], set[Any]] = {key: set() for key in wanted}
    if not wanted:
        return out
    for kind in KIND_ORDER:
        spec = KINDS[kind]
        model: Any = spec.model
        ids = list(s.scalars(select(model.id).order_by(model.id)))
        for start in range(0, len(ids), LOAD_CHUNK):
            objs = merge.load_records(s, kind, ids[start : start + LOAD_CHUNK])
            for rid, obj in objs.items():
                for ref in spec.references_in(spec.to_dict(obj)):
                    if ref in out and ref != (kind, rid):
                        out[ref].add((kind, rid))
            s.expunge_all()  # a large hub: do not keep every record loaded
    return out


def _purge_deletions(s: Session, cutoff: datetime, report: PurgeReport) -> None:
    candidates = _old_deletions(s, cutoff)
    keys = {(kind, rid) for kind, ids in candidates.items() for rid in ids}
    if not keys:
        return
    conflicted = {
        (str(k), str(r))
        for k, r in s.execute(
            select(MergeConflict.kind, MergeConflict.record_id).where(
                MergeConflict.resolved_at.is_(None)
            )
        )
    }
    report.kept_in_conflict = len(keys & conflicted)
    purge_set = keys - conflicted
    referrers = _references_to(s, purge_set)
    # A deletion referred to only by records purged with it goes too; repeat until stable.
    changed = True
    while changed:
        changed = False
        for key in sorted(purge_set):
            if referrers[key] - purge_set:
                purge_set.discard(key)
                changed = True
    report.kept_referenced = len(keys - conflicted - purge_set)
    if not purge_set:
        return
    horizon = 0
    # Referring kinds first (sessions, guides, …, photos last): the child rows that refer
    # to a record go with the record that holds them.
    for kind in reversed(KIND_ORDER):
        ids = sorted(rid for k, rid in purge_set if k == kind)
        if not ids:
            continue
        model: Any = KINDS[kind].model
        for part in chunks(ids):
            found = s.scalar(
                select(func.max(HubChange.server_version)).where(
                    HubChange.kind == kind, HubChange.record_id.in_(part)
                )
            )
            horizon = max(horizon, int(found or 0))
            for table in (RecordHistory, RecordAncestry, VersionOrigin, MergeConflict):
                s.execute(delete(table).where(table.kind == kind, table.record_id.in_(part)))
            s.execute(
                delete(HubChange).where(HubChange.kind == kind, HubChange.record_id.in_(part))
            )
            s.execute(delete(model).where(model.id.in_(part)))
        report.deleted_records[kind] = len(ids)
    s.flush()
    s.execute(
        update(HubState)
        .where(HubState.id == 1, HubState.purge_horizon < horizon)
        .values(purge_horizon=horizon)
    )


def _purge_history(s: Session, cutoff: datetime, report: PurgeReport) -> None:
    """Delete versions replaced before the cutoff, keeping their tags as ancestry."""
    rows = s.execute(
        select(
            RecordHistory.id, RecordHistory.kind, RecordHistory.record_id, RecordHistory.version_tag
        )
        .where(RecordHistory.replaced_at < cutoff)
        .order_by(RecordHistory.id)
    ).all()
    if not rows:
        return
    versions.add_ancestry(s, ((str(k), str(r), str(t)) for _id, k, r, t in rows if t))
    ids = [int(row.id) for row in rows]
    for start in range(0, len(ids), 1000):
        s.execute(delete(RecordHistory).where(RecordHistory.id.in_(ids[start : start + 1000])))
    report.history_versions = len(ids)


def _collect_blobs(s: Session, grace_cutoff: datetime, report: PurgeReport) -> None:
    """Delete blobs no photo record and no open conflict names, stored before the cutoff."""
    used = set(s.scalars(select(Photo.sha256)))
    for incoming in s.scalars(
        select(MergeConflict.incoming).where(
            MergeConflict.kind == "photo", MergeConflict.resolved_at.is_(None)
        )
    ):
        record = incoming.get("record") if isinstance(incoming, dict) else None
        if isinstance(record, dict) and isinstance(record.get("sha256"), str):
            used.add(record["sha256"])
    old = s.execute(
        select(HubBlob.sha256, HubBlob.size).where(HubBlob.created_at < grace_cutoff)
    ).all()
    unused = [(str(sha), int(size)) for sha, size in old if sha not in used]
    for start in range(0, len(unused), 500):
        part = [sha for sha, _size in unused[start : start + 500]]
        s.execute(delete(HubBlob).where(HubBlob.sha256.in_(part)))
    report.blobs = len(unused)
    report.blob_bytes = sum(size for _sha, size in unused)
