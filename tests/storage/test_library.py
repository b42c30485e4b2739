"""Opening, creating and locking library folders, and refusing bad ones without changing them.

SQLite only: a library is a folder with a SQLite file, its lock and its backups; a server
database has none of them (the store-level tests run on both: tests/stores.py)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.errors import LibraryError, LibraryLockedError
from desktop_app.core.i18n import set_language
from desktop_app.services import listing
from desktop_app.storage import library as library_module
from desktop_app.storage.library import Library
from desktop_app.storage.models import LibraryMeta


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_create_makes_the_folder_layout(tmp_path: Path) -> None:
    with Library.create(tmp_path / "lib", name="丰台") as library:
        assert library.db_path.is_file()
        assert library.photos_dir.is_dir()
        assert library.thumbs_dir.is_dir()
        assert library.name == "丰台"
        assert len(library.library_id) == 36
        with library.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_create_refuses_a_non_empty_folder_and_leaves_it_alone(tmp_path: Path) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(LibraryError, match="not an empty folder"):
        Library.create(folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_second_writer_is_refused_with_a_clear_message(demo_dir: Path) -> None:
    with Library.open(demo_dir, write=True):
        with pytest.raises(LibraryLockedError, match="is in use by"):
            Library.open(demo_dir, write=True)
        # Readers are still welcome (the CLI can list while the window is open).
        with Library.open(demo_dir, write=False) as reader:
            assert reader.read_only
    with Library.open(demo_dir, write=True):
        pass  # the lock was released on close


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library"):
        Library.open(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()


def test_folder_that_is_not_a_library(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    before = _tree_digest(tmp_path)
    with pytest.raises(LibraryError, match="not a Jiangxin library"):
        Library.open(tmp_path)
    assert _tree_digest(tmp_path) == before


def test_damaged_database_file(tmp_path: Path) -> None:
    (tmp_path / "library.sqlite3").write_bytes(b"this is not sqlite" * 100)
    before = _tree_digest(tmp_path)
    with pytest.raises(LibraryError, match="damaged or not a Jiangxin database"):
        Library.open(tmp_path)
    assert _tree_digest(tmp_path) == before


def test_database_from_a_newer_version_is_refused_untouched(demo_dir: Path) -> None:
    conn = sqlite3.connect(demo_dir / "library.sqlite3")
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    before = _tree_digest(demo_dir)
    with pytest.raises(LibraryError, match="newer version"):
        Library.open(demo_dir, write=True)
    assert _tree_digest(demo_dir) == before


def test_read_only_folder_refuses_writes_but_allows_reading(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod cannot make a folder read-only; simulate the medium.
    monkeypatch.setattr(library_module, "_is_writable_dir", lambda _path: False)
    before = _tree_digest(demo_dir)
    with pytest.raises(LibraryError, match="read-only"):
        Library.open(demo_dir, write=True)
    with Library.open(demo_dir, write=False) as library:
        with library.session() as s:
            assert s.execute(select(LibraryMeta)).first()
        # The lists' plain sqlite3 reader works on read-only media too.
        assert listing.list_ids(library, "team")
        assert library.name
    assert _tree_digest(demo_dir) == before


def test_create_in_read_only_place_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_module, "_is_writable_dir", lambda _path: False)
    with pytest.raises(LibraryError, match="read-only"):
        Library.create(tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_write_that_waits_out_the_busy_timeout_is_a_sentence_and_changes_nothing(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: "database is locked" never reaches a user."""
    from desktop_app.core.errors import LibraryBusyError
    from desktop_app.services import catalog
    from desktop_app.storage import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.2)
    with Library.open(demo_dir, write=True) as library:
        before = listing.list_ids(library, "team")
        # Another writer (a process that ignored the lock file) holds the write lock.
        other = sqlite3.connect(library.db_path, timeout=0.2)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(LibraryBusyError) as caught:
                catalog.save_team(library, catalog.TeamData(name="新团队", category="technical"))
        finally:
            other.rollback()
            other.close()
        assert "database is locked" not in str(caught.value)
        assert "busy" in str(caught.value)
        assert listing.list_ids(library, "team") == before
        # Once the other writer is gone, the same save goes through.
        catalog.save_team(library, catalog.TeamData(name="新团队", category="technical"))
        assert len(listing.list_ids(library, "team")) == len(before) + 1


# --- files a writer must change that it may not (issue 13) -----------------------------------

LIBRARY_FILES = ["library.sqlite3", "library.sqlite3-wal", "library.lock", "library.lock.json"]


def _make_unwritable(root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`name` in `root` exists and may not be written, in a writable folder."""
    path = root / name
    if not path.exists():
        path.write_bytes(b"")  # an empty -wal, lock or lock information is what SQLite leaves
    path.chmod(0o444)
    if os.geteuid() == 0:  # root writes read-only files: make the check see what a user sees
        real = library_module._file_writable
        monkeypatch.setattr(library_module, "_file_writable", lambda p: p != path and real(p))


@pytest.mark.parametrize("name", LIBRARY_FILES)
def test_an_unwritable_library_file_in_a_writable_folder_is_one_sentence(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _make_unwritable(demo_dir, name, monkeypatch)
    before = _tree_digest(demo_dir)
    set_language("zh_CN")
    with pytest.raises(LibraryError) as caught:
        Library.open(demo_dir, write=True)
    message = str(caught.value)
    assert name in message and "只读" in message, message
    set_language("en")
    assert _tree_digest(demo_dir) == before
    # Reading still works: the lists and `show` need no write.
    with Library.open(demo_dir, write=False) as library:
        assert listing.list_ids(library, "team")


@pytest.mark.parametrize("name", LIBRARY_FILES)
def test_the_cli_says_the_same_sentence_and_exits_1(
    demo_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    from desktop_app.cli import main

    _make_unwritable(demo_dir, name, monkeypatch)
    before = _tree_digest(demo_dir)
    code = main(["--library", str(demo_dir), "--lang", "zh_CN", "photos", "cleanup", "--yes"])
    _out, err = capsys.readouterr()
    set_language("en")
    assert code == 1
    assert name in err and "只读" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert _tree_digest(demo_dir) == before


@pytest.mark.parametrize("name", ["library.lock", "library.lock.json"])
def test_a_lock_file_that_cannot_be_opened_is_one_sentence_too(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Whatever the check before it missed (here: the file is a folder), taking the lock or
    writing who holds it fails with the sentence, and the lock is not left taken."""
    monkeypatch.setattr(library_module, "_unwritable_file", lambda _root: None)
    (demo_dir / name).unlink(missing_ok=True)
    (demo_dir / name).mkdir()
    with pytest.raises(LibraryError, match=name.replace(".", r"\.")):
        Library.open(demo_dir, write=True)
    (demo_dir / name).rmdir()
    with Library.open(demo_dir, write=True) as library:  # the lock was released
        assert library.name
