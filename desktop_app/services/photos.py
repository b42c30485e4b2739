"""The photo pipeline: import, thumbnails and previews, captions and rotation, session photo
lists, clean-up and export. No Qt: the CLI and the GUI both call these functions.

Import, so that a crash or a power cut never loses a photo reported imported and never leaves
a record pointing at a missing file:

1. a worker process copies the source into the library's `tmp/` folder, hashing each chunk
   it writes (so the hash is the copy's); it then decodes the copy (bounded pixels, JPEG draft
   mode), reads EXIF and writes the thumbnail and preview into the cache (rebuildable, so not
   fsynced); a refused file leaves nothing behind;
2. the worker gives the copy its store name `photos/ab/<sha256>.<ext>` (never over a file
   another worker placed meanwhile), not durable yet;
3. the calling thread takes a group of finished files, fsyncs each new store file and its
   folder (and drops the original's pages from the OS cache), only then commits the group's
   records (and links to the session, guide step or member) in one transaction, fsyncs the
   database's write-ahead log, and reports the files.

Groups: at least `GROUP_MIN` files in order (fewer at the end or when the next one is slow to
come), plus those already finished, at most `GROUP_COMMIT`. A file is reported only after its
group is durable, so cancelling keeps whole groups and a crash loses only what was not
reported yet. A crash before 3 leaves store files that no record uses, possibly cut short by
a power cut; `jiangxin check --repair` removes them, and a later import of the same photo
adopts one only if its bytes hash right. The owner's revision goes up once per import, with
the version before the import kept in history.

Two cores are used through a process pool (Pillow decodes with the GIL held for some
formats, and processes also isolate a decoder crash on a hostile file to that one file).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from desktop_app.core.errors import LibraryError, UserError, ValidationError
from desktop_app.core.fsutil import check_destination, fsync_dir, fsync_file
from desktop_app.core.i18n import _
from desktop_app.core.progress import Cancelled, Progress
from desktop_app.core.writefail import kind_of, write_failure
from desktop_app.services import imaging
from desktop_app.services.records import get_record
from desktop_app.storage import versions
from desktop_app.storage.kinds import KINDS
from desktop_app.storage.library import Library
from desktop_app.storage.models import (
    FieldSession,
    Guide,
    GuideStep,
    GuideStepPhoto,
    Member,
    MergeConflict,
    Photo,
    SessionPhoto,
    new_id,
    utcnow,
)
from desktop_app.storage.photostore import check_sha256, photo_path

if TYPE_CHECKING:
    from PIL import Image

IMPORTED = "imported"
DUPLICATE = "duplicate"
REJECTED = "rejected"
ROTATIONS = (0, 90, 180, 270)
EXPORT_QUALITY = 90


# --- public data -------------------------------------------------------------------------------


@dataclass
class ImportTarget:
    """Where imported photos go; exactly one of these is set (or none: just into the store)."""

    session_id: str | None = None
    guide_id: str | None = None
    step_index: int | None = None  # 0-based step of guide_id; None = first step
    member_id: str | None = None  # sets the member's portrait


@dataclass
class ImportResult:
    path: str
    status: str  # "imported" | "duplicate" | "rejected"
    reason: str  # translated; empty for a plain import
    photo_id: str | None


class ImportCancelled(Cancelled):
    """The user cancelled; `results` are the files finished before that (all consistent)."""

    def __init__(self, results: list[ImportResult]) -> None:
        super().__init__()
        self.results = results


@dataclass
class PhotoInfo:
    id: str
    sha256: str
    ext: str
    caption: str
    taken_at: datetime | None
    width: int  # upright, before the user's rotation
    height: int
    original_name: str
    camera: str
    gps_lat: float | None
    gps_lon: float | None
    orientation: int
    rotation: int
    byte_size: int
    revision: int = 1
    path: Path = field(default_factory=Path)

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, the user's rotation included."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


def _info(library: Library, p: Photo) -> PhotoInfo:
    return PhotoInfo(
        id=p.id,
        sha256=p.sha256,
        ext=p.ext,
        caption=p.caption,
        taken_at=p.taken_at,
        width=p.width,
        height=p.height,
        original_name=p.original_name,
        camera=p.camera,
        gps_lat=p.gps_lat,
        gps_lon=p.gps_lon,
        orientation=p.orientation,
        rotation=p.rotation,
        byte_size=p.byte_size,
        revision=p.revision,
        path=photo_path(library.photos_dir, p.sha256, p.ext),
    )


# --- the worker pool ---------------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def worker_count() -> int:
    """One worker per core (the target laptops have two), at most four."""
    return max(1, min(4, os.cpu_count() or 2))


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # forkserver: safe to start from a thread of a Qt app (plain fork is not).
            method = (
                "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            )
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(["desktop_app.services.imaging"])
            _pool = ProcessPoolExecutor(
                max_workers=worker_count(),
                mp_context=ctx,
                initializer=imaging.worker_init,
                initargs=(os.getpid(),),
            )
        return _pool


def _drop_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown_pool() -> None:
    """Stop the worker processes (they are also stopped at exit)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_in_pool(fn: Callable[..., Any], *args: Any) -> tuple[ProcessPoolExecutor, Future[Any]]:
    pool = _get_pool()
    try:
        return pool, pool.submit(fn, *args)
    except (BrokenProcessPool, RuntimeError):
        _drop_pool(pool)
        pool = _get_pool()
        return pool, pool.submit(fn, *args)


# --- finding files -----------------------------------------------------------------------------


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given, and the files in folders (recursively, sorted, hidden ones skipped)."""
    files: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
            candidates = sorted(found, key=lambda p: (str(p.parent), p.name.lower()))
        else:
            candidates = [path]
        for candidate in candidates:
            key = candidate.absolute()
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files


# --- targets -----------------------------------------------------------------------------------


class _Linker:
    """Links each imported photo to the target; bumps the owner's revision once per import."""

    def __init__(self, library: Library, target: ImportTarget | None) -> None:
        self.target = target or ImportTarget()
        self.bumped = False  # committed: the owner's pre-import version is in history
        self.bumped_now = False  # in the transaction under way
        t = self.target
        chosen = [x for x in (t.session_id, t.guide_id, t.member_id) if x]
        if len(chosen) > 1:
            raise UserError(_("Import into one session, guide step or member at a time."))
        if t.step_index is not None and not t.guide_id:
            raise UserError(_("A step number needs a guide."))
        # Cameras keep local time without a zone: a photo taken for a session was taken where
        # the session was, so its time is read in the session's zone, not the laptop's.
        self.place_zone: str | None = None
        with library.session() as s:
            if t.session_id:
                held: FieldSession = get_record(s, "session", t.session_id)
                t.session_id = held.id
                self.place_zone = held.time_zone
            elif t.member_id:
                t.member_id = get_record(s, "member", t.member_id).id
            elif t.guide_id:
                guide: Guide = get_record(s, "guide", t.guide_id)
                t.guide_id = guide.id
                index = t.step_index or 0
                if index < 0 or (guide.steps and index >= len(guide.steps)):
                    raise UserError(
                        _("The guide has {n} steps; there is no step {step}.").format(
                            n=len(guide.steps), step=index + 1
                        )
                    )
                if not guide.steps and index != 0:
                    raise UserError(_("The guide has no steps yet."))

    def check_count(self, count: int) -> None:
        if self.target.member_id and count > 1:
            raise UserError(_("A member has one portrait; choose one photo."))

    def _touch(self, s: Session, kind: str, obj: Any) -> None:
        # One revision for the whole import; each group commit stamps the owner again
        # (`_stamp`), and the search index ignores such tag-only updates (schema 0005), so
        # the owner's document is not re-indexed on every group commit (measured: that cost
        # a third of the committing thread's time, competing with the decoding workers).
        if not (self.bumped or self.bumped_now):
            versions.begin_version(s, kind, obj)
            self.bumped_now = True

    def _stamp(self, s: Session, kind: str, obj: Any, *relations: str) -> None:
        if relations:
            s.flush()
            s.expire(obj, list(relations))  # link rows inserted in bulk: reload the list
        versions.restamp(s, kind, obj)

    def committed(self, ok: bool) -> None:
        self.bumped = self.bumped or (ok and self.bumped_now)
        self.bumped_now = False

    def link(self, s: Session, photo_ids: Sequence[str]) -> None:
        """Link these photos (in order) to the target, leaving out those linked already."""
        t = self.target
        ids = list(dict.fromkeys(photo_ids))
        if not ids:
            return
        if t.session_id:
            # Queries for this group's link rows, not the session's whole photo list.
            linked = set(
                s.scalars(
                    select(SessionPhoto.photo_id).where(
                        SessionPhoto.session_id == t.session_id, SessionPhoto.photo_id.in_(ids)
                    )
                )
            )
            new = [pid for pid in ids if pid not in linked]
            if not new:
                return
            self._touch(s, "session", get_record(s, "session", t.session_id))
            last = s.scalar(
                select(func.max(SessionPhoto.position)).where(
                    SessionPhoto.session_id == t.session_id
                )
            )
            start = 0 if last is None else last + 1
            s.execute(
                insert(SessionPhoto),
                [
                    {"session_id": t.session_id, "photo_id": pid, "position": start + i}
                    for i, pid in enumerate(new)
                ],
            )
            fs = get_record(s, "session", t.session_id)
            self._stamp(s, "session", fs, "photos")
        elif t.guide_id:
            guide: Guide = get_record(s, "guide", t.guide_id)
            if not guide.steps:
                self._touch(s, "guide", guide)
                guide.steps.append(GuideStep(text="", position=0))
                s.flush()
            step = guide.steps[t.step_index or 0]
            have = {p.photo_id for p in step.photos}
            new = [pid for pid in ids if pid not in have]
            if not new:
                return
            self._touch(s, "guide", guide)
            for pid in new:
                step.photos.append(GuideStepPhoto(photo_id=pid, position=len(step.photos)))
            self._stamp(s, "guide", guide)
        elif t.member_id:
            member: Member = get_record(s, "member", t.member_id)
            photo_id = ids[-1]
            if member.portrait_photo_id == photo_id:
                return
            self._touch(s, "member", member)
            member.portrait_photo_id = photo_id
            self._stamp(s, "member", member)


# --- import ------------------------------------------------------------------------------------


def _fsync_wal(library: Library) -> None:
    """Make the last commit survive a power cut (the library runs WAL with synchronous=NORMAL)."""
    wal = library.db_path.with_name(library.db_path.name + "-wal")
    with contextlib.suppress(FileNotFoundError):
        fsync_file(wal)


def _flush_files(files: Sequence[Path]) -> None:
    """Make store files and their renames durable, then let go of their cached pages."""
    for path in files:
        # Nothing reads an original soon after its import (the previews are cached).
        fsync_file(path, drop_cache=True)
    for folder in dict.fromkeys(path.parent for path in files):
        fsync_dir(folder)


def _translated(reason: str, params: dict[str, Any]) -> str:
    return _(reason).format(**params) if params else _(reason)


# Files are committed in groups: at least GROUP_MIN (unless the next one is more than
# GROUP_WAIT seconds later than the first), plus those already finished, at most GROUP_COMMIT.
# Each group costs a transaction, a search-index update and two disk flushes on the thread
# that shares the cores with the workers; four files cost the user ~30 ms of latency.
GROUP_COMMIT = 16
GROUP_MIN = 4
GROUP_WAIT = 0.2


class _Importer:
    def __init__(self, library: Library, linker: _Linker) -> None:
        self.library = library
        self.linker = linker
        try:
            library.tmp_dir.mkdir(parents=True, exist_ok=True)
            library.thumbs_dir.mkdir(parents=True, exist_ok=True)
            library.photos_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_failure(exc, library.root) from None

    def submit(self, path: Path) -> tuple[ProcessPoolExecutor, Future[Any]]:
        return _run_in_pool(
            imaging.prepare_import,
            str(path),
            str(self.library.tmp_dir),
            str(self.library.thumbs_dir),
            str(self.library.photos_dir),
            True,
        )

    def result(self, path: Path, pool: ProcessPoolExecutor, fut: Future[Any]) -> imaging.Prepared:
        """The worker's result; a crashed worker gets its file one retry on its own."""
        try:
            return self._result(path, pool, fut)
        except OSError as exc:  # the library's disk, not the photo: stop the import
            raise write_failure(exc, self.library.root) from None

    def _result(self, path: Path, pool: ProcessPoolExecutor, fut: Future[Any]) -> imaging.Prepared:
        try:
            prepared: imaging.Prepared = fut.result()
            return prepared
        except BrokenProcessPool:
            _drop_pool(pool)
        pool, fut = self.submit(path)
        try:
            prepared = fut.result()
            return prepared
        except BrokenProcessPool:
            _drop_pool(pool)
            return imaging.Prepared(str(path), False, reason=imaging.DECODER_CRASH)

    def store(self, batch: list[tuple[Path, imaging.Prepared]]) -> list[ImportResult]:
        """Commit a group of prepared files in one transaction; reject the bad ones."""
        results: list[ImportResult] = []
        ok = False
        try:
            with self.library.transaction() as s:
                group = _Group(s, [p.sha256 for _path, p in batch if p.ok])
                for path, prepared in batch:
                    results.append(self._store(s, group, path, prepared))
                # Plain inserts, many rows at once: the ORM's unit of work cost more than the
                # rest of this thread's work, which shares the cores with the workers.
                if group.rows:
                    s.execute(insert(Photo), group.rows)
                self.linker.link(s, group.linked)
                # The workers moved their copies into the store without fsync: make them
                # durable now, before the commit that lets records refer to them.
                try:
                    _flush_files(list(dict.fromkeys(group.placed)))
                except OSError as exc:
                    raise write_failure(exc, self.library.root) from None
            ok = True
        except (OSError, DBAPIError) as exc:
            # The commit itself (a full disk, a read-only database): the group is not kept.
            if not kind_of(exc):
                raise
            raise write_failure(exc, self.library.root) from None
        finally:
            self.linker.committed(ok)
            for _path, prepared in batch:
                if ok:
                    _discard(prepared)
                else:
                    _abandon(self.library, prepared)
        _fsync_wal(self.library)
        return results

    def _store(
        self, s: Session, group: _Group, path: Path, prepared: imaging.Prepared
    ) -> ImportResult:
        if not prepared.ok:
            reason = _translated(prepared.reason, prepared.params)
            return ImportResult(str(path), REJECTED, reason, None)
        library = self.library
        sha = prepared.sha256
        known = group.known.get(sha)
        if known is not None:
            photo_id, ext, deleted = known
            final = photo_path(library.photos_dir, sha, ext)
            if prepared.stored_path and Path(prepared.stored_path) != final:
                Path(prepared.stored_path).unlink(missing_ok=True)  # same bytes, other name
            elif prepared.stored_path:
                group.placed.append(final)  # a worker may have just put it back
            lost = not final.is_file() or final.stat().st_size != prepared.byte_size
            if lost and prepared.temp_path:
                imaging.place_file(Path(prepared.temp_path), final)  # heals a lost file
            if deleted:
                existing: Photo = get_record(s, "photo", photo_id, include_deleted=True)
                versions.begin_version(s, "photo", existing, reason="restore")
                existing.deleted_at = None
                versions.stamp(s, "photo", existing)
                group.known[sha] = (photo_id, ext, False)
            group.linked.append(photo_id)
            return ImportResult(
                str(path), DUPLICATE, _("Already in the library; linked."), photo_id
            )
        facts = prepared.facts
        if facts is None:  # the worker skipped decoding because a cache was left over
            temp = Path(prepared.temp_path)
            try:
                facts = imaging.analyse(temp, library.thumbs_dir, sha)
            except imaging.BadImage as bad:
                return ImportResult(str(path), REJECTED, _translated(bad.reason, bad.params), None)
            final = photo_path(library.photos_dir, sha, facts.ext)
            prepared.created = not final.exists()
            imaging.place_file(temp, final)
            prepared.stored_path, prepared.temp_path = str(final), ""
        else:
            group.placed.append(Path(prepared.stored_path))
        now = utcnow()
        photo_id = new_id()
        group.rows.append(
            {
                "id": photo_id,
                "created_at": now,
                "updated_at": now,
                "revision": 1,
                "deleted_at": None,
                "sha256": sha,
                "ext": facts.ext,
                "original_name": path.name,
                "byte_size": prepared.byte_size,
                "width": facts.width,
                "height": facts.height,
                "taken_at": imaging.taken_at(facts, self.linker.place_zone),
                "camera": facts.camera,
                "gps_lat": facts.gps_lat,
                "gps_lon": facts.gps_lon,
                "orientation": facts.orientation,
                "rotation": 0,
                "caption": "",
            }
        )
        group.rows[-1]["version_tag"] = versions.tag_of_new_photo(group.rows[-1])
        group.known[sha] = (photo_id, facts.ext, False)
        group.linked.append(photo_id)
        return ImportResult(str(path), IMPORTED, "", photo_id)


class _Group:
    """What one group commit gathers before it writes."""

    def __init__(self, s: Session, shas: list[str]) -> None:
        # sha256 -> (photo id, ext, deleted): the records already there, and this group's.
        self.known: dict[str, tuple[str, str, bool]] = {}
        if shas:
            query = select(Photo.sha256, Photo.id, Photo.ext, Photo.deleted_at).where(
                Photo.sha256.in_(set(shas))
            )
            for sha, photo_id, ext, deleted_at in s.execute(query):
                self.known[sha] = (photo_id, ext, deleted_at is not None)
        self.rows: list[dict[str, Any]] = []  # new photo rows
        self.linked: list[str] = []  # photo ids to link to the target, in order
        self.placed: list[Path] = []  # store files the workers placed without fsync


def import_photos(
    library: Library,
    paths: Sequence[Path],
    target: ImportTarget | None = None,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import files and folders (recursively); one result per file, in the order found.

    Bad files are rejected with a translated reason and do not stop the rest. Raises
    `ImportCancelled` (with the results so far) when `progress` is cancelled; everything
    reported before that is imported completely, nothing else is.
    """
    if library.read_only:
        raise LibraryError(_("The library is open read-only; nothing can be changed."))
    progress = progress or Progress()
    linker = _Linker(library, target)
    files = expand_paths(paths)
    linker.check_count(len(files))
    if not files:
        return []
    importer = _Importer(library, linker)
    results: list[ImportResult] = []
    total = len(files)
    progress.step(0, total, _("Importing photos…"))
    queue = deque(files)
    window = worker_count() * 3
    pending: deque[tuple[Path, ProcessPoolExecutor, Future[Any]]] = deque()

    def refill() -> None:
        while queue and len(pending) < window:
            path = queue.popleft()
            pool, fut = importer.submit(path)
            pending.append((path, pool, fut))

    try:
        refill()
        while pending:
            batch = _next_group(pending, importer, refill)
            if progress.cancelled:
                for _path, prepared in batch:
                    _abandon(library, prepared)
                raise ImportCancelled(results)
            refill()  # keep the workers busy while this group commits
            for result in importer.store(batch):
                results.append(result)
                progress.step(len(results), total, Path(result.path).name)
    finally:
        # Cancelled or failed: nothing queued starts, and finished copies are removed.
        for _path, _pool, fut in pending:
            fut.cancel()
        for _path, _pool, fut in pending:
            if not fut.cancelled():
                with contextlib.suppress(Exception):
                    _abandon(library, fut.result())
    return results


def _next_group(
    pending: deque[tuple[Path, ProcessPoolExecutor, Future[Any]]],
    importer: _Importer,
    refill: Callable[[], None],
) -> list[tuple[Path, imaging.Prepared]]:
    """The next files in order to commit together: at least `GROUP_MIN` (fewer at the end,
    or when the next one is more than `GROUP_WAIT` seconds behind the first), then those
    already finished, at most `GROUP_COMMIT`."""
    batch: list[tuple[Path, imaging.Prepared]] = []
    least = max(1, min(GROUP_MIN, GROUP_COMMIT))
    deadline = 0.0
    try:
        while pending and len(batch) < GROUP_COMMIT:
            fut = pending[0][2]
            if batch and not fut.done():
                if len(batch) >= least:
                    break
                left = deadline - time.monotonic()
                if left <= 0 or not wait([fut], timeout=left).done:
                    break
            path, pool, fut = pending.popleft()
            refill()  # keep the workers fed while this thread waits
            batch.append((path, importer.result(path, pool, fut)))
            if len(batch) == 1:
                deadline = time.monotonic() + GROUP_WAIT
    except BaseException:
        for _path, prepared in batch:
            _abandon(importer.library, prepared)
        raise
    return batch


def _discard(prepared: imaging.Prepared) -> None:
    """Remove the temp copy of a committed file (if one is left)."""
    if prepared.temp_path:
        Path(prepared.temp_path).unlink(missing_ok=True)


def _abandon(library: Library, prepared: imaging.Prepared) -> None:
    """Undo what a file that will not be committed left: its temp copy, and the store file
    its worker created unless a record uses those bytes (a duplicate may share them)."""
    _discard(prepared)
    if prepared.stored_path and prepared.created:
        with library.session() as s:
            used = s.scalar(select(Photo.id).where(Photo.sha256 == prepared.sha256))
        if used is None:
            Path(prepared.stored_path).unlink(missing_ok=True)


# --- thumbnails and previews -------------------------------------------------------------------


def photo_info(library: Library, photo_id: str) -> PhotoInfo:
    """One photo's facts, caption and rotation."""
    with library.session() as s:
        return _info(library, get_record(s, "photo", photo_id))


_photo = photo_info


def _missing(info: PhotoInfo) -> UserError:
    return UserError(
        _("The file of photo {id} is missing from the library; run “jiangxin check”.").format(
            id=info.id[:8]
        )
    )


def _base_cache(library: Library, info: PhotoInfo, edge: int) -> Path:
    """The upright, unrotated cache file of one edge, rendered when missing."""
    target = imaging.cache_path(library.thumbs_dir, info.sha256, edge)
    if target.is_file():
        return target
    source = imaging.cache_path(library.thumbs_dir, info.sha256, imaging.PREVIEW_EDGE)
    if edge <= imaging.PREVIEW_EDGE and source.is_file():
        img = imaging.render(source, edge)
    else:
        if not info.path.is_file():
            raise _missing(info)
        try:
            img = imaging.render(info.path, edge)
        except imaging.BadImage as bad:
            raise UserError(_translated(bad.reason, bad.params)) from None
    imaging.save_cache_jpeg(img, target)
    return target


def thumbnail_file(
    library: Library, photo_id: str, size: int = imaging.THUMB_EDGE, *, rebuild: bool = False
) -> Path:
    """A JPEG of the photo, upright with the user's rotation, long edge `size` (cached).

    `rebuild=True` renders it again (for a cache file that failed to load)."""
    info = _photo(library, photo_id)
    target = imaging.cache_path(library.thumbs_dir, info.sha256, size, info.rotation)
    if rebuild:
        target.unlink(missing_ok=True)
        imaging.cache_path(library.thumbs_dir, info.sha256, size).unlink(missing_ok=True)
        if size <= imaging.PREVIEW_EDGE:
            cache = imaging.cache_path(library.thumbs_dir, info.sha256, imaging.PREVIEW_EDGE)
            cache.unlink(missing_ok=True)
    if target.is_file():
        return target
    base = _base_cache(library, info, size)
    if info.rotation == 0:
        return base
    with imaging.open_image(base) as img:
        rotated = imaging.decode_upright(img, None, info.rotation)
    imaging.save_cache_jpeg(rotated, target)
    return target


def render_preview(library: Library, photo_id: str, long_edge: int = 1600) -> Image.Image:
    """The photo upright (user's rotation included), RGB, long edge at most `long_edge`."""
    info = _photo(library, photo_id)
    cached = imaging.cache_path(library.thumbs_dir, info.sha256, imaging.PREVIEW_EDGE)
    try:
        if long_edge <= imaging.PREVIEW_EDGE and cached.is_file():
            try:
                return imaging.render(cached, long_edge, info.rotation)
            except imaging.BadImage:
                cached.unlink(missing_ok=True)  # damaged cache: render from the original
        if not info.path.is_file():
            raise _missing(info)
        return imaging.render(info.path, long_edge, info.rotation)
    except imaging.BadImage as bad:
        raise UserError(_translated(bad.reason, bad.params)) from None


def _drop_rotated_cache(library: Library, sha256: str) -> None:
    folder = library.thumbs_dir / check_sha256(sha256)[:2]
    if folder.is_dir():
        for path in folder.glob(f"{sha256}_*_r*.jpg"):
            path.unlink(missing_ok=True)


# --- captions and rotation ---------------------------------------------------------------------


def set_caption(library: Library, photo_id: str, caption: str) -> None:
    # One line (captions become file names and print lines), without the NUL a paste can
    # carry (packs and the hub refuse it: see catalog.storable).
    caption = " ".join(caption.replace("\x00", "").split())
    with library.transaction() as s:
        photo: Photo = get_record(s, "photo", photo_id)
        if photo.caption == caption:
            return
        versions.begin_version(s, "photo", photo)
        photo.caption = caption
        versions.stamp(s, "photo", photo)


def set_rotation(library: Library, photo_id: str, degrees: int) -> None:
    """The user's clockwise quarter turns; the original is untouched, thumbnails re-rendered."""
    degrees = int(degrees) % 360
    if degrees not in ROTATIONS:
        raise ValidationError({"rotation": _("A photo can only be turned by quarter turns.")})
    with library.transaction() as s:
        photo: Photo = get_record(s, "photo", photo_id)
        if photo.rotation == degrees:
            return
        versions.begin_version(s, "photo", photo)
        photo.rotation = degrees
        versions.stamp(s, "photo", photo)
        sha = photo.sha256
        photo_id = photo.id
    _drop_rotated_cache(library, sha)
    with contextlib.suppress(UserError):
        thumbnail_file(library, photo_id)  # the grid shows the new one at once


# --- session photo lists -----------------------------------------------------------------------


def session_photos(library: Library, session_id: str) -> list[PhotoInfo]:
    """The session's photos in their order."""
    with library.session() as s:
        fs: FieldSession = get_record(s, "session", session_id)
        return [_info(library, link.photo) for link in fs.photos]


def _session_for_edit(s: Session, session_id: str) -> FieldSession:
    fs: FieldSession = get_record(s, "session", session_id)
    return fs


def _set_session_list(s: Session, fs: FieldSession, photo_ids: list[str]) -> None:
    versions.begin_version(s, "session", fs)
    fs.photos = []
    s.flush()
    fs.photos = [SessionPhoto(photo_id=pid, position=i) for i, pid in enumerate(photo_ids)]
    versions.stamp(s, "session", fs)


def reorder_session_photos(library: Library, session_id: str, photo_ids: Sequence[str]) -> None:
    """Put the session's photos in this order (it must list exactly the session's photos)."""
    wanted = list(photo_ids)
    with library.transaction() as s:
        fs = _session_for_edit(s, session_id)
        current = [p.photo_id for p in fs.photos]
        if sorted(current) != sorted(wanted) or len(set(wanted)) != len(wanted):
            raise UserError(_("The photo list changed meanwhile; reload and try again."))
        if current == wanted:
            return
        _set_session_list(s, fs, wanted)


def remove_from_session(library: Library, session_id: str, photo_id: str) -> None:
    """Unlink a photo from a session; the original stays in the store."""
    with library.transaction() as s:
        fs = _session_for_edit(s, session_id)
        current = [p.photo_id for p in fs.photos]
        if photo_id not in current:
            return
        _set_session_list(s, fs, [p for p in current if p != photo_id])


def add_to_session(
    library: Library, session_id: str, photo_ids: Sequence[str], position: int | None = None
) -> None:
    """Link photos already in the library to a session at `position` (None: at the end)."""
    with library.transaction() as s:
        fs = _session_for_edit(s, session_id)
        for pid in photo_ids:
            get_record(s, "photo", pid)
        current = [p.photo_id for p in fs.photos]
        new = [pid for pid in dict.fromkeys(photo_ids) if pid not in current]
        if not new:
            return
        at = len(current) if position is None else max(0, min(position, len(current)))
        _set_session_list(s, fs, current[:at] + new + current[at:])


def gps_of_session_photos(library: Library, session_id: str) -> tuple[float, float] | None:
    """The GPS position of the first of the session's photos that has one."""
    for info in session_photos(library, session_id):
        if info.gps_lat is not None and info.gps_lon is not None:
            return info.gps_lat, info.gps_lon
    return None


# --- unused photos -----------------------------------------------------------------------------


def _unreferenced(query: Any) -> Any:
    portraits = select(Member.portrait_photo_id).where(Member.portrait_photo_id.is_not(None))
    return query.where(
        Photo.id.not_in(select(SessionPhoto.photo_id)),
        Photo.id.not_in(select(GuideStepPhoto.photo_id)),
        Photo.id.not_in(portraits),
    )


def unused_photos(library: Library) -> list[str]:
    """Live photos nothing refers to: no session, guide step or portrait (deleted records
    count as users, since undo or a restore can bring those back), nor a version waiting in
    an open conflict."""
    with library.session() as s:
        query = select(Photo.id).where(Photo.deleted_at.is_(None)).order_by(Photo.id)
        unused = list(s.scalars(_unreferenced(query)))
        if unused:
            in_conflicts = _photos_in_open_conflicts(s)
            unused = [pid for pid in unused if pid not in in_conflicts]
        return unused


def _photos_in_open_conflicts(s: Session) -> set[str]:
    """Photos that a version waiting in an open conflict shows: taking theirs must find them."""
    shown: set[str] = set()
    for kind, incoming in s.execute(
        select(MergeConflict.kind, MergeConflict.incoming).where(
            MergeConflict.resolved_at.is_(None)
        )
    ):
        record = incoming.get("record") if isinstance(incoming, dict) else None
        if isinstance(record, dict) and kind in KINDS:
            shown.update(rid for rk, rid in KINDS[kind].references_in(record) if rk == "photo")
    return shown


def cleanup_unused(library: Library) -> int:
    """Delete unused photos and remove their files and thumbnails; returns how many.

    A removed photo leaves a tombstone like every other deletion: its row stays, marked
    deleted, with its SHA-256, so the deletion travels in packs and every old version that
    showed the photo keeps naming the same bytes. Files of tombstones nothing uses are removed
    too (a photo deleted by a pack from another laptop). The records change first (one
    transaction), then the files go: a crash in between leaves only files of deleted photos,
    which the next clean-up removes; never a live record without its file.
    """
    ids = unused_photos(library)
    with library.session() as s:
        # A damaged row (a path outside the store) refuses before anything changes.
        for sha, ext in s.execute(select(Photo.sha256, Photo.ext).where(Photo.id.in_(ids))):
            photo_path(library.photos_dir, sha, ext)
    with library.transaction() as s:
        for photo in s.scalars(select(Photo).where(Photo.id.in_(ids))):
            versions.begin_version(s, "photo", photo, reason="delete")
            photo.deleted_at = utcnow()
            versions.stamp(s, "photo", photo)
    with library.session() as s:
        query = select(Photo.id, Photo.sha256, Photo.ext).where(Photo.deleted_at.is_not(None))
        waiting = _photos_in_open_conflicts(s)
        rows = [
            (sha, ext) for pid, sha, ext in s.execute(_unreferenced(query)) if pid not in waiting
        ]
    if ids:
        _fsync_wal(library)
    for sha, ext in rows:
        photo_path(library.photos_dir, sha, ext).unlink(missing_ok=True)
        folder = library.thumbs_dir / sha[:2]
        if folder.is_dir():
            for cached in folder.glob(f"{sha}_*.jpg"):
                cached.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        fsync_dir(library.photos_dir)
    return len(ids)


# --- export ------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_filename_part(text: str, limit: int = 60) -> str:
    """A caption made fit for a file name on Windows, macOS and Linux."""
    cleaned = _UNSAFE.sub(" ", text)
    cleaned = " ".join(cleaned.split()).strip(" .")
    return cleaned[:limit].rstrip(" .")


def export_name(index: int, count: int, date: datetime, caption: str) -> str:
    """`2024-05-18_03_修剪示范.jpg`: date, place in the session, caption."""
    digits = max(2, len(str(count)))
    parts = [date.astimezone().strftime("%Y-%m-%d"), f"{index:0{digits}d}"]
    caption_part = safe_filename_part(caption)
    if caption_part:
        parts.append(caption_part)
    return "_".join(parts) + ".jpg"


def export_session_photos(
    library: Library,
    session_id: str,
    out_dir: Path,
    long_edge: int = 1600,
    progress: Progress | None = None,
) -> list[Path]:
    """Upright JPEGs of the session's photos, resized to `long_edge`, named by date and caption."""
    if not 64 <= long_edge <= 20000:
        raise ValidationError({"long_edge": _("Choose a long edge between 64 and 20000 pixels.")})
    progress = progress or Progress()
    with library.session() as s:
        fs: FieldSession = get_record(s, "session", session_id)
        session_date = fs.starts_at
    photos = session_photos(library, session_id)
    out_dir = Path(out_dir)
    total = len(photos)
    names = [
        export_name(index, total, info.taken_at or session_date, info.caption)
        for index, info in enumerate(photos, start=1)
    ]
    for name in names or ["photo.jpg"]:
        check_destination(out_dir / name, libraries=[library.root])
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            _("Cannot create the folder {path}: {reason}").format(
                path=out_dir, reason=exc.strerror or exc
            )
        ) from None
    missing = [p for p in photos if not p.path.is_file()]
    if missing:
        raise _missing(missing[0])
    progress.step(0, total, _("Exporting photos…"))
    jobs: list[tuple[Path, ProcessPoolExecutor, Future[Any]]] = []
    done: list[Path] = []
    try:
        for info, name in zip(photos, names, strict=True):
            target = out_dir / name
            pool, fut = _run_in_pool(
                imaging.export_one,
                str(info.path),
                str(target),
                long_edge,
                info.rotation,
                EXPORT_QUALITY,
            )
            jobs.append((target, pool, fut))
        for target, _pool, fut in jobs:
            progress.check_cancelled()
            try:
                fut.result()
            except imaging.BadImage as bad:
                raise UserError(
                    _("{name}: {reason}").format(
                        name=target.name, reason=_translated(bad.reason, bad.params)
                    )
                ) from None
            except OSError as exc:
                raise UserError(
                    _("Cannot write {path}: {reason}").format(
                        path=target, reason=exc.strerror or exc
                    )
                ) from None
            done.append(target)
            progress.step(len(done), total, target.name)
    finally:
        for _target, _pool, fut in jobs:
            fut.cancel()
    return done
