"""Helpers shared by the pack and backup tests: photos put straight into a store, snapshots of
a library's records and photo bytes, and a way to rewrite a pack into a hostile one."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.services import catalog
from desktop_app.services.records import record_to_dict
from desktop_app.storage.kinds import KINDS
from desktop_app.storage.library import Library
from desktop_app.storage.models import Photo
from desktop_app.storage.photostore import photo_path
from tests.stores import Store


def add_photo(library: Store, data: bytes, *, ext: str = "jpg", caption: str = "") -> str:
    """A photo record and its file, without the photo import service (a server database
    keeps photo bytes elsewhere: it gets the record only)."""
    sha = hashlib.sha256(data).hexdigest()
    if isinstance(library, Library):
        path = photo_path(library.photos_dir, sha, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with library.transaction() as s:
        photo = Photo(
            sha256=sha,
            ext=ext,
            original_name=f"IMG_{sha[:6]}.{ext}",
            byte_size=len(data),
            width=40,
            height=30,
            taken_at=datetime(2025, 4, 20, 14, 30, tzinfo=UTC),
            camera="Test Cam",
            caption=caption,
        )
        s.add(photo)
        s.flush()
        return photo.id


def illustrate(library: Library) -> dict[str, str]:
    """Give the demo library photos: one per guide step 1, two on the session, a portrait."""
    ids: dict[str, str] = {}
    with library.session() as s:
        guides = [g.id for g in s.scalars(select(KINDS["guide"].model))]
        sessions = [x.id for x in s.scalars(select(KINDS["session"].model))]
        members = [m.id for m in s.scalars(select(KINDS["member"].model))]
    for n, gid in enumerate(guides):
        pid = add_photo(library, f"guide photo {n}".encode() * 50)
        data = catalog.load_guide(library, gid)
        if data.steps:
            data.steps[0].photo_ids = [pid]
        catalog.save_guide(library, data, gid)
        ids[f"guide{n}"] = pid
    for sid in sessions:
        p1 = add_photo(library, b"session one" * 80, ext="png")
        p2 = add_photo(library, b"session two" * 90)
        sdata = catalog.load_session(library, sid)
        sdata.photo_ids = [p1, p2]
        catalog.save_session(library, sdata, sid)
    if members:
        portrait = add_photo(library, b"portrait" * 70)
        mdata = catalog.load_member(library, members[0])
        mdata.portrait_photo_id = portrait
        mdata.phone = "138 0000 0000"
        mdata.notes = "私人备注"
        catalog.save_member(library, mdata, members[0])
        ids["portrait"] = portrait
    return ids


def records(library: Store, *, include_deleted: bool = True) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    with library.session() as s:
        for kind, model in ((k, spec.model) for k, spec in KINDS.items()):
            for obj in s.scalars(select(model)):
                if include_deleted or obj.deleted_at is None:
                    out[(kind, obj.id)] = record_to_dict(kind, obj)
    return out


def photo_bytes(library: Library) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(library.photos_dir.rglob("*")) if p.is_file()}


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def library_state(library: Library) -> tuple[Any, ...]:
    """Everything an import may change: records, history, conflicts, ancestry, files."""
    with library.session() as s:
        from desktop_app.storage.models import MergeConflict, RecordAncestry, RecordHistory

        history = sorted(
            (h.kind, h.record_id, h.revision, h.reason) for h in s.scalars(select(RecordHistory))
        )
        conflicts = sorted((c.kind, c.record_id) for c in s.scalars(select(MergeConflict)))
        ancestry = sorted((a.kind, a.record_id, a.tag) for a in s.scalars(select(RecordAncestry)))
    files = {
        f
        for f in files_under(library.root)
        if not f.startswith(("library.sqlite3", "library.lock", "cache"))
    }
    return records(library), history, conflicts, ancestry, files


def read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_pack(
    path: Path,
    members: dict[str, bytes],
    *,
    rehash: bool = True,
    manifest_edit: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Write members as a zip; the manifest's hashes are recomputed unless `rehash` is False."""
    members = dict(members)
    manifest = json.loads(members.pop("manifest.json"))
    if rehash:
        manifest["files"] = {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in members.items()
        }
    if manifest_edit:
        manifest_edit(manifest)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))
    return path


def edit_records(members: dict[str, bytes], kind: str, fn: Callable[[list[Any]], None]) -> None:
    name = f"records/{kind}s.json"
    items = json.loads(members[name])
    fn(items)
    members[name] = json.dumps(items, ensure_ascii=False).encode()
