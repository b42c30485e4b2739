"""`check` finds missing and changed photo files, orphans, and a corrupted database page."""

from __future__ import annotations

import hashlib
from pathlib import Path

from desktop_app.services.integrity import check_library
from desktop_app.storage.library import Library
from desktop_app.storage.models import Photo
from desktop_app.storage.photostore import photo_path


def _add_photo(library: Library, data: bytes) -> Path:
    sha = hashlib.sha256(data).hexdigest()
    path = photo_path(library.photos_dir, sha, "jpg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with library.transaction() as s:
        s.add(Photo(sha256=sha, ext="jpg", original_name="a.jpg", byte_size=len(data)))
    return path


def test_clean_library_passes(demo_library: Library) -> None:
    _add_photo(demo_library, b"photo-bytes")
    report = check_library(demo_library)
    assert not report.damaged
    assert report.photos_checked == 1


def test_deleted_photo_file_is_found(demo_library: Library) -> None:
    _add_photo(demo_library, b"photo-bytes").unlink()
    report = check_library(demo_library)
    assert report.damaged
    assert [p.code for p in report.problems] == ["photo_missing"]


def test_changed_photo_file_is_found(demo_library: Library) -> None:
    path = _add_photo(demo_library, b"photo-bytes")
    path.write_bytes(b"tampered")
    assert [p.code for p in check_library(demo_library).problems] == ["photo_corrupt"]


def test_orphans_are_found_and_repair_removes_only_them(demo_library: Library) -> None:
    kept = _add_photo(demo_library, b"keep")
    orphan = demo_library.photos_dir / "ab" / ("ab" + "0" * 62 + ".jpg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    temp = demo_library.photos_dir / "ab" / ".incoming.part"
    temp.write_bytes(b"half")
    report = check_library(demo_library)
    assert sorted(p.code for p in report.problems) == ["orphan_file", "temp_file"]
    repaired = check_library(demo_library, repair=True)
    assert not repaired.damaged
    assert kept.exists() and not orphan.exists() and not temp.exists()
    assert not check_library(demo_library).problems


def test_corrupted_database_page_is_found(demo_dir: Path) -> None:
    db = demo_dir / "library.sqlite3"
    raw = bytearray(db.read_bytes())
    page = 4096
    assert len(raw) > 6 * page
    raw[3 * page : 3 * page + 200] = b"\xff" * 200  # smash a b-tree page header
    db.write_bytes(bytes(raw))
    with Library.open(demo_dir, write=False) as library:
        report = check_library(library)
    assert report.damaged
    assert report.problems[0].code == "database_corrupt"
