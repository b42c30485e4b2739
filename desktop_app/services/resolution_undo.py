"""Undoing a conflict resolution: the conflict open again, with both versions.

`resolve` settles a conflict the way `merge.resolve_conflict` (keep mine / take theirs) or
`merge.resolve_conflict_fields` (ticked fields from theirs) does, and returns a `Resolution`:
what that write changed besides the record's content, which `merge` does not report. The
resolution taught the record the other laptop's tags (so the next exchange would see their
version as superseded) and closed the conflict, and perhaps others on the same record.

`reopen` undoes all of that in one transaction: the record is again the version it was before
the resolution (its content, revision and stored tag; the history row the resolution wrote
goes), the tags it learned are forgotten, and the conflicts it closed are open again, with
their incoming version as it was. The library then says what it said before the resolution,
so the next exchange with the other laptop finds the same conflict again. Undoing with a new
version on top, as an edit's undo does, would not: the resolved version would stay in the
history as a version this laptop superseded, and the next exchange would take it as "their
version, already merged here" and close the conflict with nobody deciding.

It is refused with `StaleRecordError` when the record was changed since the resolution (an
import, an edit): an undo never overwrites a version it did not make. If the resolved version
already left with a pack, the next exchange brings it back (as the newer version): nothing is
lost either way. Photos a resolution brought back from the clean-up stay back.

Both run on the window's one writer (every library write does), so nothing else writes
between the look before and the look after a resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desktop_app.core.errors import RecordNotFoundError, StaleRecordError, UserError
from desktop_app.core.i18n import _
from desktop_app.services import merge
from desktop_app.services.labels import KIND_NAMES
from desktop_app.services.records import live_team_named
from desktop_app.storage import versions
from desktop_app.storage.kinds import KINDS
from desktop_app.storage.models import (
    MergeConflict,
    RecordAncestry,
    RecordHistory,
    RecordMixin,
)
from desktop_app.storage.store import RecordStore


@dataclass(frozen=True)
class Resolution:
    """A resolution as it was written: enough to undo it, and to make it again."""

    conflict_id: str
    kind: str
    record_id: str
    keep: str  # "mine", "theirs" or "fields"
    fields: frozenset[str]  # the fields taken from theirs ("fields" only)
    before: str  # the record's version before the resolution (what undo brings back)
    version: str  # the version the resolution made
    learned: frozenset[str]  # tags the resolution taught the record (undo forgets them)
    closed: tuple[str, ...]  # conflicts it closed, its own first (undo opens them again)


def _same_content(tag: str, other: str) -> bool:
    return versions.tag_hash(tag) == versions.tag_hash(other)


def _record(s: Session, kind: str, record_id: str) -> RecordMixin:
    obj: RecordMixin | None = s.get(KINDS[kind].model, record_id)
    if obj is None:
        raise RecordNotFoundError(
            _("No {kind} with id {id}.").format(kind=_(KIND_NAMES[kind]), id=record_id)
        )
    return obj


def _refuse_if_changed(kind: str, record_id: str, current: str, expected: str) -> None:
    if not _same_content(current, expected):
        raise StaleRecordError(
            _(
                "The record was changed since, by an imported pack, a resolved conflict or "
                "another edit."
            ),
            kind=kind,
            record_id=record_id,
            current_version=current,
        )


def _open_conflicts(s: Session, kind: str, record_id: str) -> list[str]:
    return list(
        s.scalars(
            select(MergeConflict.id)
            .where(
                MergeConflict.kind == kind,
                MergeConflict.record_id == record_id,
                MergeConflict.resolved_at.is_(None),
            )
            .order_by(MergeConflict.created_at)
        )
    )


def _state(library: RecordStore, conflict_id: str) -> tuple[str, str, str, set[str], list[str]]:
    """(kind, record id, version, learned tags, open conflicts) of a conflict's record."""
    with library.session() as s:
        row = s.get(MergeConflict, conflict_id)
        if row is None:
            raise RecordNotFoundError(_("No conflict with id {id}.").format(id=conflict_id))
        obj = _record(s, row.kind, row.record_id)
        learned = versions.learned_tags(s, row.kind, [obj.id]).get(obj.id, set())
        return row.kind, obj.id, obj.version_tag, learned, _open_conflicts(s, row.kind, obj.id)


def resolve(
    library: RecordStore,
    conflict_id: str,
    keep: str,
    fields: Iterable[str] = (),
    *,
    expected_version: str | None = None,
) -> Resolution:
    """Resolve a conflict ("mine", "theirs", or "fields": `fields` from theirs) and say what
    the resolution wrote. `expected_version`: the record's version the user saw (a redo
    passes the one its undo made); if the record changed since, nothing is written."""
    kind, record_id, before, learned_before, open_before = _state(library, conflict_id)
    if expected_version is not None:
        _refuse_if_changed(kind, record_id, before, expected_version)
    chosen = frozenset(fields)
    if keep == "fields":
        merge.resolve_conflict_fields(library, conflict_id, set(chosen))
    else:
        merge.resolve_conflict(library, conflict_id, keep)
    _kind, _id, after, learned_after, open_after = _state(library, conflict_id)
    closed = [c for c in open_before if c not in open_after]
    closed.sort(key=lambda c: c != conflict_id)  # its own first
    return Resolution(
        conflict_id=conflict_id,
        kind=kind,
        record_id=record_id,
        keep=keep,
        fields=chosen,
        before=before,
        version=after,
        learned=frozenset(learned_after - learned_before),
        closed=tuple(closed),
    )


def _check_team_name_free(s: Session, obj: RecordMixin, data: dict[str, Any]) -> None:
    if live_team_named(s, data["name"], other_than=obj.id):
        raise UserError(
            _(
                "Cannot open the conflict again: another team is now called “{name}”. "
                "Rename that team first."
            ).format(name=data["name"])
        )


def reopen(library: RecordStore, resolution: Resolution, expected_version: str) -> str:
    """Undo a resolution: the record exactly as it was before it, the learned tags forgotten,
    the conflicts open again. `expected_version` is the version the resolution (or its redo)
    made; returns the version the record is back at."""
    kind, record_id = resolution.kind, resolution.record_id
    spec = KINDS[kind]
    with library.transaction() as s:
        obj = _record(s, kind, record_id)
        if obj.version_tag != expected_version:
            _refuse_if_changed(kind, record_id, obj.version_tag, "")
        rows = [s.get(MergeConflict, cid) for cid in resolution.closed]
        if any(row is None or row.resolved_at is None for row in rows):
            raise UserError(_("The conflict is already open again."))
        # The version the resolution replaced is the record's last history row.
        earlier = s.scalars(
            select(RecordHistory)
            .where(RecordHistory.kind == kind, RecordHistory.record_id == record_id)
            .order_by(RecordHistory.id.desc())
            .limit(1)
        ).first()
        if earlier is None or earlier.version_tag != resolution.before:
            raise UserError(_("The version before the resolution is no longer in the history."))
        data = dict(earlier.data)
        if kind == "team" and not data.get("deleted_at"):
            _check_team_name_free(s, obj, data)
        for rel in spec.children:  # child rows go first: the earlier ones keep their ids
            setattr(obj, rel, [])
        s.flush()
        spec.assign(obj, data, contacts=True)
        for name in spec.personal:  # exactly as before, even a value taken from theirs
            setattr(obj, name, data.get(name) or "")
        # The stored tag, not a new one: this is that version again, not an edit that
        # happens to say the same (a tag is a fact written once, see storage/versions.py).
        obj.version_tag = resolution.before
        s.delete(earlier)
        if resolution.learned:
            s.execute(
                delete(RecordAncestry).where(
                    RecordAncestry.kind == kind,
                    RecordAncestry.record_id == record_id,
                    RecordAncestry.tag.in_(sorted(resolution.learned)),
                )
            )
        for row in rows:
            assert row is not None
            row.resolved_at = None
            row.resolution = ""
            row.local_revision = obj.revision
        return resolution.before
