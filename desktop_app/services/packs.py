"""Knowledge packs (.jxpack): export a library or a selection, preview and import a pack.

Export takes what was chosen (the whole library, teams with their members and guides, guides,
or sessions with the guides they cover) and everything those records refer to, so a pack is
always complete on its own; deleted records travel as tombstones. Members' personal fields
stay home unless `include_contacts` is set.

Import is all or nothing, and the slow part happens before the write lock:

1. the pack is checked (`pack_format.read_pack`), then every photo's bytes are hashed, and
   those the store lacks are copied into a staging folder in `tmp/` and made durable; a
   damaged pack is refused here, before anything in the library changes;
2. one transaction: the write lock is taken, the records' fate is planned on what the import
   will change (`merge.plan_merge`), the database is copied to `backups/` (only now that the
   import is attempted), the staged files the plan needs are renamed into the store and the
   renames made durable, then all records are written and committed;
3. the automatic backups are pruned (after success only).

If anything fails, the records are exactly as before, the photo files and folders placed by
this import are removed, and so is the backup made for it (it never pushes out an older
one). After a crash, placed files are orphans that `jiangxin check --repair` removes and the
staging folder is removed when the library is next opened for writing; no record ever names
a file that is not durable in the store.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import sys
import uuid
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app import __version__
from desktop_app.core.errors import ImportRejectedError, UserError
from desktop_app.core.fsutil import (
    atomic_writer,
    check_destination,
    fsync_dir,
    fsync_file,
    reading,
    writing_to,
)
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.core.writefail import user_error_for, write_failure
from desktop_app.services import merge, record_history
from desktop_app.services.backup import automatic_backup, prune_automatic_backups
from desktop_app.services.integrity import reading_stored_records
from desktop_app.services.pack_format import (
    CHUNK,
    KINDS,
    MANIFEST_NAME,
    PACK_FORMAT,
    PACK_FORMAT_VERSION,
    PERSONAL_FIELDS,
    RECORD_FILES,
    TOMBSTONES_NAME,
    Pack,
    RecordBatch,
    check_importable,
    read_pack,
    references,
    sha256_bytes,
    tombstone_of,
)
from desktop_app.services.records import get_record, record_to_dict
from desktop_app.storage import versions
from desktop_app.storage.db import lock_for_writing
from desktop_app.storage.kinds import KINDS as RECORD_KINDS
from desktop_app.storage.library import Library
from desktop_app.storage.models import Guide
from desktop_app.storage.photostore import StoredFiles, photo_path

PACK_SUFFIX = ".jxpack"


# --- export ---------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    counts: dict[str, int]  # records in full, by kind
    tombstones: int
    photo_files: int
    bytes: int


def _resolve_ids(s: Any, kind: str, ids: Iterable[str]) -> list[str]:
    """Full ids for ids or 8+ character prefixes (deleted records too)."""
    return [get_record(s, kind, rid, include_deleted=True).id for rid in ids]


def collect_export(
    s: Any,
    *,
    teams: Iterable[str] = (),
    guides: Iterable[str] = (),
    sessions: Iterable[str] = (),
) -> tuple[dict[str, dict[str, Any]], dict[str, list[Any]]]:
    """What goes into a pack: records in full (kind -> id -> object) and tombstones.

    No selection means the whole library. Everything a record in full refers to is in full too
    (deleted or not), so the pack never points outside itself.
    """
    team_ids = _resolve_ids(s, "team", teams)
    guide_ids = _resolve_ids(s, "guide", guides)
    session_ids = _resolve_ids(s, "session", sessions)
    whole = not (team_ids or guide_ids or session_ids)
    seeds: dict[str, set[str]] = {kind: set() for kind in KINDS}
    if whole:
        for kind in KINDS:
            model: Any = RECORD_KINDS[kind].model
            seeds[kind] = set(s.scalars(select(model.id)))
    else:
        seeds["team"] |= set(team_ids)
        seeds["guide"] |= set(guide_ids)
        seeds["session"] |= set(session_ids)
        if team_ids:
            # A team travels with its guides (its members come as references).
            seeds["guide"] |= set(
                s.scalars(
                    select(Guide.id).where(Guide.team_id.in_(team_ids), Guide.deleted_at.is_(None))
                )
            )
    full: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    tombstones: dict[str, list[Any]] = {kind: [] for kind in KINDS}
    pending = seeds
    referenced: set[tuple[str, str]] = set()
    first = True
    while any(pending.values()):
        next_pending: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for kind in KINDS:
            ids = sorted(pending[kind] - set(full[kind]))
            if not ids:
                continue
            for rid, obj in merge.load_records(s, kind, ids).items():
                if obj.deleted_at is not None and (kind, rid) not in referenced:
                    if first:
                        tombstones[kind].append(obj)
                    continue
                full[kind][rid] = obj
                for ref_kind, ref_id in references(kind, record_to_dict(kind, obj)):
                    if ref_id not in full[ref_kind]:
                        referenced.add((ref_kind, ref_id))
                        next_pending[ref_kind].add(ref_id)
        pending = next_pending
        first = False
    for kind in KINDS:
        tombstones[kind] = [t for t in tombstones[kind] if t.id not in full[kind]]
    return full, tombstones


def export_pack(
    library: Library,
    target: Path,
    *,
    teams: Iterable[str] = (),
    guides: Iterable[str] = (),
    sessions: Iterable[str] = (),
    include_contacts: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Write a pack to `target` (all or nothing). See the module docstring for what goes in."""
    progress = progress or NullProgress()
    target = Path(target).absolute()
    if not target.suffix:
        target = target.with_name(target.name + PACK_SUFFIX)
    check_destination(target, libraries=[library.root])
    progress.step(0, 1, _("Collecting records…"))
    with library.session() as s, reading_stored_records():
        selection = {
            "teams": _resolve_ids(s, "team", teams),
            "guides": _resolve_ids(s, "guide", guides),
            "sessions": _resolve_ids(s, "session", sessions),
        }
        full, tombstones = collect_export(s, **selection)
        records: dict[str, list[dict[str, Any]]] = {}
        for kind in KINDS:
            progress.check_cancelled()
            ids = sorted(full[kind])
            ancestry = versions.ancestry(s, kind, ids)
            items = []
            for rid in ids:
                obj = full[kind][rid]
                data = record_to_dict(kind, obj)
                if not include_contacts:
                    for name in PERSONAL_FIELDS.get(kind, ()):
                        data.pop(name, None)
                items.append(
                    {
                        "record": data,
                        "tag": obj.version_tag,
                        "ancestry": sorted(ancestry.get(rid, ())),
                    }
                )
            records[kind] = items
        tomb_items: list[dict[str, Any]] = []
        for kind in KINDS:
            objs = tombstones[kind]
            ancestry = versions.ancestry(s, kind, [o.id for o in objs])
            for obj in objs:
                assert obj.deleted_at is not None
                tomb_items.append(
                    tombstone_of(
                        kind,
                        obj.id,
                        obj.revision,
                        obj.deleted_at,
                        obj.version_tag,
                        ancestry.get(obj.id, ()),
                    )
                )
        photos = [
            (obj.sha256, obj.ext, obj.id)
            for obj in (full["photo"][i] for i in sorted(full["photo"]))
        ]
        library_id, library_name = library.library_id, library.name

    files: dict[str, dict[str, Any]] = {}
    total_bytes = sum(
        photo_path(library.photos_dir, sha_, ext).stat().st_size
        for sha_, ext, _pid in photos
        if photo_path(library.photos_dir, sha_, ext).is_file()
    )
    done_bytes = 0
    with (
        writing_to(target),
        atomic_writer(target) as handle,
        zipfile.ZipFile(handle, "w", allowZip64=True) as zf,
    ):
        for kind in KINDS:
            if records[kind]:
                _write_json(zf, RECORD_FILES[kind], records[kind], files)
        if tomb_items:
            _write_json(zf, TOMBSTONES_NAME, tomb_items, files)
        for sha_, ext, pid in photos:
            progress.check_cancelled()
            source = photo_path(library.photos_dir, sha_, ext)
            name = f"photos/{sha_}.{ext}"
            if not source.is_file():
                raise UserError(
                    _("Photo {id} is missing its file; run “jiangxin check”.").format(id=pid[:8])
                )
            entry = _write_file(zf, source, name)
            if entry["sha256"] != sha_:
                raise UserError(
                    _("The file of photo {id} is damaged; run “jiangxin check”.").format(id=pid[:8])
                )
            files[name] = entry
            done_bytes += int(entry["size"])
            progress.step(done_bytes, max(total_bytes, 1), _("Packing photos…"))
        manifest = {
            "format": PACK_FORMAT,
            "format_version": PACK_FORMAT_VERSION,
            "app_version": __version__,
            "created_at": datetime.now(UTC).isoformat(),
            "source_library": {"id": library_id, "name": library_name},
            "selection": {
                "scope": "selection" if any(selection.values()) else "library",
                **selection,
            },
            "include_contacts": include_contacts,
            "contents": {
                **{kind: len(records[kind]) for kind in KINDS},
                "tombstones": len(tomb_items),
                "photo_files": len(photos),
                "photo_bytes": done_bytes,
            },
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        check_importable(MANIFEST_NAME, manifest_bytes, 0, _("knowledge pack"))
        zf.writestr(MANIFEST_NAME, manifest_bytes, compress_type=zipfile.ZIP_DEFLATED)
    return ExportResult(
        path=target,
        counts={kind: len(records[kind]) for kind in KINDS},
        tombstones=len(tomb_items),
        photo_files=len(photos),
        bytes=target.stat().st_size,
    )


def _zipinfo(name: str, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_json(
    zf: zipfile.ZipFile, name: str, items: list[dict[str, Any]], files: dict[str, dict[str, Any]]
) -> None:
    data = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    check_importable(name, data, len(items), _("knowledge pack"))
    zf.writestr(_zipinfo(name, compress=True), data)
    files[name] = {"sha256": sha256_bytes(data), "size": len(data)}


def _write_file(zf: zipfile.ZipFile, source: Path, name: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, zf.open(_zipinfo(name, compress=False), "w") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


# --- import ---------------------------------------------------------------------------------


@dataclass
class ChangeItem:
    kind: str
    id: str
    label: str
    reason: str = ""


@dataclass
class ImportReport:
    """What an import did (or, for a preview, would do)."""

    source_name: str
    source_id: str
    created_at: str
    dry_run: bool
    added: list[ChangeItem] = field(default_factory=list)
    updated: list[ChangeItem] = field(default_factory=list)
    conflicts: list[ChangeItem] = field(default_factory=list)
    deleted: list[ChangeItem] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    new_photo_files: int = 0
    new_photo_bytes: int = 0
    backup: str | None = None

    @property
    def changes(self) -> bool:
        return bool(self.added or self.updated or self.conflicts or self.deleted)

    def to_json(self) -> dict[str, Any]:
        def items(values: list[ChangeItem]) -> list[dict[str, str]]:
            return [v.__dict__ for v in values]

        return {
            "source_library": {"id": self.source_id, "name": self.source_name},
            "created_at": self.created_at,
            "dry_run": self.dry_run,
            "added": items(self.added),
            "updated": items(self.updated),
            "conflicts": items(self.conflicts),
            "deleted": items(self.deleted),
            "unchanged": self.unchanged,
            "notes": self.notes,
            "new_photo_files": self.new_photo_files,
            "new_photo_bytes": self.new_photo_bytes,
            "backup": self.backup,
        }


def import_report(
    plan: merge.MergePlan, batch: RecordBatch, *, dry_run: bool, photos: list[str]
) -> ImportReport:
    """What a planned merge does, as an import reports it (a pack's, or entries that came
    another way: those have no manifest and bring no photo files)."""
    pack = batch if isinstance(batch, Pack) else None
    report = ImportReport(
        source_name=batch.source_name,
        source_id=batch.source_id,
        created_at=str(pack.manifest.get("created_at", "")) if pack else "",
        dry_run=dry_run,
        notes=list(plan.notes),
        new_photo_files=len(photos),
        new_photo_bytes=(
            sum(pack.zip.members[pack.photo_members[sha]].file_size for sha in photos)
            if pack
            else 0
        ),
    )
    lists = {
        merge.ADD: report.added,
        merge.UPDATE: report.updated,
        merge.CONFLICT: report.conflicts,
        merge.DELETE: report.deleted,
    }
    for d in plan.decisions:
        target = lists.get(d.action)
        if target is None and d.fill_contacts:
            report.updated.append(ChangeItem(d.kind, d.id, d.label, _("Contact details added.")))
        elif target is None:
            report.unchanged += 1
        else:
            target.append(ChangeItem(d.kind, d.id, d.label, d.reason))
    return report


def photos_to_write(
    library: Library, plan: merge.MergePlan, stored: StoredFiles | None = None
) -> list[str]:
    """SHA-256 of the incoming photos whose files this merge adds to the store (a pack's
    import, or a hub sync's). `stored`: the store's files as the caller listed them already."""
    needed: dict[str, None] = {}  # in order, each once (a list's `in` made this quadratic:
    # 21 s of a 20,000-session import or first sync went to it)
    stored = stored or StoredFiles(library.photos_dir)
    for d in plan.decisions:
        if d.kind != "photo" or d.data is None or d.id in plan.photo_map:
            continue
        if d.action != merge.ADD and not d.local_tag and not d.revive:
            continue  # not here and not coming: e.g. deleted here already
        sha = d.data["sha256"]
        if sha not in needed and not stored.has(sha, d.data["ext"]):
            needed[sha] = None
    return list(needed)


def preview_import(
    library: Library, path: Path, *, progress: Progress | None = None
) -> ImportReport:
    """What importing `path` would add, update, put in conflict and delete; changes nothing."""
    progress = progress or NullProgress()
    progress.step(0, 1, _("Checking the pack…"))
    with reading(Path(path)):
        pack = read_pack(Path(path))
        try:
            _verify_photos(pack, (), None, progress)
            with library.session() as s:
                plan = merge.plan_merge(s, pack)
            return import_report(plan, pack, dry_run=True, photos=photos_to_write(library, plan))
        finally:
            pack.close()


def import_pack(
    library: Library,
    path: Path,
    *,
    progress: Progress | None = None,
    backup: bool = True,
    keep_backups: int | None = None,
) -> ImportReport:
    """Merge a pack into the library: all of it, or (on any error) nothing."""
    progress = progress or NullProgress()
    if library.read_only:
        raise UserError(_("The library is open read-only; nothing can be changed."))
    progress.step(0, 1, _("Checking the pack…"))
    with reading(Path(path)), library.reading_file(Path(path)):
        pack = read_pack(Path(path))
        try:
            return _import(library, pack, progress, backup=backup, keep_backups=keep_backups)
        finally:
            pack.close()


def _missing_files(library: Library, pack: Pack) -> dict[str, str]:
    """sha -> ext of the pack's photo files that the store lacks (what the import may add)."""
    missing: dict[str, str] = {}
    for sha, member in pack.photo_members.items():
        ext = member.rsplit(".", 1)[1]
        if not photo_path(library.photos_dir, sha, ext).exists():
            missing[sha] = ext
    return missing


def _import(
    library: Library,
    pack: Pack,
    progress: Progress,
    *,
    backup: bool,
    keep_backups: int | None,
) -> ImportReport:
    # Everything slow happens before the write lock: every photo of the pack is checked and
    # those the store lacks are copied to tmp/ and made durable. A damaged pack is refused
    # here, before any backup is taken or anything in the library changes.
    candidates = _missing_files(library, pack)
    _check_space(library, pack, list(candidates))
    staging = library.tmp_dir / f"import-{uuid.uuid4().hex}"
    placed: list[Path] = []
    made_folders: list[Path] = []
    made_backup: Path | None = None
    try:
        staged = _verify_photos(pack, set(candidates), staging, progress)
        if staged:  # (a sync of the file system waits for every other program's writes too)
            flush_to_disk(library.root, files=staged.values(), folders=_folders(staged.values()))
        with library.transaction() as s:
            plan = plan_import(s, pack)
            needed = photos_to_write(library, plan)
            report = import_report(plan, pack, dry_run=False, photos=needed)
            late = {sha for sha in needed if sha not in staged}
            if late:
                # A store file went missing since the check above (a clean-up meanwhile).
                more = _verify_photos(pack, late, staging, progress, only=True)
                flush_to_disk(library.root, files=more.values(), folders=_folders(more.values()))
                staged.update(more)
            if plan.changes and backup:
                progress.step(0, 1, _("Backing up the library…"))
                # Pruned only after the import succeeded: a backup taken for work that then
                # fails is removed and never pushes out an older one.
                made_backup = automatic_backup(library, "import", prune=False)
                report.backup = str(made_backup)
            # The renames reach the disk before the records that name the files commit, so no
            # record ever names a missing file; after a crash, placed files are orphans that
            # `check --repair` removes.
            place_photos(library, needed, _pack_ext(pack), staged, placed, made_folders)
            if placed:
                folders = {p.parent for p in placed} | {library.photos_dir}
                flush_to_disk(library.root, files=(), folders=folders)
            apply_import(s, plan, progress)
    except BaseException as exc:
        take_back(placed, made_folders)
        if made_backup is not None:
            made_backup.unlink(missing_ok=True)
        # A full or read-only disk is said in words; the transaction was rolled back.
        translated = user_error_for(exc, library.root) if isinstance(exc, Exception) else None
        if translated is None and isinstance(exc, OSError):
            # The library's own folders refused otherwise (a `photos` or `tmp` that is a
            # file crashed the import): still the place, in words. The pack's read errors
            # are refusals already.
            translated = write_failure(exc, library.root)
        if translated is not None:
            raise translated from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if made_backup is not None:
        prune_automatic_backups(library, keep_backups)
    return report


def plan_import(s: Session, pack: RecordBatch) -> merge.MergePlan:
    """Take the store's write lock, then plan the merge on what the import will change.

    The records' half of an import, on any store (`apply_import` is the other half): a
    library's import puts the photo files in place between the two.
    """
    lock_for_writing(s)
    return merge.plan_merge(s, pack)


def apply_import(s: Session, plan: merge.MergePlan, progress: Progress | None = None) -> None:
    """Write a planned import's records in the transaction `plan_import` locked; records that
    do not fit the store (a constraint refuses them) are one sentence."""
    try:
        merge.apply_plan(s, plan, progress)
        record_history.remember_origins(s, plan)  # "from where" in a record's history
        s.flush()
    except IntegrityError as exc:
        raise ImportRejectedError(
            _(
                "The pack's records do not fit this library ({reason}); nothing was imported."
            ).format(reason=str(exc.orig).splitlines()[0])
        ) from None


def _folders(files: Iterable[Path]) -> set[Path]:
    return {f.parent for f in files}


def _pack_ext(pack: Pack) -> dict[str, str]:
    return {sha: member.rsplit(".", 1)[1] for sha, member in pack.photo_members.items()}


def take_back(placed: list[Path], made_folders: list[Path]) -> None:
    """Remove the files and store folders a failed import or sync placed (`place_photos`)."""
    for final in placed:
        with contextlib.suppress(OSError):
            final.unlink()
    for folder in made_folders:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: another file may have arrived meanwhile


def place_photos(
    library: Library,
    needed: list[str],
    ext_of: dict[str, str],
    staged: dict[str, Path],
    placed: list[Path],
    made_folders: list[Path],
) -> None:
    """Rename the staged files in `needed` to their store names, recording each file placed
    (`placed`) and each store folder made (`made_folders`) as it goes, for the caller to take
    back if the import fails.

    A staging folder (`<ab>/`) that holds exactly the files one missing store folder needs is
    renamed as a whole: into an empty library that is 256 renames instead of one per photo,
    and nothing is left in the staging folder to delete.
    """
    groups: dict[str, list[tuple[Path, Path]]] = {}  # prefix -> (staged file, store file)
    for sha in needed:
        final = photo_path(library.photos_dir, sha, ext_of[sha])
        groups.setdefault(sha[:2], []).append((staged[sha], final))
    library.photos_dir.mkdir(parents=True, exist_ok=True)
    for prefix, pairs in groups.items():
        folder = library.photos_dir / prefix
        source = pairs[0][0].parent
        if not folder.exists():
            try:
                whole = sorted(os.listdir(source)) == sorted(f.name for _s, f in pairs) and all(
                    s.name == f.name for s, f in pairs
                )
                if whole:
                    os.rename(source, folder)  # refused if the folder appeared meanwhile
            except OSError:
                whole = False
            if whole:
                made_folders.append(folder)
                placed.extend(f for _s, f in pairs)
                continue
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
                made_folders.append(folder)
        for temp, final in pairs:
            os.replace(temp, final)
            placed.append(final)


def flush_to_disk(root: Path, *, files: Iterable[Path], folders: Iterable[Path]) -> None:
    """Make written files and renames durable.

    On Linux one `syncfs` of the library's file system does it for thousands of photos at
    once (about three times faster here than an fsync per file); elsewhere, or if that call
    is unavailable, every file and folder is fsynced.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(root, os.O_RDONLY)
            try:
                if libc.syncfs(fd) == 0:
                    return
            finally:
                os.close(fd)
        except (OSError, AttributeError):
            pass
    for path in files:
        fsync_file(path)
    for folder in folders:
        fsync_dir(folder)


def _check_space(library: Library, pack: Pack, needed: list[str]) -> None:
    required = sum(pack.zip.members[pack.photo_members[sha]].file_size for sha in needed)
    try:
        free = shutil.disk_usage(library.root).free
    except OSError:
        return
    if free < required + 64 * 1024**2:
        raise UserError(
            _(
                "Not enough free disk space for the pack's photos ({mb:.0f} MB needed); "
                "nothing was imported."
            ).format(mb=required / 1024**2)
        )


def _verify_photos(
    pack: Pack,
    write: Collection[str],
    staging: Path | None,
    progress: Progress,
    *,
    only: bool = False,
) -> dict[str, Path]:
    """Check every photo's bytes against its name (with `only`, just those in `write`); copy
    those in `write` (SHA-256) to files under `staging` (`<ab>/<sha>.<ext>`, not fsynced: the
    caller makes them durable all at once with `flush_to_disk`).

    One thread: on the two-core laptops we measure, threads copying at once spent more time
    in the kernel than they saved (the cost is creating the files, not hashing them).
    Returns sha -> staged file. On failure or cancel no staged file is left.
    """
    staged: dict[str, Path] = {}
    names = sorted(pack.photo_members.items())
    if only:
        names = [(sha, m) for sha, m in names if sha in write]
    total = max(1, pack.zip.total_size([m for _sha, m in names]))
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n

    try:
        if staging is not None:
            # Spread over folders as in the store: one folder of thousands of new files is
            # slower to fill.
            for prefix in {sha[:2] for sha in write}:
                (staging / prefix).mkdir(parents=True, exist_ok=True)
        for sha, member in names:
            progress.check_cancelled()
            if sha in write and staging is not None:
                temp = staging / sha[:2] / member.rsplit("/", 1)[1]  # the store's file name
                staged[sha] = temp
                with temp.open("wb") as handle:
                    pack.zip.copy_member(member, sha, handle, advance)
            else:
                pack.zip.copy_member(member, sha, None, advance)
            progress.step(done, total, _("Checking photos…"))
    except BaseException:
        for temp in staged.values():
            temp.unlink(missing_ok=True)
        raise
    return staged
