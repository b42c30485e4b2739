"""`fsutil.check_destination`: the guard every command runs on a destination the user chose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import check_destination, reading


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """A folder laid out as a library (the guard looks at names, not at the database)."""
    root = tmp_path / "lib"
    for sub in ("photos/ab", "backups", "tmp", "cache/thumbs/ab"):
        (root / sub).mkdir(parents=True)
    (root / "library.sqlite3").write_bytes(b"SQLite format 3\0")
    (root / "library.lock").write_bytes(b"")
    (root / "photos/ab/ab12.jpg").write_bytes(b"photo")
    (root / "backups/pre-import-1.sqlite3").write_bytes(b"copy")
    return root


@pytest.mark.parametrize(
    "inside",
    [
        "library.sqlite3",
        "library.sqlite3-wal",
        "library.sqlite3-shm",
        "library.sqlite3-journal",
        "library.lock",
        "library.lock.json",
        "photos/ab/ab12.jpg",
        "photos/new.jxpack",
        "backups/pre-import-1.sqlite3",
        "backups/mine.zip",
        "tmp/x.pdf",
        "cache/thumbs/ab/x.jpg",
    ],
)
def test_library_files_are_refused(lib: Path, inside: str) -> None:
    with pytest.raises(UserError, match="part of the library"):
        check_destination(lib / inside)
    with pytest.raises(UserError, match="part of the library"):
        check_destination(lib / inside, libraries=[lib])


def test_other_places_are_allowed(lib: Path, tmp_path: Path) -> None:
    for target in (lib / "handout.pdf", lib / "exports" / "all.jxpack", tmp_path / "x.zip"):
        check_destination(target, libraries=[lib])


def test_links_lead_to_the_library(lib: Path, tmp_path: Path) -> None:
    (tmp_path / "dir-link").symlink_to(lib, target_is_directory=True)
    (tmp_path / "file-link.pdf").symlink_to(lib / "library.sqlite3")
    os.link(lib / "library.sqlite3", tmp_path / "hard.jxpack")
    os.link(lib / "photos/ab/ab12.jpg", tmp_path / "hard-photo.pdf")
    os.link(lib / "backups/pre-import-1.sqlite3", tmp_path / "hard-backup.zip")
    for target in (
        tmp_path / "dir-link" / "library.sqlite3",
        tmp_path / "dir-link" / "photos" / "x.zip",
        tmp_path / "file-link.pdf",
        tmp_path / "hard.jxpack",
        tmp_path / "hard-photo.pdf",
        tmp_path / "hard-backup.zip",
    ):
        with pytest.raises(UserError, match="part of the library"):
            check_destination(target, libraries=[lib])
    # A hard-linked file that is not the library's is fine.
    (tmp_path / "mine.pdf").write_bytes(b"x")
    os.link(tmp_path / "mine.pdf", tmp_path / "mine2.pdf")
    check_destination(tmp_path / "mine2.pdf", libraries=[lib])


def test_a_file_being_read_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "swap.jxpack"
    source.write_bytes(b"pack")
    os.link(source, tmp_path / "same.zip")
    with reading(source):
        for target in (source, tmp_path / "same.zip", tmp_path / "." / "swap.jxpack"):
            with pytest.raises(UserError, match="being read"):
                check_destination(target)
        with reading(source):  # two readers: still read after the inner one ends
            pass
        with pytest.raises(UserError, match="being read"):
            check_destination(source)
    check_destination(source)
    other = tmp_path / "other.zip"
    other.write_bytes(b"x")
    with pytest.raises(UserError, match="being read"):
        check_destination(other, reading=[other])
