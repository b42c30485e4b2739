"""Syncing a library with a district hub: connect, sync, status, disconnect.

A sync is pull, merge locally, publish (docs/hub-protocol.md):

1. **Unfinished publishes first.** A publish is saved in `hub_outbox` before it is sent; if an
   earlier sync was killed before it learned the answer, the same publish (same id) is sent
   again and the hub answers with its stored result, so nothing is applied twice.
2. **Pull.** Every page of changes since the cursor is fetched and checked as a pack's
   entries are (kept in memory); the photo files the library lacks are downloaded and checked
   against their SHA-256 into `tmp/`. All of this happens before the write lock: the window
   stays usable, and a dropped connection leaves the library untouched.
3. **Merge.** One transaction: the pulled records are planned and applied with the same merge
   core as packs (a version changed on both sides becomes a conflict in the conflicts dialog),
   the photo files placed, the cursor moved and `hub_known` (what the hub holds) updated. The
   cursor therefore moves only with the records it covers.
4. **Publish.** Records whose current version differs from what the hub is known to hold go
   up in batches, photo files first (`blobs/missing`, then `PUT`). Each batch is saved with
   its publish id before it is sent, and its answer is applied in one transaction: `applied`
   and `unchanged` update `hub_known`; `conflict` merges the hub's current version (the laptop
   then holds the conflict and shows it); `refused` is reported per record. Records with an
   open conflict wait until the user settles it.

A sync killed at any point leaves both sides consistent, and the next one finishes the job.
The device token is kept in the user's configuration folder (readable by the user only), keyed
by the library's id; never in the library, whose database travels in backups and copies.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core import paths
from desktop_app.core.errors import ImportRejectedError, UserError
from desktop_app.core.fsutil import atomic_write_text
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.core.writefail import user_error_for
from desktop_app.services import merge, packs
from desktop_app.services.backup import automatic_backup, prune_automatic_backups
from desktop_app.services.hub_client import (
    Certificate,
    HubClient,
    HubClientError,
    HubUnreachableError,
    ResyncRequired,
    fetch_certificate,
    iter_chunks,
    normalise_fingerprint,
    normalise_url,
)
from desktop_app.services.pack_format import (
    SHA_RE,
    EntryBatch,
    PackEntry,
    entry_of,
    parse_wire_entry,
    references,
    tombstone_of,
)
from desktop_app.services.records import record_to_dict
from desktop_app.storage import versions
from desktop_app.storage.db import lock_for_writing
from desktop_app.storage.kinds import KIND_ORDER, KINDS
from desktop_app.storage.library import Library
from desktop_app.storage.models import (
    HubDirty,
    HubKnown,
    HubLink,
    HubOutbox,
    MergeConflict,
    Photo,
    utcnow,
)
from desktop_app.storage.photostore import (
    StoredFiles,
    check_ext,
    check_sha256,
    is_store_ext,
    photo_path,
)

# Why a sync starts over from the beginning (the hub's `resync_required` reasons).
RESTORED, PURGED = "restored", "purged"

PAGE_SIZE = 2000  # records per pulled page (the most the hub gives)
DOWNLOADS_AT_ONCE = 4  # requests for photo files at the same time
FILES_PER_REQUEST = 200  # photo files in one request (the hub serves at most 200)
PUBLISH_BATCH = 500  # records per publish (the hub allows up to 2,000)
BLOB_QUERY = 5000  # hashes per "which do you lack?" question


class NotConnectedError(UserError):
    """The library is not connected to a hub."""


# --- the device token, in the user's configuration folder -----------------------------------


def _token_file(library_id: str) -> Path:
    return paths.config_dir() / "hub" / f"{library_id}.json"


def save_token(library_id: str, hub_id: str, token: str) -> None:
    """Kept readable by this user only (the file is created 0600, its folder 0700)."""
    target = _token_file(library_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(target.parent, 0o700)
    atomic_write_text(target, json.dumps({"hub_id": hub_id, "token": token}))
    with contextlib.suppress(OSError):
        os.chmod(target, 0o600)


def load_token(library_id: str, hub_id: str) -> str:
    try:
        data = json.loads(_token_file(library_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict) or data.get("hub_id") != hub_id:
        return ""
    return str(data.get("token", ""))


def forget_token(library_id: str) -> None:
    with contextlib.suppress(OSError):
        _token_file(library_id).unlink()


# --- connecting -----------------------------------------------------------------------------


@dataclass
class Probe:
    """What a first look at a hub found: its certificate (for the user to confirm) and its
    identity."""

    url: str
    certificate: Certificate
    hub_id: str
    hub_name: str


def probe(url: str) -> Probe:
    """Fetch the hub's certificate and say hello (checking the versions) without signing in."""
    url = normalise_url(url)
    cert = fetch_certificate(url)
    with HubClient(url, certificate="" if cert.trusted_by_system else cert.pem) as client:
        hello = client.hello()
    return Probe(url, cert, str(hello.get("hub_id", "")), str(hello.get("hub_name", "")))


@dataclass
class LinkInfo:
    url: str
    hub_id: str
    hub_name: str
    fingerprint: str
    user_name: str
    device_id: str
    role: str = ""


def _device_name() -> str:
    try:
        return socket.gethostname()[:64]
    except OSError:
        return ""


def connect(
    library: Library,
    url: str,
    user: str,
    password: str,
    *,
    fingerprint: str | None = None,
    confirm: Callable[[Certificate], bool] | None = None,
    found: Probe | None = None,
) -> LinkInfo:
    """Sign this library in to a hub.

    The hub's certificate is pinned after it was checked: against `fingerprint` when given
    (the one the union office printed), else by `confirm` (the user compares it); a
    certificate the system's authorities vouch for needs neither. Reconnecting to the same hub
    keeps what was synced; another hub is refused while this one is connected.
    """
    if library.read_only:
        raise UserError(_("The library is open read-only; nothing can be changed."))
    if not user.strip():
        raise UserError(_("Enter your user name on the hub."))
    found = found if found is not None and found.url == normalise_url(url) else probe(url)
    cert = found.certificate
    if fingerprint:
        wanted = normalise_fingerprint(fingerprint)
        if not wanted:
            raise UserError(
                _("“{fp}” is not a certificate fingerprint (64 hexadecimal digits).").format(
                    fp=fingerprint
                )
            )
        if wanted != cert.fingerprint:
            raise HubClientError(
                _(
                    "Warning: the hub's certificate ({actual}) is not the one you gave "
                    "({wanted}); nothing was sent. Check the address and the fingerprint with "
                    "the union office."
                ).format(actual=cert.fingerprint, wanted=wanted)
            )
    elif not cert.trusted_by_system and (confirm is None or not confirm(cert)):
        raise UserError(_("Not connected: the hub's certificate was not confirmed."))
    pinned = "" if cert.trusted_by_system and not fingerprint else cert.pem
    with library.session() as s:
        existing = s.get(HubLink, 1)
        if existing is not None and existing.hub_id != found.hub_id:
            raise UserError(
                _(
                    "This library is connected to the hub “{name}” ({url}); disconnect it first."
                ).format(name=existing.hub_name, url=existing.url)
            )
    with HubClient(found.url, certificate=pinned) as client:
        answer = client.login(user.strip(), password, _device_name())
    user_info = answer.get("user") if isinstance(answer.get("user"), dict) else {}
    assert isinstance(user_info, dict)
    info = LinkInfo(
        url=found.url,
        hub_id=found.hub_id,
        hub_name=found.hub_name,
        fingerprint=cert.fingerprint if pinned else "",
        user_name=str(user_info.get("name", user.strip())),
        device_id=str(answer.get("device_id", "")),
        role=str(user_info.get("role", "")),
    )
    save_token(library.library_id, found.hub_id, client.token)
    with library.transaction() as s:
        link = s.get(HubLink, 1)
        if link is None:
            link = HubLink(id=1, cursor=0)
            s.add(link)
        link.url = info.url
        link.hub_id = info.hub_id
        link.hub_name = info.hub_name
        link.fingerprint = info.fingerprint
        link.certificate = pinned
        link.user_name = info.user_name
        link.device_id = info.device_id
        link.connected_at = utcnow()
        last = dict(link.last_sync_result or {})
        if last.get("ok") is False:
            # Signed in again (after a revoked laptop, a changed password): the failure
            # before is over, and "last attempt failed" must not stay in the status bar.
            for key in ("ok", "message", "at"):
                last.pop(key, None)
            link.last_sync_result = last or None
    return info


def _link(s: Session) -> HubLink:
    link = s.get(HubLink, 1)
    if link is None:
        raise NotConnectedError(
            _("This library is not connected to a hub (File → Connect to hub…).")
        )
    return link


def open_client(url: str, certificate: str, token: str) -> HubClient:
    """The client of a connected hub (a test may put an in-process hub here)."""
    return HubClient(url, certificate=certificate, token=token)


def _client(library: Library, link: HubLink) -> HubClient:
    token = load_token(library.library_id, link.hub_id)
    if not token:
        raise NotConnectedError(
            _("This computer is not signed in to the hub “{name}”; connect again.").format(
                name=link.hub_name
            )
        )
    return open_client(link.url, link.certificate, token)


# --- status ---------------------------------------------------------------------------------


@dataclass
class HubStatus:
    connected: bool
    url: str = ""
    hub_name: str = ""
    user_name: str = ""
    fingerprint: str = ""
    last_sync_at: datetime | None = None
    last_result: dict[str, Any] | None = None
    waiting: int = 0  # local changes not yet on the hub
    open_conflicts: int = 0
    cursor: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "url": self.url,
            "hub_name": self.hub_name,
            "user": self.user_name,
            "fingerprint": self.fingerprint,
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
            "last_result": self.last_result,
            "waiting": self.waiting,
            "open_conflicts": self.open_conflicts,
            "cursor": self.cursor,
        }


def _open_conflict_keys(s: Session) -> set[tuple[str, str]]:
    return {
        (str(kind), str(rid))
        for kind, rid in s.execute(
            select(MergeConflict.kind, MergeConflict.record_id).where(
                MergeConflict.resolved_at.is_(None)
            )
        )
    }


@dataclass
class _Waiting:
    kind: str
    id: str


def waiting_by_scan(s: Session) -> list[_Waiting]:
    """Records whose current version the hub is not known to hold, in dependency order: the
    definition of what waits to be published (every record against `hub_known`).

    Records with an open conflict wait until the user settles it (publishing one side would
    only conflict again). This reads the whole library; syncs and the status bar read
    `hub_dirty` instead, which the database keeps equal to this (migration 0012; the tests
    check the two agree).
    """
    blocked = _open_conflict_keys(s)
    found: list[_Waiting] = []
    for kind in KIND_ORDER:
        model: Any = KINDS[kind].model
        rows = s.execute(
            select(model.id)
            .outerjoin(HubKnown, and_(HubKnown.kind == kind, HubKnown.record_id == model.id))
            .where(or_(HubKnown.tag.is_(None), HubKnown.tag != model.version_tag))
            .order_by(model.id)
        )
        found += [_Waiting(kind, rid) for rid in rows.scalars() if (kind, rid) not in blocked]
    return found


_KIND_RANK = {kind: n for n, kind in enumerate(KIND_ORDER)}


def _waiting(s: Session) -> list[_Waiting]:
    """What `waiting_by_scan` gives, read from `hub_dirty`: as many rows as changes wait, not
    as many as the library holds (an incremental sync of 20,000 sessions spent most of its
    time in the scan)."""
    blocked = _open_conflict_keys(s)
    rows = sorted(
        (
            (str(kind), str(rid))
            for kind, rid in s.execute(select(HubDirty.kind, HubDirty.record_id))
        ),
        key=lambda key: (_KIND_RANK.get(key[0], len(_KIND_RANK)), key[1]),
    )
    return [
        _Waiting(kind, rid) for kind, rid in rows if kind in KINDS and (kind, rid) not in blocked
    ]


def waiting_count(s: Session) -> int:
    """How many local changes wait to be published (the status bar): a count of `hub_dirty`,
    less the records held back by an open conflict."""
    dirty = int(s.scalar(select(func.count()).select_from(HubDirty)) or 0)
    blocked = _open_conflict_keys(s)
    if not blocked:
        return dirty
    held = sum(
        1
        for part in iter_chunks(sorted(blocked), 300)
        for _row in s.execute(
            select(HubDirty.kind).where(tuple_(HubDirty.kind, HubDirty.record_id).in_(part))
        )
    )
    return dirty - held


def status(library: Library) -> HubStatus:
    """The hub this library syncs with, the last sync, and how many changes wait."""
    with library.session() as s:
        link = s.get(HubLink, 1)
        if link is None:
            return HubStatus(connected=False)
        return HubStatus(
            connected=True,
            url=link.url,
            hub_name=link.hub_name,
            user_name=link.user_name,
            fingerprint=link.fingerprint,
            last_sync_at=link.last_sync_at,
            last_result=link.last_sync_result,
            waiting=waiting_count(s),
            open_conflicts=len(_open_conflict_keys(s)),
            cursor=link.cursor,
        )


def disconnect(library: Library) -> bool:
    """Sign out (the hub revokes this laptop's token) and forget the hub here. Returns whether
    the hub was told; when it cannot be reached the link is forgotten all the same (the
    administrator can revoke the device)."""
    with library.session() as s:
        link = _link(s)
        hub_id, url, certificate = link.hub_id, link.url, link.certificate
    told = False
    token = load_token(library.library_id, hub_id)
    if token:
        try:
            with open_client(url, certificate, token) as client:
                client.logout()
            told = True
        except HubClientError:
            told = False
    with library.transaction() as s:
        # The link first: its trigger clears `hub_dirty`, and the known versions then go
        # without marking every record as waiting for a hub this library no longer has.
        s.execute(delete(HubLink))
        s.execute(delete(HubOutbox))
        s.execute(delete(HubKnown))
    forget_token(library.library_id)
    return told


# --- syncing --------------------------------------------------------------------------------


@dataclass
class RecordNote:
    kind: str
    id: str
    label: str
    reason: str = ""
    code: str = ""
    tag: str = ""  # the version sent (refusals)
    # Refused at the last sync too, in this very version: the user was told already (the
    # window says only what is new; the change is still offered at every sync, so a leader
    # given the team meanwhile gets it through).
    repeated: bool = False

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class SyncReport:
    pulled_entries: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    published: int = 0
    already_there: int = 0  # sent, and the hub had it already
    conflicts: list[RecordNote] = field(default_factory=list)
    refused: list[RecordNote] = field(default_factory=list)
    photos_downloaded: int = 0
    photos_uploaded: int = 0
    notes: list[str] = field(default_factory=list)
    waiting: int = 0
    backup: str | None = None
    # Why this sync started over from the beginning ("restored" / "purged"; "" if it did
    # not), and the sentence that says so to the user.
    started_over: str = ""
    started_over_message: str = ""

    @property
    def pulled(self) -> int:
        return self.added + self.updated + self.deleted

    def to_json(self) -> dict[str, Any]:
        return {
            "pulled": {
                "entries": self.pulled_entries,
                "added": self.added,
                "updated": self.updated,
                "deleted": self.deleted,
                "photo_files": self.photos_downloaded,
            },
            "published": {
                "applied": self.published,
                "unchanged": self.already_there,
                "photo_files": self.photos_uploaded,
            },
            "conflicts": [c.to_json() for c in self.conflicts],
            "refused": [r.to_json() for r in self.refused],
            "notes": self.notes,
            "waiting": self.waiting,
            "started_over": (
                {"reason": self.started_over, "message": self.started_over_message}
                if self.started_over
                else None
            ),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "ok": True,
            "pulled": self.pulled,
            "published": self.published,
            "conflicts": len(self.conflicts),
            "refused": len(self.refused),
            "refused_versions": [[r.kind, r.id, r.tag] for r in self.refused],
            "started_over": self.started_over_message,
        }


def _refused_before(result: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    """The versions the last sync reported refused (kind, id, tag), from the stored result
    (read defensively: anything else in it is ignored)."""
    found = (result or {}).get("refused_versions")
    if not isinstance(found, list):
        return set()
    return {
        (item[0], item[1], item[2])
        for item in found
        if isinstance(item, list) and len(item) == 3 and all(isinstance(x, str) for x in item)
    }


def sync(
    library: Library,
    progress: Progress | None = None,
    *,
    backup: bool = True,
    page_size: int = PAGE_SIZE,
    batch_size: int = PUBLISH_BATCH,
) -> SyncReport:
    """Pull, merge, publish (see the module docstring). Raises a `UserError` with one sentence
    on any failure; whatever was committed before it stays consistent on both sides."""
    progress = progress or NullProgress()
    if library.read_only:
        raise UserError(_("The library is open read-only; nothing can be changed."))
    with library.session() as s:
        link = _link(s)
        s.expunge(link)
    refused_before = _refused_before(link.last_sync_result)
    report = SyncReport()
    try:
        with _client(library, link) as client:
            progress.step(0, 1, _("Contacting the hub…"))
            hello = client.hello()
            start_over = _epoch_changed(link, hello)
            _send_outbox(library, client, link, report, progress)
            _pull_and_merge(library, client, link, report, progress, backup, page_size, start_over)
            _publish(library, client, link, report, progress, batch_size)
    except Exception as exc:
        translated = exc if isinstance(exc, UserError) else user_error_for(exc, library.root)
        _record_failure(library, str(translated) if translated else "")
        if translated is not None and translated is not exc:
            raise translated from None
        raise
    for note in report.refused:
        note.repeated = (note.kind, note.id, note.tag) in refused_before
    with library.transaction() as s:
        row = _link(s)
        report.waiting = waiting_count(s)
        row.last_sync_at = utcnow()
        row.last_sync_result = report.summary()
    progress.step(1, 1, _("Synced."))
    return report


def _record_failure(library: Library, message: str) -> None:
    """Keep the last attempt's sentence for the status (the last good sync stays as it was)."""
    with contextlib.suppress(Exception), library.transaction() as s:
        row = s.get(HubLink, 1)
        if row is not None:
            previous = dict(row.last_sync_result or {})
            previous.update({"ok": False, "message": message, "at": utcnow().isoformat()})
            row.last_sync_result = previous


def _set_known(s: Session, rows: Iterable[tuple[str, str, str]]) -> None:
    """Record the versions the hub holds (kind, id, tag).

    One statement run for every row (an executemany), not statements of a few hundred rows
    each compiled anew: a first sync records tens of thousands."""
    values = [{"kind": k, "record_id": r, "tag": t} for k, r, t in rows]
    if not values:
        return
    stmt = sqlite_insert(HubKnown)
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=["kind", "record_id"], set_={"tag": stmt.excluded.tag}
        ),
        values,
    )


def _take_write_lock(s: Session) -> None:
    # The plan must be made on what this transaction will change: take the write lock before
    # reading (as a pack import does).
    lock_for_writing(s)


# --- pull -----------------------------------------------------------------------------------


@dataclass
class _Pulled:
    entries: dict[str, list[PackEntry]]  # by kind, each record once, in its latest version
    cursor: int
    epoch: str  # the hub's epoch the pages belong to ("" from a hub without epochs)
    start_over: str  # RESTORED / PURGED when the pull started over from 0, else ""


def _fetch_pages(
    client: HubClient,
    since: int,
    epoch: str,
    progress: Progress,
    page_size: int,
    on_page: Callable[[dict[str, Any]], None] | None = None,
) -> _Pulled:
    """Every change since `since` (of the hub's history `epoch`), checked as a pack's entries
    are; a record changed twice while the pages were fetched appears once, in its latest
    version.

    The next page is asked for as soon as a page's cursor is read, and this page is checked
    while the hub makes the next one: on a first sync the two waits (the hub building pages,
    the laptop checking them) were one after the other, a third of the pull each.
    `on_page` sees each page as it arrives (to start fetching its photos). When the hub
    answers `resync_required` (its history was rewound, or deletions after `since` purged),
    the pull starts over from 0, once."""
    latest: dict[tuple[str, str], PackEntry] = {}
    start_over = ""
    restarted = False
    cursor = since
    page_epoch = ""
    prefetch = ThreadPoolExecutor(max_workers=1)
    upcoming: Future[bytes] | None = None
    try:
        while True:
            progress.check_cancelled()
            try:
                if upcoming is not None:
                    raw, upcoming = upcoming.result(), None
                else:
                    raw = client.changes_raw(cursor, page_size, epoch)
            except ResyncRequired as exc:
                if restarted:
                    raise
                restarted = True
                start_over = exc.reason if exc.reason in (RESTORED, PURGED) else RESTORED
                latest, cursor, epoch = {}, 0, ""
                continue
            try:
                page = json.loads(raw)
                next_cursor = int(page["cursor"])
                more = bool(page["more"])
                total = int(page.get("hub_version", next_cursor)) or 1
                page_epoch = str(page.get("epoch", "") or "")
                if not isinstance(page["entries"], list):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                raise HubClientError(
                    _("The hub sent an answer this laptop cannot read; update Jiangxin.")
                ) from None
            if more and next_cursor <= cursor:
                raise HubClientError(
                    _("The hub sent an answer this laptop cannot read; update Jiangxin.")
                )
            if more:
                upcoming = prefetch.submit(client.changes_raw, next_cursor, page_size, epoch)
            if on_page is not None:
                on_page(page)
            _check_page(page, latest)
            cursor = next_cursor
            progress.step(min(cursor, total), total, _("Receiving changes from the hub…"))
            if not more:
                entries: dict[str, list[PackEntry]] = {kind: [] for kind in KIND_ORDER}
                for entry in latest.values():
                    entries[entry.kind].append(entry)
                return _Pulled(entries, cursor, page_epoch, start_over)
    finally:
        if upcoming is not None:
            upcoming.cancel()
        prefetch.shutdown(wait=True)  # a page still on its way is dropped with the pull


def _check_page(page: dict[str, Any], latest: dict[tuple[str, str], PackEntry]) -> None:
    """Check a page's entries as a pack's are, into `latest` (a later version of a record
    replaces the earlier and moves to the end, so the order is the order of the latest)."""
    try:
        for item in page["entries"]:
            entry = parse_wire_entry(item, len(latest), "changes")
            latest.pop((entry.kind, entry.id), None)
            latest[(entry.kind, entry.id)] = entry
    except ImportRejectedError as exc:
        raise HubClientError(
            _("The hub sent a record this laptop refuses ({reason}); nothing was changed.").format(
                reason=str(exc)
            )
        ) from None


class _Downloads:
    """Photo files fetched from the hub into `staging/<ab>/`, each checked against its hash,
    while the caller goes on (pages of records still arriving): both are waits on the hub.

    Batches of files per request, a few requests at once: one request per photo spent most
    of a first sync waiting on round trips (24 of 35 s for 5,000 photos)."""

    def __init__(self, client: HubClient, staging: Path, progress: Progress) -> None:
        self.client = client
        self.staging = staging
        self.progress = progress
        self.ext: dict[str, str] = {}
        self.staged: dict[str, Path] = {}
        self.lacking: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=DOWNLOADS_AT_ONCE)
        self._futures: list[Future[tuple[list[str], set[str]]]] = []
        self._pending: list[str] = []
        self._folders: set[str] = set()

    def temp_of(self, sha: str) -> Path:
        return self.staging / "photos" / sha[:2] / f"{sha}.{self.ext[sha]}"

    def add(self, wanted: dict[str, str]) -> None:
        """Queue files (sha -> ext) not asked for yet; full batches are sent at once."""
        for sha, ext in sorted(wanted.items()):
            if sha in self.ext:
                continue
            check_sha256(sha)  # both name a file in staging: checked once, here
            self.ext[sha] = check_ext(ext)
            if sha[:2] not in self._folders:  # (a mkdir per file took 3 s of 50,000)
                (self.staging / "photos" / sha[:2]).mkdir(parents=True, exist_ok=True)
                self._folders.add(sha[:2])
            self._pending.append(sha)
        while len(self._pending) >= FILES_PER_REQUEST:
            self._send(self._pending[:FILES_PER_REQUEST])
            del self._pending[:FILES_PER_REQUEST]

    def _send(self, batch: list[str]) -> None:
        def fetch() -> tuple[list[str], set[str]]:
            self.progress.check_cancelled()
            return batch, self.client.get_blobs(batch, self.temp_of)

        self._futures.append(self._pool.submit(fetch))

    def finish(self, *, required: set[str]) -> dict[str, Path]:
        """Wait for every file; a file the hub lacks is an error if it is `required` (a live
        photo), else skipped. Returns sha -> staged file."""
        if self._pending:
            self._send(self._pending)
            self._pending = []
        total = len(self.ext)
        done = 0
        try:
            for future in as_completed(self._futures):
                batch, got = future.result()
                for sha in batch:
                    if sha in got:
                        self.staged[sha] = self.temp_of(sha)
                    else:
                        self.lacking.add(sha)
                done += len(batch)
                self.progress.step(done, total, _("Receiving photos from the hub…"))
        finally:
            self.close()
        missing = sorted(self.lacking & required)
        if missing:
            raise HubClientError(
                _(
                    "The hub lacks the file of a photo it lists ({sha}); nothing "
                    "was changed. Tell the union office."
                ).format(sha=missing[0][:12])
            )
        return self.staged

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._futures = []


def _download(
    client: HubClient,
    wanted: dict[str, str],
    staging: Path,
    progress: Progress,
    *,
    required: set[str],
) -> dict[str, Path]:
    """Download photo files (sha -> ext) and wait for them (see `_Downloads`)."""
    downloads = _Downloads(client, staging, progress)
    try:
        downloads.add(wanted)
        return downloads.finish(required=required)
    finally:
        downloads.close()


def _photos_of_page(page: dict[str, Any]) -> dict[str, str]:
    """sha -> ext of the photo files a page of changes names (checked again, properly, when
    the pages are read: this only starts their download early)."""
    found: dict[str, str] = {}
    for item in page["entries"]:
        record = item.get("record") if isinstance(item, dict) else None
        if isinstance(record, dict) and item.get("kind") == "photo":
            sha, ext = str(record.get("sha256", "")), str(record.get("ext", ""))
            if SHA_RE.match(sha) and is_store_ext(ext):
                found[sha] = ext
    return found


def _pull_and_merge(
    library: Library,
    client: HubClient,
    link: HubLink,
    report: SyncReport,
    progress: Progress,
    backup: bool,
    page_size: int,
    start_over: str = "",
) -> None:
    """Pull every change since the cursor and merge it in one transaction. `start_over`
    (RESTORED / PURGED, or what the hub answers while pulling) pulls from 0 instead and
    forgets what the hub was believed to hold (see `_start_over`)."""
    staging = library.tmp_dir / f"hub-pull-{uuid.uuid4().hex}"  # made when first needed
    placed: list[Path] = []
    made_folders: list[Path] = []
    made_backup: Path | None = None
    downloads = _Downloads(client, staging, progress)
    try:
        # Which files the library has, to start downloads early (a listing per folder, not a
        # stat per file). The merge asks again under the write lock: a pack import may have
        # placed files meanwhile, and a file placed by this sync is taken back if it fails.
        on_disk = StoredFiles(library.photos_dir)

        def start_photos(page: dict[str, Any]) -> None:
            downloads.add(
                {
                    sha: ext
                    for sha, ext in _photos_of_page(page).items()
                    if not on_disk.has(sha, ext)
                }
            )

        pulled = _fetch_pages(
            client,
            0 if start_over else link.cursor,
            "" if start_over else link.hub_epoch,
            progress,
            page_size,
            on_page=start_photos,
        )
        start_over = start_over or pulled.start_over
        entries = pulled.entries
        report.pulled_entries = sum(len(v) for v in entries.values())
        ext_of: dict[str, str] = {}
        required: set[str] = set()
        for entry in entries["photo"]:
            if entry.data is None:
                continue
            sha, ext = entry.data["sha256"], entry.data["ext"]
            ext_of[sha] = ext
            if not entry.data["deleted_at"]:
                required.add(sha)
        wanted = {sha: ext for sha, ext in ext_of.items() if not on_disk.has(sha, ext)}
        downloads.add(wanted)  # (already queued from the pages; anything else now)
        staged = {
            sha: path
            for sha, path in downloads.finish(required=required & set(wanted)).items()
            if sha in wanted
        }
        if staged:
            packs.flush_to_disk(
                library.root, files=staged.values(), folders={p.parent for p in staged.values()}
            )
        progress.step(0, 1, _("Merging records…"))
        with library.transaction() as s:
            _take_write_lock(s)
            row = _link(s)
            if (
                row.hub_id != link.hub_id
                or row.cursor != link.cursor
                or row.hub_epoch != link.hub_epoch
            ):
                # Another sync of this library finished meanwhile: its merge stands; this
                # one's pages may be older, so they are dropped and the next sync pulls anew.
                raise UserError(_("Another sync of this library just finished; sync again."))
            if start_over:
                _start_over(s, start_over, entries, report)
            batch = EntryBatch(entries, source_id=link.hub_id, source_name=link.hub_name)
            plan = merge.plan_merge(s, batch) if any(entries.values()) else None
            if plan is not None:
                in_store = StoredFiles(library.photos_dir)  # (under the write lock)
                needed = packs.photos_to_write(library, plan, in_store)
                late = {sha: ext_of[sha] for sha in needed if sha not in staged}
                revived = {
                    sha: ext
                    for sha, ext in _revived_without_file(s, plan, in_store).items()
                    if sha not in late and sha not in staged
                }
                if late or revived:
                    more = _download(
                        client, {**late, **revived}, staging, progress, required=set(late)
                    )
                    packs.flush_to_disk(
                        library.root,
                        files=more.values(),
                        folders={p.parent for p in more.values()},
                    )
                    staged.update(more)
                    for sha, ext in revived.items():
                        if sha in more:  # (a file the hub lacks: the photo comes back as before)
                            ext_of[sha] = ext
                            needed.append(sha)
                if plan.changes and backup:
                    progress.step(0, 1, _("Backing up the library…"))
                    made_backup = automatic_backup(library, "sync", prune=False)
                    report.backup = str(made_backup)
                packs.place_photos(library, needed, ext_of, staged, placed, made_folders)
                if placed:
                    packs.flush_to_disk(
                        library.root,
                        files=(),
                        folders={p.parent for p in placed} | {library.photos_dir},
                    )
                try:
                    merge.apply_plan(s, plan, progress)
                    s.flush()
                except IntegrityError as exc:
                    raise HubClientError(
                        _(
                            "The hub's records do not fit this library ({reason}); nothing was "
                            "changed."
                        ).format(reason=str(exc.orig).splitlines()[0])
                    ) from None
                report.photos_downloaded = len(needed)
                _count_plan(plan, report)
                _set_known(
                    s,
                    (
                        (e.kind, e.id, e.tag)
                        for kind_entries in entries.values()
                        for e in kind_entries
                    ),
                )
            row.cursor = pulled.cursor
            row.hub_epoch = pulled.epoch or row.hub_epoch
    except BaseException as exc:
        packs.take_back(placed, made_folders)
        if made_backup is not None:
            made_backup.unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, UserError):
            translated = user_error_for(exc, library.root)
            if translated is not None:
                raise translated from None
        raise
    finally:
        downloads.close()  # no download may still write into staging
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    if made_backup is not None:
        prune_automatic_backups(library)


def _revived_without_file(
    s: Session, plan: merge.MergePlan, on_disk: StoredFiles
) -> dict[str, str]:
    """sha -> ext of the photos this merge brings back whose file the library lacks, and whose
    entry the pull did not carry.

    A photo cleaned up here (deleted, its file removed) comes back when a pulled record shows
    it (`merge._photos_to_revive`). A pack carries the photo and its file with the record; a
    pull carries only what changed on the hub, so the file is fetched from the hub, which
    holds it (it holds the photo, alive, since the record showing it was published)."""
    ids = [d.id for d in plan.decisions if d.kind == "photo" and d.revive and d.data is None]
    found: dict[str, str] = {}
    for part in versions.chunks(ids):
        for sha, ext in s.execute(select(Photo.sha256, Photo.ext).where(Photo.id.in_(part))):
            if not on_disk.has(sha, ext):
                found[check_sha256(sha)] = check_ext(ext)
    return found


def _epoch_changed(link: HubLink, hello: dict[str, Any]) -> str:
    """RESTORED if the hub's history is not the one this laptop last synced with (the hub
    took a new epoch: it was restored from a backup), else "". A laptop that never synced
    under an epoch adopts the hub's at this sync (the hub's counter check still notices a
    rewind for it)."""
    epoch = str(hello.get("epoch", "") or "")
    return RESTORED if link.hub_epoch and epoch and epoch != link.hub_epoch else ""


def _start_over(
    s: Session, reason: str, entries: dict[str, list[PackEntry]], report: SyncReport
) -> None:
    """Forget what the hub was believed to hold; the whole pull is merged next (a no-op for
    what this library has), `hub_known` is rebuilt from it, and every record the hub lacks
    or holds in an older version waits to be published again: nothing is lost, and nothing
    is duplicated (records are unique by id; a version the hub has comes back "unchanged").

    After a purge (not a restore), a record the hub held in exactly this library's version
    and holds no more was deleted on the hub and its deletion purged: it is deleted here too,
    as the pulled deletion would have done (same revision, same tombstone tag as the hub's
    if nobody changed it in between), instead of being published back to life. A record
    changed here since is published: the change is kept."""
    old_known = {
        (str(k), str(r)): str(tag)
        for k, r, tag in s.execute(select(HubKnown.kind, HubKnown.record_id, HubKnown.tag))
    }
    s.execute(delete(HubKnown))
    report.started_over = reason
    report.started_over_message = (
        _(
            "The hub was restored from an earlier backup; this laptop synced everything again "
            "and sends back what the hub had lost."
        )
        if reason == RESTORED
        else _(
            "The hub had cleared old deletions; this laptop synced everything again from the "
            "beginning."
        )
    )
    if reason != PURGED:
        return
    pulled = {(e.kind, e.id) for kind_entries in entries.values() for e in kind_entries}
    gone = sorted(key for key in old_known if key not in pulled)
    kept: list[tuple[str, str, str]] = []
    for kind in KIND_ORDER:
        ids = [rid for k, rid in gone if k == kind]
        if not ids:
            continue
        objs = merge.load_records(s, kind, ids)
        ancestry = versions.ancestry(s, kind, ids)
        for rid, obj in objs.items():
            if obj.version_tag != old_known[(kind, rid)]:
                continue  # changed here since: published again, the change is kept
            if obj.deleted_at is not None:
                kept.append((kind, rid, obj.version_tag))  # deleted on both sides already
                continue
            revision = obj.revision + 1
            wire = tombstone_of(
                kind,
                rid,
                revision,
                utcnow(),
                versions.tombstone_tag(kind, rid, revision),
                ancestry.get(rid, set()) | {obj.version_tag},
            )
            entries[kind].append(parse_wire_entry(wire, 0, "changes"))
    _set_known(s, kept)


def _count_plan(plan: merge.MergePlan, report: SyncReport) -> None:
    for d in plan.decisions:
        if d.action == merge.ADD:
            report.added += 1
        elif d.action == merge.UPDATE:
            report.updated += 1
        elif d.action == merge.DELETE:
            report.deleted += 1
        elif d.action == merge.CONFLICT:
            report.conflicts.append(RecordNote(d.kind, d.id, d.label, d.reason))
    report.notes.extend(plan.notes)


# --- publish --------------------------------------------------------------------------------


def _entries_to_publish(s: Session, waiting: list[_Waiting]) -> list[dict[str, Any]]:
    """The wire entries of the waiting records, in dependency order. A deleted record goes as
    a tombstone unless a record sent in full refers to it (as in packs)."""
    by_kind: dict[str, list[_Waiting]] = {kind: [] for kind in KIND_ORDER}
    for w in waiting:
        by_kind[w.kind].append(w)
    loaded: dict[tuple[str, str], Any] = {}
    anc: dict[tuple[str, str], set[str]] = {}
    referenced: set[tuple[str, str]] = set()
    for kind in KIND_ORDER:
        ids = [w.id for w in by_kind[kind]]
        if not ids:
            continue
        objs = merge.load_records(s, kind, ids)
        ancestry = versions.ancestry(s, kind, ids)
        for rid, obj in objs.items():
            loaded[(kind, rid)] = obj
            anc[(kind, rid)] = ancestry.get(rid, set())
            if obj.deleted_at is None:
                referenced.update(references(kind, record_to_dict(kind, obj)))
    out: list[dict[str, Any]] = []
    for kind in KIND_ORDER:
        for w in by_kind[kind]:
            obj = loaded.get((kind, w.id))
            if obj is None:
                continue
            known_tags = anc[(kind, w.id)] - {obj.version_tag}
            if obj.deleted_at is None or (kind, w.id) in referenced:
                entry = entry_of(kind, obj, obj.version_tag, known_tags, include_contacts=False)
            else:
                # Also when the hub never had it: the hub remembers the deletion, so an old
                # pack with the record cannot bring it back on a laptop that syncs.
                entry = tombstone_of(
                    kind, obj.id, obj.revision, obj.deleted_at, obj.version_tag, known_tags
                )
            out.append(entry)
    return out


def _upload_photos(
    library: Library,
    client: HubClient,
    entries: list[dict[str, Any]],
    report: SyncReport,
    progress: Progress,
) -> None:
    """Photo files go up before the records that use them (the hub refuses a photo record
    whose file it lacks)."""
    files: dict[str, Path] = {}
    for entry in entries:
        record = entry.get("record")
        if entry["kind"] == "photo" and isinstance(record, dict):
            path = photo_path(library.photos_dir, record["sha256"], record["ext"])
            if path.is_file():
                files[record["sha256"]] = path
    missing: list[str] = []
    for part in iter_chunks(sorted(files), BLOB_QUERY):
        progress.check_cancelled()
        missing.extend(sha for sha in client.blobs_missing(part) if sha in files)
    for done, sha in enumerate(missing, start=1):
        progress.check_cancelled()
        client.put_blob(sha, files[sha])
        report.photos_uploaded += 1
        progress.step(done, len(missing), _("Sending photos to the hub…"))


def _publish(
    library: Library,
    client: HubClient,
    link: HubLink,
    report: SyncReport,
    progress: Progress,
    batch_size: int,
) -> None:
    with library.session() as s:
        entries = _entries_to_publish(s, _waiting(s))
    if not entries:
        return
    try:
        _publish_entries(library, client, link, entries, report, progress, batch_size)
    except HubClientError as exc:
        if exc.status != 403:
            raise
        # The account may only read (a reader): refused as a whole, nothing applied. The
        # pull before it is done and kept, so this sync is not a failure: the changes made
        # here stay waiting, and the report says why they were not sent.
        report.notes.append(
            _("{reason} The changes made on this computer stay here; none was sent.").format(
                reason=str(exc).rstrip()
            )
        )


def _publish_entries(
    library: Library,
    client: HubClient,
    link: HubLink,
    entries: list[dict[str, Any]],
    report: SyncReport,
    progress: Progress,
    batch_size: int,
) -> None:
    _upload_photos(library, client, entries, report, progress)
    total = len(entries)
    sent = 0
    for batch in iter_chunks(entries, batch_size):
        progress.check_cancelled()
        payload = {"publish_id": str(uuid.uuid4()), "entries": batch}
        # Saved before it is sent: if the answer is lost, the next sync re-sends this very
        # publish (same id) and the hub answers with what it did, applying nothing twice.
        with library.transaction() as s:
            s.add(HubOutbox(publish_id=payload["publish_id"], payload=payload))
        progress.step(sent, total, _("Sending changes to the hub…"))
        answer = _send(library, client, payload)
        if answer is not None:
            _apply_answer(library, link, payload, answer, report)
        sent += len(batch)
        progress.step(sent, total, _("Sending changes to the hub…"))


def _send_outbox(
    library: Library, client: HubClient, link: HubLink, report: SyncReport, progress: Progress
) -> None:
    """Finish publishes an earlier sync saved but did not see answered."""
    with library.session() as s:
        pending = [
            dict(p) for p in s.scalars(select(HubOutbox.payload).order_by(HubOutbox.created_at))
        ]
    for payload in pending:
        progress.check_cancelled()
        progress.step(0, 1, _("Finishing the last sync…"))
        answer = _send(library, client, payload)
        if answer is not None:
            _apply_answer(library, link, payload, answer, report)


def _send(library: Library, client: HubClient, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Send a saved publish. A publish the hub refused as a whole (4xx: nothing was applied)
    is dropped from the outbox, its records still wait; one whose fate is unknown (no answer,
    the hub busy or failing, this laptop signed out) stays for the next sync. A publish id
    the hub knows from another device (this laptop signed in again since) is dropped without
    an error: its records go again under a new id. None: dropped."""
    try:
        return client.publish(payload)
    except HubClientError as exc:
        fate_known = 400 <= exc.status < 500 and exc.status not in (401, 408, 429)
        if fate_known:
            with library.transaction() as s:
                s.execute(delete(HubOutbox).where(HubOutbox.publish_id == payload["publish_id"]))
            if exc.status == 409:
                return None
        raise


def _entry_key(entry: dict[str, Any]) -> tuple[str, str]:
    record = entry.get("record")
    rid = record.get("id") if isinstance(record, dict) else entry.get("id")
    return str(entry.get("kind")), str(rid)


def _apply_answer(
    library: Library,
    link: HubLink,
    payload: dict[str, Any],
    answer: dict[str, Any],
    report: SyncReport,
) -> None:
    """One transaction: what the hub now holds, the hub's side of each conflict merged (the
    laptop then shows the conflict), and the saved publish removed."""
    sent: dict[tuple[str, str], dict[str, Any]] = {_entry_key(e): e for e in payload["entries"]}
    known: list[tuple[str, str, str]] = []
    current: list[PackEntry] = []
    labels: dict[tuple[str, str], str] = {}
    for result in answer["results"]:
        if not isinstance(result, dict):
            continue
        key = (str(result.get("kind", "")), str(result.get("id", "")))
        entry = sent.get(key)
        if entry is None:
            continue
        outcome = result.get("outcome")
        label = _label(entry)
        labels[key] = label
        if outcome == "applied":
            known.append((*key, str(entry["tag"])))
            report.published += 1
        elif outcome == "unchanged":
            known.append((*key, str(entry["tag"])))
            report.already_there += 1
        elif outcome == "conflict":
            try:
                hub_entry = parse_wire_entry(result.get("current"), 0, "current")
            except ImportRejectedError:
                hub_entry = None
            if hub_entry is not None and (hub_entry.kind, hub_entry.id) == key:
                current.append(hub_entry)
                known.append((*key, hub_entry.tag))
            report.conflicts.append(
                RecordNote(key[0], key[1], label, str(result.get("reason", "")), "conflict")
            )
        else:
            report.refused.append(
                RecordNote(
                    key[0],
                    key[1],
                    label,
                    str(result.get("reason", "")) or _("Refused by the hub."),
                    str(result.get("code", "")),
                    tag=str(entry.get("tag", "")),
                )
            )
    with library.transaction() as s:
        _take_write_lock(s)
        if current:
            _merge_hub_versions(library, s, link, current)
        _set_known(s, known)
        s.execute(delete(HubOutbox).where(HubOutbox.publish_id == payload["publish_id"]))


def _merge_hub_versions(
    library: Library, s: Session, link: HubLink, found: list[PackEntry]
) -> None:
    """Merge the hub's current versions of records that came back as conflicts: normally the
    laptop now holds an open conflict. A version this library cannot take yet (it refers to
    records the next pull brings) waits for that pull."""
    entries: dict[str, list[PackEntry]] = {kind: [] for kind in KIND_ORDER}
    for entry in found:
        entries[entry.kind].append(entry)
    batch = EntryBatch(entries, source_id=link.hub_id, source_name=link.hub_name)
    plan = merge.plan_merge(s, batch)
    if packs.photos_to_write(library, plan):
        # A photo file would be needed: the next pull downloads it properly.
        plan.decisions = [d for d in plan.decisions if d.kind != "photo" or d.action == "conflict"]
    try:
        with s.begin_nested():
            merge.apply_plan(s, plan)
    except IntegrityError:
        pass  # the next pull brings the records it refers to, and this version with them


def _label(entry: dict[str, Any]) -> str:
    record = entry.get("record")
    if isinstance(record, dict):
        return merge.record_label(str(entry["kind"]), record) or str(record.get("id", ""))[:8]
    return str(entry.get("id", ""))[:8]


__all__ = [
    "HubStatus",
    "HubUnreachableError",
    "LinkInfo",
    "NotConnectedError",
    "Probe",
    "SyncReport",
    "connect",
    "disconnect",
    "probe",
    "status",
    "sync",
]
