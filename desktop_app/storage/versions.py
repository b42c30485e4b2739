"""Versions of records: their tags, written once when the version is made, and the history.

Every state of a record has a *tag*, `"<revision>:<content sha256>"`. The content hash covers
what the record says, not how it is stored: revision, times, child-row ids and personal fields
(member phone and notes, which packs omit by default) are left out, photo references are
hashed by the photo's SHA-256 (so two laptops that imported the same picture under different
ids agree), and every deleted record hashes the same way.

A tag is a stored fact (`version_tag` on the record and on each history row), computed when
the version is made and never again: recomputing it later from rows that may have changed
since (a photo removed by clean-up) would give another tag for the same version, and the
other laptop would see a change nobody made.

`stamp` is the only place a version gets its tag, and `keep_in_history` the only writer of
history rows; catalog edits, photo edits, merges and conflict resolutions all go through them.
A guard at commit refuses a record whose tag does not name its revision, so a write path that
forgets to stamp fails its tests instead of corrupting what travels.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from desktop_app.storage.kinds import KINDS, META_FIELDS, iso
from desktop_app.storage.models import (
    Photo,
    RecordAncestry,
    RecordHistory,
    RecordMixin,
    new_id,
    utcnow,
)

PhotoSha = Callable[[str], str]
CHUNK = 500


def canonical_content(
    kind: str, data: dict[str, Any], photo_sha: PhotoSha, *, photo_id: bool = False
) -> dict[str, Any]:
    """What a version says, independent of where and when it is stored.

    `photo_id`: hash a photo's own id too, as libraries did until schema 0006 (their stored
    tags of photo versions made then keep that meaning; `legacy_photo_tag`)."""
    if data.get("deleted_at"):
        return {"kind": kind, "id": data["id"], "deleted": True}
    spec = KINDS[kind]
    out = {k: v for k, v in data.items() if k not in META_FIELDS and k not in spec.personal}
    out = spec.map_references(out, "photo", lambda pid: "sha256:" + photo_sha(pid))
    for key, value in out.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = [
                {k: v for k, v in item.items() if k != "id"} if "id" in item else item
                for item in value
            ]
    if kind == "photo" and not photo_id:
        # A photo's content is its picture and what people said about it, not the id a laptop
        # gave it: two laptops that imported the same picture (their own ids) hold the same
        # version, so a caption added on one later reaches the other (services/merge.py).
        del out["id"]
    out["kind"] = kind  # the record kind; no record has a field of that name
    return out


def content_hash(
    kind: str, data: dict[str, Any], photo_sha: PhotoSha, *, photo_id: bool = False
) -> str:
    text = json.dumps(
        canonical_content(kind, data, photo_sha, photo_id=photo_id),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_tag(revision: int, digest: str) -> str:
    return f"{revision}:{digest}"


def tag_revision(tag: str) -> int:
    head = tag.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def tag_hash(tag: str) -> str:
    return tag.split(":", 1)[1] if ":" in tag else ""


def record_tag(kind: str, data: dict[str, Any], photo_sha: PhotoSha) -> str:
    return make_tag(int(data["revision"]), content_hash(kind, data, photo_sha))


def legacy_photo_tag(data: dict[str, Any], photo_sha: PhotoSha) -> str:
    """A photo version's tag as stamped before photos were hashed without their id: what a
    format-1 pack's photo must be compared with in a library stamped then."""
    return make_tag(int(data["revision"]), content_hash("photo", data, photo_sha, photo_id=True))


def tombstone_tag(kind: str, record_id: str, revision: int) -> str:
    return record_tag(kind, {"id": record_id, "revision": revision, "deleted_at": "x"}, str)


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def photo_shas(s: Session, photo_ids: Iterable[str]) -> dict[str, str]:
    """SHA-256 of the given photos (deleted ones too: a tombstone keeps its row)."""
    out: dict[str, str] = {}
    ids = sorted(set(photo_ids))
    with s.no_autoflush:
        for part in chunks(ids):
            out.update(s.execute(select(Photo.id, Photo.sha256).where(Photo.id.in_(part))).all())
    return out


def tag_of_dict(s: Session, kind: str, data: dict[str, Any]) -> str:
    """The tag of the version a record dictionary describes, with this library's photos."""
    refs = [rid for rk, rid in KINDS[kind].references_in(data) if rk == "photo"]
    shas = photo_shas(s, refs) if refs else {}
    return record_tag(kind, data, lambda pid: shas.get(pid, pid))


def tag_of_new_photo(row: dict[str, Any]) -> str:
    """The tag of a photo row about to be inserted in bulk (photos refer to nothing)."""
    names = ("id", *META_FIELDS, *KINDS["photo"].fields)
    data = {k: iso(v) if isinstance(v, datetime) else v for k, v in row.items() if k in names}
    return record_tag("photo", data, str)


def stamp(s: Session, kind: str, obj: RecordMixin) -> str:
    """Give the record's current state its tag: call after every change that makes a version."""
    if obj.id is None:  # a new record: its column defaults apply only at the flush
        now = utcnow()
        obj.id, obj.revision = new_id(), 1
        obj.created_at = obj.created_at or now
        obj.updated_at = obj.updated_at or now
    tag = tag_of_dict(s, kind, KINDS[kind].to_dict(obj))
    obj.version_tag = tag
    return tag


def keep_in_history(s: Session, kind: str, obj: RecordMixin, reason: str) -> None:
    """Keep the record's current version in history, with its stored tag."""
    data = KINDS[kind].to_dict(obj)
    tag = obj.version_tag or tag_of_dict(s, kind, data)
    s.add(
        RecordHistory(
            kind=kind,
            record_id=obj.id,
            revision=obj.revision,
            data=data,
            reason=reason,
            version_tag=tag,
        )
    )


def begin_version(s: Session, kind: str, obj: RecordMixin, reason: str = "edit") -> None:
    """Before a local change: keep the version being replaced and move to the next revision.

    Call `stamp` once the change is made.
    """
    keep_in_history(s, kind, obj, reason)
    obj.revision += 1
    obj.updated_at = utcnow()


def add_ancestry(s: Session, rows: Iterable[tuple[str, str, str]]) -> None:
    """Remember (kind, record id, tag) as versions this library's records supersede."""
    wanted = {(k, r, t) for k, r, t in rows if t}
    if not wanted:
        return
    by_record: dict[tuple[str, str], set[str]] = {}
    for k, r, t in wanted:
        by_record.setdefault((k, r), set()).add(t)
    existing: set[tuple[str, str, str]] = set()
    for kind in {k for k, _r, _t in wanted}:
        ids = sorted({r for k, r, _t in wanted if k == kind})
        for part in chunks(ids):
            existing.update(
                (kind, rid, tag)
                for rid, tag in s.execute(
                    select(RecordAncestry.record_id, RecordAncestry.tag).where(
                        RecordAncestry.kind == kind, RecordAncestry.record_id.in_(part)
                    )
                )
            )
    values = [{"kind": k, "record_id": r, "tag": t} for k, r, t in sorted(wanted - existing)]
    for start in range(0, len(values), CHUNK):
        s.execute(insert(RecordAncestry), values[start : start + CHUNK])


def learned_tags(s: Session, kind: str, ids: Sequence[str]) -> dict[str, set[str]]:
    """Tags each record supersedes that were learned from packs and resolved conflicts."""
    out: dict[str, set[str]] = {}
    for part in chunks(list(ids)):
        rows = s.execute(
            select(RecordAncestry.record_id, RecordAncestry.tag).where(
                RecordAncestry.kind == kind, RecordAncestry.record_id.in_(part)
            )
        )
        for record_id, tag in rows:
            out.setdefault(record_id, set()).add(tag)
    return out


def ancestry(s: Session, kind: str, ids: Sequence[str]) -> dict[str, set[str]]:
    """Every tag each record's current version supersedes: its history here and what was
    learned. A pack carries this with every record."""
    out = history_tags(s, kind, ids)
    for rid, tags in learned_tags(s, kind, ids).items():
        out.setdefault(rid, set()).update(tags)
    return out


def restamp(s: Session, kind: str, obj: RecordMixin) -> None:
    """Stamp again after a further change within the same revision (the later groups of one
    photo import): the replaced tag, committed and perhaps exported already, stays known as an
    ancestor, so that another laptop holding it is seen as behind, not as changed."""
    old = obj.version_tag
    new = stamp(s, kind, obj)
    if old and old != new and tag_revision(old) == obj.revision:
        add_ancestry(s, [(kind, obj.id, old)])


def history_tags(s: Session, kind: str, ids: Sequence[str]) -> dict[str, set[str]]:
    """Tags of the versions that were current here before each record's current one."""
    out: dict[str, set[str]] = {}
    for part in chunks(list(ids)):
        rows = s.execute(
            select(RecordHistory.record_id, RecordHistory.version_tag).where(
                RecordHistory.kind == kind, RecordHistory.record_id.in_(part)
            )
        )
        for record_id, tag in rows:
            if tag:
                out.setdefault(record_id, set()).add(tag)
    return out


# --- the guard -----------------------------------------------------------------------------


class UnstampedVersionError(RuntimeError):
    """A bug: a record was changed without `stamp` (its tag names another revision)."""


_KIND_OF_MODEL = {spec.model: name for name, spec in KINDS.items()}


_NEW_RECORDS = "jiangxin_new_records"


def _remember_new(session: Session, _context: Any, _instances: Any) -> None:
    """Hold the records a flush inserts until the commit: the identity map holds objects
    weakly, so a record flushed early by code that then dropped it (a generator adding
    thousands of photos) would otherwise escape the guard below, untagged."""
    held = session.info.setdefault(_NEW_RECORDS, [])
    held.extend(obj for obj in session.new if isinstance(obj, RecordMixin))


def _forget_new(session: Session, *_args: Any) -> None:
    session.info.pop(_NEW_RECORDS, None)


def _check_stamped(session: Session) -> None:
    if session.new:
        session.flush()  # column defaults of new records apply at the flush
    records = {id(o): o for o in session.info.get(_NEW_RECORDS, ())}
    records.update((id(o), o) for o in session.identity_map.values())
    for obj in list(records.values()):
        if not isinstance(obj, RecordMixin):
            continue
        state = sa_inspect(obj)
        if state.deleted or state.was_deleted or state.detached:
            continue
        if not obj.version_tag:
            # A record created without going through a service (tests, generators): its
            # first version is stamped here; the commit's own flush writes the tag.
            stamp(session, _KIND_OF_MODEL[type(obj)], obj)
        elif tag_revision(obj.version_tag) != obj.revision:
            raise UnstampedVersionError(
                f"{type(obj).__name__} {obj.id} is at revision {obj.revision} but its tag "
                f"names {obj.version_tag}: a write path forgot versions.stamp()"
            )


# Every ORM session: a commit with a changed record whose tag was not brought up to date fails.
if not event.contains(Session, "before_commit", _check_stamped):
    event.listen(Session, "before_flush", _remember_new)
    event.listen(Session, "before_commit", _check_stamped)
    event.listen(Session, "after_commit", _forget_new)
    event.listen(Session, "after_rollback", _forget_new)


# --- libraries from before stored tags (schema 0005) -----------------------------------------


def backfill(connection: Connection) -> None:
    """Stamp every record and history row that has no tag yet.

    Run once, right after the upgrade to schema 0005 (the migration itself must not import
    application code). Photo references of old history rows whose photo is gone fall back to
    the photo id, as the tags computed before this schema did.
    """
    with Session(bind=connection) as s:
        shas = dict(s.execute(select(Photo.id, Photo.sha256)).all())

        def sha_of(pid: str) -> str:
            return shas.get(pid, pid)

        for kind, spec in KINDS.items():
            model: Any = spec.model
            ids = list(s.scalars(select(model.id).where(model.version_tag == "")))
            for part in chunks(ids):
                for obj in s.scalars(
                    select(model).where(model.id.in_(part)).options(*spec.loader_options())
                ):
                    obj.version_tag = record_tag(kind, spec.to_dict(obj), sha_of)
                s.flush()
                s.expunge_all()
        rows = s.execute(
            select(
                RecordHistory.id, RecordHistory.kind, RecordHistory.revision, RecordHistory.data
            ).where(RecordHistory.version_tag == "")
        ).all()
        values = []
        for hid, kind, revision, data in rows:
            if kind in KINDS and isinstance(data, dict) and "id" in data:
                values.append(
                    {"hid": hid, "tag": make_tag(int(revision), content_hash(kind, data, sha_of))}
                )
        for start in range(0, len(values), CHUNK):
            for value in values[start : start + CHUNK]:
                s.execute(
                    update(RecordHistory)
                    .where(RecordHistory.id == value["hid"])
                    .values(version_tag=value["tag"])
                )
