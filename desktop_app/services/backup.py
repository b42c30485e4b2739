"""Backups: one zip file with a consistent database snapshot and the photos it uses.

`create_backup` is safe while the app has the library open: the database is copied with
SQLite's online backup API (one consistent snapshot even while another connection writes),
then the photos that snapshot refers to are added. The photo store only ever gains files, so
every photo the snapshot names is there. The snapshot and the zip being written sit beside the
destination (same disk) as `.jiangxin-backup-<pid>-…` files, never in a shared temporary
folder. `restore_backup` unpacks into a hidden folder beside a new or empty folder, checking
every file's hash, and opens the result as a library (migrating an older one). What a killed
backup or restore left is removed at the next start of a library, a backup or a restore
(`core/leftovers.py`), and by the next backup or restore in the same folder.

Automatic backups (`automatic_backup`) copy only the database into the library's `backups/`
folder, before a pack import changes records: imports only add photo files, so the database
copy is all it takes to go back. The newest `backups.keep` of them are kept; a backup made for
an import that then fails is removed, so refused work never pushes out an older one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from desktop_app import __version__
from desktop_app.core import leftovers, paths
from desktop_app.core.errors import ImportRejectedError, LibraryError, UserError
from desktop_app.core.fsutil import (
    atomic_writer,
    check_destination,
    fsync_dir,
    writing_to,
)
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.core.settings import Settings
from desktop_app.core.writefail import user_error_for, write_failure
from desktop_app.services.pack_format import (
    BACKUP_MANIFEST_NAME,
    CHUNK,
    PHOTO_MEMBER_RE,
    SHA_RE,
    SafeZip,
    open_safe_zip,
    parse_json,
    parse_manifest_files,
)
from desktop_app.storage import schema
from desktop_app.storage.library import Library, backup_database
from desktop_app.storage.photostore import photo_path, photo_relpath

BACKUP_FORMAT = "jiangxin-backup"
BACKUP_FORMAT_VERSION = 1
DB_MEMBER = "library.sqlite3"
AUTO_PREFIX = "pre-"  # pre-import-..., pre-migrate-... (written by storage.library)


@dataclass
class BackupResult:
    path: Path
    photos: int
    bytes: int


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _backup_member_allowed(name: str) -> bool:
    if name in (BACKUP_MANIFEST_NAME, DB_MEMBER):
        return True
    parts = name.split("/")
    return (
        len(parts) == 3
        and parts[0] == "photos"
        and PHOTO_MEMBER_RE.match(f"photos/{parts[2]}") is not None
        and parts[1] == parts[2][:2]
    )


def _snapshot_photos(db_file: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"{db_file.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return [(str(sha), str(ext)) for sha, ext in conn.execute("SELECT sha256, ext FROM photo")]
    finally:
        conn.close()


def create_backup(
    library: Library, target: Path, *, progress: Progress | None = None
) -> BackupResult:
    """Write a backup zip of `library` to `target` (atomically: all or nothing)."""
    progress = progress or NullProgress()
    target = Path(target).absolute()
    if target.suffix.lower() != ".zip":
        target = target.with_name(target.name + ".zip")
    check_destination(target, libraries=[library.root])
    leftovers.clean_noted()
    target.parent.mkdir(parents=True, exist_ok=True)
    leftovers.remove_backup_leftovers(target.parent)
    with leftovers.working_in(target.parent):
        return _create_backup(library, target, progress)


def _create_backup(library: Library, target: Path, progress: Progress) -> BackupResult:
    # The snapshot (members' phone numbers included) is made beside the destination, on the
    # same disk, under a name that says what it is: never in a shared temporary folder.
    stem = f"{leftovers.BACKUP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    snapshot = target.parent / f"{stem}.sqlite3"
    try:
        try:
            with writing_to(target):
                backup_database(library.db_path, snapshot)
        except sqlite3.Error as exc:  # "database or disk is full"
            raise user_error_for(exc, target.parent) or UserError(
                _("Cannot write {path}: {reason}").format(path=target, reason=exc)
            ) from None
        with contextlib.suppress(OSError, sqlite3.Error):
            # The copy keeps WAL mode in its header; a restored library sets it again (so a
            # disk too full even for this is no reason to stop here).
            conn = sqlite3.connect(snapshot)
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.close()
        photos = _snapshot_photos(snapshot)
        files: dict[str, dict[str, object]] = {}
        total = len(photos) + 1
        with (
            writing_to(target),
            atomic_writer(target, prefix=f"{stem}.") as handle,
            zipfile.ZipFile(handle, "w") as zf,
        ):
            files[DB_MEMBER] = _add_file(zf, snapshot, DB_MEMBER, compress=True)
            progress.step(1, total, _("Backing up the database…"))
            for done, (sha, ext) in enumerate(photos, start=2):
                progress.check_cancelled()
                source = photo_path(library.photos_dir, sha, ext)
                if not source.is_file():
                    raise UserError(
                        _(
                            "The photo file {name} is missing; run “jiangxin check” before "
                            "backing up."
                        ).format(name=source.name)
                    )
                name = "photos/" + photo_relpath(sha, ext).as_posix()
                files[name] = _add_file(zf, source, name, compress=False)
                if files[name]["sha256"] != sha:
                    raise UserError(
                        _(
                            "The photo file {name} is damaged; run “jiangxin check” before "
                            "backing up."
                        ).format(name=source.name)
                    )
                if done % 20 == 0 or done == total:
                    progress.step(done, total, _("Backing up photos…"))
            manifest = {
                "format": BACKUP_FORMAT,
                "format_version": BACKUP_FORMAT_VERSION,
                "app_version": __version__,
                "created_at": datetime.now(UTC).isoformat(),
                "library": {"id": library.library_id, "name": library.name},
                "schema_revision": schema.HEAD,
                "files": files,
            }
            zf.writestr(
                BACKUP_MANIFEST_NAME,
                json.dumps(manifest, ensure_ascii=False, indent=1),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    except (OSError, sqlite3.Error) as exc:
        # The destination refused (a full or pulled USB stick): said in words, for the window
        # as for the command line; the atomic writer left nothing behind.
        translated = user_error_for(exc, target.parent)
        if translated is None:
            raise
        raise translated from None
    finally:
        # The snapshot, its copy in progress, and what SQLite opened beside it (members' phone
        # numbers are in all of them).
        for suffix in ("", ".part", "-wal", "-shm", "-journal"):
            snapshot.with_name(snapshot.name + suffix).unlink(missing_ok=True)
    return BackupResult(target, len(photos), target.stat().st_size)


def _add_file(zf: zipfile.ZipFile, source: Path, name: str, *, compress: bool) -> dict[str, object]:
    digest = hashlib.sha256()
    size = 0
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    with source.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def read_backup_manifest(zf: SafeZip) -> dict[str, object]:
    if BACKUP_MANIFEST_NAME not in zf.members or DB_MEMBER not in zf.members:
        raise ImportRejectedError(_("{path} is not a Jiangxin backup.").format(path=zf.path.name))
    info = zf.members[BACKUP_MANIFEST_NAME]
    if info.file_size > zf.limits.max_json_size:
        raise ImportRejectedError(_("The backup's manifest is too large."))
    # Read errors (bad CRC, corrupt deflate...) become a refusal naming the manifest.
    data = zf.read_limited(BACKUP_MANIFEST_NAME, zf.limits.max_json_size)
    if len(data) > zf.limits.max_json_size:
        raise ImportRejectedError(_("The backup's manifest is too large."))
    manifest = parse_json(data, BACKUP_MANIFEST_NAME, zf.what, max_values=zf.limits.max_json_values)
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise ImportRejectedError(_("{path} is not a Jiangxin backup.").format(path=zf.path.name))
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ImportRejectedError(_("{path} is not a Jiangxin backup.").format(path=zf.path.name))
    if version > BACKUP_FORMAT_VERSION:
        raise ImportRejectedError(
            _("The backup was made by a newer version of Jiangxin; update the app to restore it.")
        )
    return manifest


STAGING_PREFIX = leftovers.RESTORE_PREFIX


def _ours(entry: Path) -> bool:
    """A restore's own working file or folder (ours, another's, or a killed one's)."""
    return entry.name.startswith(STAGING_PREFIX)


def _check_target(target_dir: Path) -> None:
    if (target_dir / paths.DATABASE_NAME).exists():
        raise LibraryError(_("There is already a library at {path}.").format(path=target_dir))
    if target_dir.exists() and (
        not target_dir.is_dir() or any(not _ours(e) for e in target_dir.iterdir())
    ):
        raise LibraryError(
            _("{path} is not an empty folder; choose a new or empty folder.").format(
                path=target_dir
            )
        )


def restore_backup(source: Path, target_dir: Path, *, progress: Progress | None = None) -> Path:
    """Unpack a backup into a new or empty folder and open it once (migrating if older).

    Everything is unpacked into a hidden folder beside the target, checked like
    `jiangxin check` does (a backup whose database names a photo it lacks, or a file outside
    the photo store, is refused) and only then renamed into place in one step. So on any
    failure the target is left as it was (missing or empty), and of two restores into the same
    folder only one can succeed.
    """
    progress = progress or NullProgress()
    target_dir = Path(target_dir).absolute()
    _check_target(target_dir)
    leftovers.clean_noted()
    with leftovers.working_in(_staging_parent(target_dir)):
        return _restore_backup(source, target_dir, progress)


def _restore_backup(source: Path, target_dir: Path, progress: Progress) -> Path:
    what = _("backup")
    with open_safe_zip(Path(source), allowed=_backup_member_allowed, what=what) as zf:
        manifest = read_backup_manifest(zf)
        hashes = parse_manifest_files(manifest, zf)
        needed = zf.total_size()
        parent = _staging_parent(target_dir)
        try:
            parent.mkdir(parents=True, exist_ok=True)
            leftovers.remove_abandoned_staging(parent)
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
            # Held while this restore runs: a later restore removes the folder of one that
            # was killed (its lock is free), never that of one still running.
            lock = FileLock(f"{staging}.lock", timeout=0)
            lock.acquire()
        except (OSError, Timeout) as exc:
            raise write_failure(exc, parent) from None
        try:
            free = shutil.disk_usage(staging).free
            if free < needed + 32 * 1024**2:
                raise UserError(
                    _("Not enough free disk space at {path} to restore the backup.").format(
                        path=target_dir
                    )
                )
            _unpack(zf, hashes, staging, progress)
            _check_restored(staging, target_dir)
            _move_into_place(staging, target_dir)
        except OSError as exc:
            raise write_failure(exc, target_dir) from None
        except sqlite3.Error as exc:
            translated = user_error_for(exc, target_dir)
            if translated is None:
                raise ImportRejectedError(
                    _("The backup cannot be restored: {reason}").format(reason=exc)
                ) from None
            raise translated from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            lock.release()
            Path(f"{staging}.lock").unlink(missing_ok=True)
    return target_dir


def _unpack(zf: SafeZip, hashes: dict[str, str], staging: Path, progress: Progress) -> None:
    names = sorted(hashes)
    for done, name in enumerate(names, start=1):
        progress.check_cancelled()
        if name != DB_MEMBER:
            sha = name.rsplit("/", 1)[1].split(".", 1)[0]
            if not SHA_RE.match(sha) or hashes[name] != sha:
                raise ImportRejectedError(
                    _(
                        "The file “{name}” in the backup does not match its checksum; "
                        "the file is damaged or was altered."
                    ).format(name=name)
                )
        # Names were checked against the allow-list: they stay inside the staging folder.
        dest = staging.joinpath(*name.split("/"))
        with atomic_writer(dest) as handle:
            zf.copy_member(name, hashes[name], handle)
        if done % 20 == 0 or done == len(names):
            progress.step(done, len(names), _("Restoring…"))
    for sub in (paths.PHOTOS_DIR, paths.THUMBS_DIR, paths.BACKUPS_DIR, paths.TMP_DIR):
        (staging / sub).mkdir(parents=True, exist_ok=True)
    fsync_dir(staging)


def _check_restored(staging: Path, target_dir: Path) -> None:
    """Open the unpacked library once (migrating it) and refuse it unless `check` is clean."""
    from desktop_app.services import search  # also registers the index check
    from desktop_app.services.integrity import check_library

    try:
        library = Library.open(staging, write=True)
    except LibraryError as exc:
        reason = str(exc).replace(str(staging), str(target_dir))  # not the hidden folder's name
        raise ImportRejectedError(
            _("The backup cannot be restored: {reason}").format(reason=reason)
        ) from None
    try:
        # Photo bytes were hashed on the way out of the zip; the check needs not read them again.
        report = check_library(library, verify_hashes=False)
        index_only = all(p.code == "search_index" for p in report.problems)
        if report.damaged and index_only:
            search.rebuild_index(library)  # derived data: rebuilt, not a reason to refuse
        elif report.damaged:
            problem = next(p for p in report.problems if p.code != "search_index")
            raise ImportRejectedError(
                _("The backup holds a damaged library and was not restored: {problem}").format(
                    problem=problem.message
                )
            )
    finally:
        library.close()
    (staging / paths.LOCK_NAME).unlink(missing_ok=True)


def _staging_parent(target_dir: Path) -> Path:
    """Beside the target, so that one rename puts the library in place; inside it when the
    target is an empty disk of its own (a USB stick's top folder), which no rename can
    replace and whose free space is what counts."""
    try:
        if target_dir.is_dir() and (
            os.path.ismount(target_dir)
            or target_dir.stat().st_dev != target_dir.parent.stat().st_dev
        ):
            return target_dir
    except OSError:
        pass
    return target_dir.parent


def _move_into_place(staging: Path, target_dir: Path) -> None:
    """One rename: a missing or empty target becomes the library; a taken one refuses."""
    if staging.parent == target_dir:
        _move_up(staging, target_dir)
        return
    if os.name != "posix" and target_dir.is_dir() and not any(target_dir.iterdir()):
        target_dir.rmdir()  # Windows renames only onto a missing name
    try:
        os.rename(staging, target_dir)  # POSIX replaces an empty folder, never a full one
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            # Another restore (or something else) filled the folder in the meantime.
            raise LibraryError(
                _("{path} is not an empty folder; choose a new or empty folder.").format(
                    path=target_dir
                )
            ) from None
        raise
    fsync_dir(target_dir.parent)


def _move_up(staging: Path, target_dir: Path) -> None:
    """Staged inside the target: move the entries up, the database last (until it is there
    the folder is no library), under a lock so that of two restores only one does it."""
    lock_path = target_dir / f"{STAGING_PREFIX}move.lock"
    try:
        with FileLock(lock_path, timeout=30):
            if any(not _ours(e) for e in target_dir.iterdir()):
                raise LibraryError(
                    _("{path} is not an empty folder; choose a new or empty folder.").format(
                        path=target_dir
                    )
                )
            entries = sorted(staging.iterdir(), key=lambda e: e.name == paths.DATABASE_NAME)
            for entry in entries:
                os.rename(entry, target_dir / entry.name)
            fsync_dir(target_dir)
    finally:
        lock_path.unlink(missing_ok=True)  # nothing of the restore's own is left in the folder


# --- automatic backups ----------------------------------------------------------------------


def automatic_backups(library: Library) -> list[Path]:
    """The automatic database copies in `backups/`, oldest first."""
    if not library.backups_dir.is_dir():
        return []
    found = [
        p
        for p in library.backups_dir.glob(f"{AUTO_PREFIX}*.sqlite3")
        if p.is_file() and not p.name.endswith(".part")
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def _keep(keep: int | None) -> int:
    return max(1, int(Settings().get("backups.keep")) if keep is None else keep)


def prune_automatic_backups(library: Library, keep: int | None = None) -> list[Path]:
    """Remove all but the newest `keep` (default: the setting) automatic backups; returns
    what was removed."""
    keep = _keep(keep)
    existing = automatic_backups(library)
    removed = existing[: max(0, len(existing) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def automatic_backup(
    library: Library, reason: str, *, keep: int | None = None, prune: bool = True
) -> Path:
    """Copy the database to `backups/pre-<reason>-<time>.sqlite3` and prune old copies.

    `prune=False`: the caller prunes (`prune_automatic_backups`) once the work the backup was
    made for has succeeded, and removes the backup if it failed, so that refused work never
    pushes out an older backup. A copy that fails (a full disk) leaves nothing behind.
    """
    target = library.backups_dir / f"{AUTO_PREFIX}{reason}-{_stamp()}.sqlite3"
    try:
        backup_database(library.db_path, target)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(
            _("Could not back up the library before changing it: {reason}").format(reason=exc)
        ) from None
    with contextlib.suppress(OSError):
        os.utime(target)
    if prune:
        prune_automatic_backups(library, keep)
    return target


def describe_backup_size(result: BackupResult) -> str:
    return _("{photos} photos, {mb:.1f} MB").format(photos=result.photos, mb=result.bytes / 1024**2)
