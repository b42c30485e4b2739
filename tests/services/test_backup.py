"""Backups: a consistent snapshot while the library is being written, restore, and refusals."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.errors import ImportRejectedError, LibraryError
from desktop_app.services import catalog
from desktop_app.services.backup import (
    automatic_backup,
    automatic_backups,
    create_backup,
    restore_backup,
)
from desktop_app.services.integrity import check_library
from desktop_app.storage.library import Library
from desktop_app.storage.models import Guide, ServiceTeam
from tests.services.packkit import illustrate, photo_bytes, read_members, records


def test_backup_and_restore_give_the_same_library(demo_library: Library, tmp_path: Path) -> None:
    illustrate(demo_library)
    result = create_backup(demo_library, tmp_path / "backup")
    assert result.path.name == "backup.zip" and result.photos == 7
    target = restore_backup(result.path, tmp_path / "restored")
    with Library.open(target, write=True) as restored:
        assert records(restored) == records(demo_library)
        assert photo_bytes(restored) == photo_bytes(demo_library)
        assert restored.library_id == demo_library.library_id
        assert not check_library(restored).damaged


def test_backup_while_a_write_is_in_progress(demo_library: Library, tmp_path: Path) -> None:
    illustrate(demo_library)
    committed = len(records(demo_library))
    stop = threading.Event()
    saved: list[str] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            n = 0
            while not stop.is_set():
                saved.append(catalog.save_guide(demo_library, catalog.GuideData(title=f"写入{n}")))
                n += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = create_backup(demo_library, tmp_path / "busy.zip")
        second = create_backup(demo_library, tmp_path / "busy2.zip")
    finally:
        stop.set()
        thread.join()
    # A transaction that has written but not committed while the snapshot is taken.
    with demo_library.transaction() as s:
        s.add(ServiceTeam(name="未提交的服务队"))
        s.flush()
        third = create_backup(demo_library, tmp_path / "busy3.zip")
    assert not errors
    assert saved, "the writer never got to write"
    for n, backup in enumerate((result.path, second.path, third.path)):
        target = restore_backup(backup, tmp_path / f"restored{n}")
        with Library.open(target, write=True) as restored:
            assert not check_library(restored).damaged
            names = {v.get("name") for v in records(restored).values()}
            assert "未提交的服务队" not in names
            count = len(records(restored))
            assert committed <= count <= committed + len(saved)
            with restored.session() as s:
                # Every guide in the snapshot is whole (the writer's saves are atomic).
                assert all(g.title for g in s.query(Guide))


def test_restore_refuses_a_folder_that_is_not_empty(demo_library: Library, tmp_path: Path) -> None:
    backup = create_backup(demo_library, tmp_path / "b.zip").path
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(LibraryError, match="not an empty folder"):
        restore_backup(backup, busy)
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    with pytest.raises(LibraryError, match="already a library"):
        restore_backup(backup, demo_library.root)


def _rewrite(source: Path, target: Path, edit: dict[str, bytes]) -> Path:
    members = read_members(source)
    members.update(edit)
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return target


@pytest.mark.parametrize(
    "edit,message",
    [
        ({"library.sqlite3": b"SQLite format 3\x00 but damaged"}, "checksum"),
        ({"../../escape.txt": b"x"}, "unsafe file path"),
        ({"photos/zz/readme.txt": b"x"}, "unexpected file"),
    ],
)
def test_restore_refuses_damaged_or_hostile_backups(
    demo_library: Library, tmp_path: Path, edit: dict[str, bytes], message: str
) -> None:
    illustrate(demo_library)
    good = create_backup(demo_library, tmp_path / "good.zip").path
    bad = _rewrite(good, tmp_path / "bad.zip", edit)
    with pytest.raises(ImportRejectedError, match=message):
        restore_backup(bad, tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert not (tmp_path.parent / "escape.txt").exists()


def test_restore_refuses_a_pack_or_random_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"nope")
    with pytest.raises(ImportRejectedError, match="not a zip"):
        restore_backup(junk, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_automatic_backups_are_pruned(demo_library: Library) -> None:
    made = [automatic_backup(demo_library, "import", keep=3) for _ in range(5)]
    kept = automatic_backups(demo_library)
    assert kept == made[-3:]
    assert all(p.stat().st_size > 0 for p in kept)


def test_no_backup_over_the_pack_being_imported(
    demo_library: Library, empty_library: Library, tmp_path: Path
) -> None:
    """In the window an import and a backup can run at once: the backup may not replace the
    pack the import is reading."""
    from desktop_app.core.errors import UserError
    from desktop_app.core.progress import Progress
    from desktop_app.services import packs

    illustrate(demo_library)
    pack = packs.export_pack(demo_library, tmp_path / "swap.zip").path
    refused: list[str] = []

    class BackUpMeanwhile(Progress):
        def on_step(self, done: int, total: int, text: str) -> None:
            if text.startswith("Checking photos") and not refused:
                with pytest.raises(UserError) as error:
                    create_backup(demo_library, pack)
                refused.append(str(error.value))

    packs.import_pack(empty_library, pack, progress=BackUpMeanwhile())
    assert refused and "being read" in refused[0]
    # Once the import is done, the file may be written again.
    assert create_backup(demo_library, pack).path == pack


# --- leftovers of killed backups ------------------------------------------------------------


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def _many_photos(library: Library, count: int, size: int) -> None:
    """Photos of incompressible bytes written straight into the store (a slow backup)."""
    import hashlib
    import os

    from desktop_app.storage.models import Photo
    from desktop_app.storage.photostore import photo_path

    with library.transaction() as s:
        for n in range(count):
            data = os.urandom(size)
            sha = hashlib.sha256(data).hexdigest()
            path = photo_path(library.photos_dir, sha, "jpg")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            s.add(
                Photo(
                    sha256=sha,
                    ext="jpg",
                    original_name=f"{n}.jpg",
                    byte_size=size,
                    width=10,
                    height=10,
                )
            )


def test_a_killed_backup_leaves_nothing_in_the_temp_folder_and_the_next_cleans_up(
    demo_dir: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from desktop_app.cli import main

    with Library.open(demo_dir, write=True) as library:
        _many_photos(library, 400, 256 * 1024)
    dest = tmp_path / "u盘"
    dest.mkdir()
    private_tmp = tmp_path / "system-temp"
    private_tmp.mkdir()
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TMPDIR": str(private_tmp), "PYTHONPATH": str(repo)}
    cmd = [sys.executable, "-m", "desktop_app", "--library", str(demo_dir), "backup", "-o"]
    proc = subprocess.Popen([*cmd, str(dest / "first.zip")], env=env, cwd=repo)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".part") for p in dest.iterdir()):
            assert proc.poll() is None, "the backup ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = sorted(p.name for p in dest.iterdir())
    assert left and all(name.startswith(".jiangxin-backup-") for name in left), left
    assert not (dest / "first.zip").exists()
    # The snapshot was never in the system's temporary folder.
    assert list(private_tmp.iterdir()) == []
    # The next backup to that folder removes what the killed one left, and nothing else.
    (dest / "notes.txt").write_text("mine")
    assert main(["--library", str(demo_dir), "backup", "-o", str(dest / "second.zip")]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt", "second.zip"]


def test_leftovers_of_a_running_backup_are_kept(tmp_path: Path) -> None:
    import os

    from desktop_app.core.leftovers import remove_backup_leftovers as remove_leftovers

    mine = tmp_path / f".jiangxin-backup-{os.getpid()}-0123abcd.sqlite3"
    dead = tmp_path / f".jiangxin-backup-{_dead_pid()}-0123abcd.sqlite3"
    dead_zip = tmp_path / f".jiangxin-backup-{_dead_pid()}-89abcdef.x7y.part"
    other = tmp_path / ".jiangxin-backup-notes.txt"
    for path in (mine, dead, dead_zip, other):
        path.write_bytes(b"x")
    assert sorted(remove_leftovers(tmp_path)) == sorted([dead, dead_zip])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])


# --- leftovers of killed backups and restores, cleaned at the next start (issue 13) -----------

KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from desktop_app.core.progress import Progress
from desktop_app.services.backup import create_backup, restore_backup
from desktop_app.storage.library import Library

class Kill(Progress):
    def on_step(self, done, total, text):
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle: nothing runs after it

what, source, target = sys.argv[1:4]
if what == "backup":
    with Library.open(Path(source), write=False) as library:
        create_backup(library, Path(target), progress=Kill())
else:
    restore_backup(Path(source), Path(target), progress=Kill())
"""


def _killed(what: str, source: Path, target: Path) -> None:
    """Run a backup or restore in another process and kill it -9 at its first progress step,
    with the snapshot / the staging folder written."""
    import os
    import signal
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, what, str(source), str(target)],
        env={**os.environ, "PYTHONPATH": str(repo)},
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".jiangxin-"))


def test_what_a_killed_backup_left_on_a_stick_is_removed_when_a_library_next_opens(
    demo_dir: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "u盘"
    stick.mkdir()
    (stick / "notes.txt").write_text("mine")
    _killed("backup", demo_dir, stick / "backup.zip")
    left = _hidden(stick)
    # The database snapshot (phone numbers and all) and the zip being written are there.
    assert any(n.endswith(".sqlite3") for n in left) and any(n.endswith(".part") for n in left)
    # The next start of the app: any library opened, here read-only (`jiangxin list`).
    with Library.open(demo_dir, write=False):
        pass
    assert sorted(p.name for p in stick.iterdir()) == ["notes.txt"]


def test_the_next_backup_anywhere_removes_what_a_killed_one_left(
    demo_library: Library, demo_dir: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    _killed("backup", demo_dir, stick / "backup.zip")
    assert _hidden(stick)
    create_backup(demo_library, tmp_path / "elsewhere" / "b.zip")
    assert list(stick.iterdir()) == []


def test_a_killed_restore_is_cleaned_at_the_next_start_of_a_library_or_a_restore(
    demo_library: Library, tmp_path: Path
) -> None:
    good = create_backup(demo_library, tmp_path / "b.zip").path
    place = tmp_path / "restores"
    place.mkdir()
    _killed("restore", good, place / "restored")
    staged = _hidden(place)
    assert staged and not (place / "restored").exists()
    # The staging folder held the whole database: gone at the next start of any library.
    demo_library.close()
    with Library.open(demo_library.root, write=True):
        pass
    assert _hidden(place) == []
    # ... and at the start of the next restore, into another folder.
    _killed("restore", good, place / "again")
    assert _hidden(place)
    restore_backup(good, tmp_path / "other" / "restored")
    assert _hidden(place) == []


def test_a_running_backup_or_restore_is_never_cleaned_and_a_missing_stick_is_remembered(
    demo_dir: Path, tmp_path: Path
) -> None:
    from desktop_app.core import leftovers

    here = tmp_path / "here"
    here.mkdir()
    running = here / f".jiangxin-backup-{__import__('os').getpid()}-0123abcd.sqlite3"
    running.write_bytes(b"x")
    with leftovers.working_in(here):
        assert leftovers.clean_noted() == []
        assert running.exists()
    # A stick that is out when the library opens: its note waits until it is back.
    stick = tmp_path / "stick"
    stick.mkdir()
    _killed("backup", demo_dir, stick / "b.zip")
    out = tmp_path / "out-of-the-computer"
    stick.rename(out)
    assert leftovers.clean_noted() == []
    out.rename(stick)
    assert leftovers.clean_noted() and list(stick.iterdir()) == []
    running.unlink()
