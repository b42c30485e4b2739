"""Records as plain dictionaries: for `show --json`, the history table and packs.

The dictionary of a record holds its own columns and its child rows, with ids only for
references to other records (the shapes are declared in `storage/kinds.py`). `describe()`
adds display names for humans.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core.errors import RecordNotFoundError
from desktop_app.core.i18n import _
from desktop_app.services.labels import KIND_NAMES
from desktop_app.storage.kinds import KINDS, RECORD_FIELDS, record_to_dict
from desktop_app.storage.models import ServiceTeam

__all__ = ["RECORD_FIELDS", "get_record", "record_to_dict"]


def get_record(
    session: Session,
    kind: str,
    record_id: str,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Any:
    """Load a live record by id (an unambiguous id prefix of 8+ characters works too).

    `for_update`: the record is about to be changed in this transaction, so it is read with a
    row lock (PostgreSQL's `FOR UPDATE`: another writer of it waits for this transaction, then
    reads what it committed). SQLite has no row locks and needs none: it has one writer at a
    time, and a write based on an older snapshot fails as busy.
    """
    model: Any = KINDS[kind].model
    obj = session.get(model, record_id, with_for_update=True if for_update else None)
    if obj is None and len(record_id) >= 8:
        query = select(model).where(model.id.startswith(record_id)).limit(2)
        matches = session.scalars(query.with_for_update() if for_update else query).all()
        if len(matches) == 1:
            obj = matches[0]
    if obj is None or (obj.deleted_at is not None and not include_deleted):
        raise RecordNotFoundError(
            _("No {kind} with id {id}.").format(kind=_(KIND_NAMES[kind]), id=record_id)
        )
    return obj


def live_team_named(s: Session, name: str, *, other_than: str = "") -> str | None:
    """The id of the live team called `name` (other than `other_than`), if any: team names
    are unique among live teams (a deleted team frees its name)."""
    return s.scalar(
        select(ServiceTeam.id).where(
            ServiceTeam.name == name,
            ServiceTeam.deleted_at.is_(None),
            ServiceTeam.id != other_than,
        )
    )
