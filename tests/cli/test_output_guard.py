"""No command writes over a file of a library or over the file it reads (issue 13, item 1).

Each command that writes where the user says (`pack export -o`, every `handout` kind, `backup
-o`, `photos export -o`) is pointed at the library's own files, directly, through a symbolic
link and through a hard link: it refuses with one sentence, exit 1, and the library is exactly
as it was and still opens.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.cli import main
from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide
from tests.services.packkit import illustrate


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def fingerprint(root: Path) -> dict[str, str]:
    """Every file of the library folder and its hash (lock files and SQLite's shared-memory
    index aside, and an empty write-ahead log: opening and closing the library leaves those)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not p.name.startswith("library.lock")
        and not p.name.endswith("-shm")
        and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def one_line_refusal(code: int, out: str, err: str) -> None:
    assert code == 1, (code, out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "part of the library" in err, err


def demo_ids(demo_dir: Path) -> tuple[str, str]:
    with Library.open(demo_dir, write=False) as library, library.session() as s:
        guide = s.scalars(select(Guide.id).order_by(Guide.title)).first()
        session = s.scalars(select(FieldSession.id)).one()
    assert guide is not None
    return guide, session


def commands(demo_dir: Path, target: Path) -> dict[str, list[str]]:
    guide, session = demo_ids(demo_dir)
    lib = ["--library", str(demo_dir)]
    out = ["-o", str(target)]
    return {
        "pack export": [*lib, "pack", "export", *out],
        "handout guide": [*lib, "handout", "guide", guide, *out, "--force"],
        "handout session": [*lib, "handout", "session", session, *out],
        "handout pack": [*lib, "handout", "pack", session, *out, "--force"],
        "handout booklet": [*lib, "handout", "booklet", guide, "--title", "书", *out, "--force"],
    }


@pytest.mark.parametrize(
    "name", ["library.sqlite3", "library.sqlite3-wal", "library.lock", "photos/x.pdf"]
)
def test_no_command_writes_over_a_library_file(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    target = demo_dir / name
    for argv in commands(demo_dir, target).values():
        before = fingerprint(demo_dir)
        one_line_refusal(*run(capsys, *argv))
        assert fingerprint(demo_dir) == before
    with Library.open(demo_dir, write=True) as library:
        assert listing.list_rows(library, "guide")


def test_pack_export_over_the_database_is_refused_and_the_library_still_opens(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo_dir / "library.sqlite3"
    before = db.read_bytes()
    one_line_refusal(*run(capsys, "--library", str(demo_dir), "pack", "export", "-o", str(db)))
    assert db.read_bytes() == before
    with Library.open(demo_dir, write=False) as library:
        assert library.library_id


def test_backup_into_the_library_folders_is_refused(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(demo_dir)]
    before = fingerprint(demo_dir)
    for inside in ("backups/mine.zip", "photos/ab/mine.zip", "tmp/mine.zip", "cache/mine.zip"):
        one_line_refusal(*run(capsys, *lib, "backup", "-o", str(demo_dir / inside)))
    assert fingerprint(demo_dir) == before
    # Beside the database (not one of the library's files) is allowed.
    code, _out, err = run(capsys, *lib, "backup", "-o", str(demo_dir / "beside.zip"))
    assert code == 0, err


def test_photos_export_into_the_photo_store_is_refused(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(demo_dir, write=True) as library:
        illustrate(library)
    _guide, session = demo_ids(demo_dir)
    before = fingerprint(demo_dir)
    for inside in ("photos/00", "backups", "cache/thumbs", "tmp"):
        argv = ["--library", str(demo_dir), "photos", "export", "--session", session]
        one_line_refusal(*run(capsys, *argv, "-o", str(demo_dir / inside)))
    assert fingerprint(demo_dir) == before


def test_symbolic_links_are_followed(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link_dir = tmp_path / "looks-harmless"
    link_dir.symlink_to(demo_dir, target_is_directory=True)
    link_file = tmp_path / "harmless.jxpack"
    link_file.symlink_to(demo_dir / "library.sqlite3")
    before = fingerprint(demo_dir)
    for target in (link_dir / "library.sqlite3", link_file, link_dir / "photos" / "x.jxpack"):
        for argv in commands(demo_dir, target).values():
            one_line_refusal(*run(capsys, *argv))
    assert fingerprint(demo_dir) == before
    assert link_file.is_symlink()


def test_hard_links_are_recognised(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(demo_dir, write=True) as library:
        illustrate(library)
    db_link = tmp_path / "copy.jxpack"
    os.link(demo_dir / "library.sqlite3", db_link)
    photo = next(p for p in (demo_dir / "photos").rglob("*") if p.is_file())
    photo_link = tmp_path / "photo.pdf"
    os.link(photo, photo_link)
    before = fingerprint(demo_dir)
    for target in (db_link, photo_link):
        for argv in commands(demo_dir, target).values():
            one_line_refusal(*run(capsys, *argv))
        lib = ["--library", str(demo_dir)]
        zipped = target.with_suffix(".zip")
        os.link(target, zipped)
        one_line_refusal(*run(capsys, *lib, "backup", "-o", str(zipped)))
    assert fingerprint(demo_dir) == before


def test_another_library_is_protected_too(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    assert run(capsys, "--library", str(other), "init")[0] == 0
    before = fingerprint(other)
    argv = ["--library", str(demo_dir), "pack", "export", "-o", str(other / "library.sqlite3")]
    one_line_refusal(*run(capsys, *argv))
    assert fingerprint(other) == before


def test_restore_never_unpacks_over_its_own_source(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "new-library"
    folder.mkdir()
    backup = folder / "backup.zip"
    assert run(capsys, "--library", str(demo_dir), "backup", "-o", str(backup))[0] == 0
    before = backup.read_bytes()
    code, _out, err = run(capsys, "restore", str(backup), "--library", str(folder))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert backup.read_bytes() == before and [p.name for p in folder.iterdir()] == ["backup.zip"]
    # Nor into the library the backup came from, nor into its backups/ folder.
    inside = demo_dir / "backups" / "copy.zip"
    assert run(capsys, "--library", str(demo_dir), "backup", "-o", str(inside))[0] == 1
    code, _out, _err = run(capsys, "restore", str(backup), "--library", str(demo_dir))
    assert code == 1 and backup.read_bytes() == before


IMPORT_SLOWLY = """
import sys, time
from pathlib import Path
from desktop_app.core.progress import Progress
from desktop_app.services import packs
from desktop_app.storage.library import Library

class Pause(Progress):
    def on_step(self, done, total, text):
        if text.startswith("Checking photos"):
            Path(sys.argv[3]).write_text("reading")
            time.sleep(60)

with Library.open(Path(sys.argv[1]), write=True) as library:
    packs.import_pack(library, Path(sys.argv[2]), progress=Pause())
"""


def test_no_backup_over_the_pack_another_process_imports(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jiangxin pack import FILE` runs in one terminal (or the window imports it) while
    `jiangxin backup -o FILE` is typed in another: the backup is refused."""
    import subprocess
    import sys
    import time

    with Library.open(demo_dir, write=True) as library:
        illustrate(library)
    pack = tmp_path / "swap.zip"
    assert run(capsys, "--library", str(demo_dir), "pack", "export", "-o", str(pack))[0] == 0
    before = pack.read_bytes()
    marker = tmp_path / "marker"
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORT_SLOWLY, str(demo_dir), str(pack), str(marker)],
        env={**os.environ, "PYTHONPATH": str(repo)},
        cwd=repo,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        code, out, err = run(capsys, "--library", str(demo_dir), "backup", "-o", str(pack))
        assert code == 1 and out == "" and "being read" in err and len(err.splitlines()) == 1
        code, _out, err = run(capsys, "--library", str(demo_dir), "pack", "export", "-o", str(pack))
        assert code == 1 and "being read" in err
        assert pack.read_bytes() == before
    finally:
        proc.kill()
        proc.wait()
    # The importer is gone: its declaration no longer holds anything back.
    assert run(capsys, "--library", str(demo_dir), "backup", "-o", str(pack))[0] == 0


FULL_DISK = """
import resource, signal, sys
from desktop_app.cli import main

# Writes past 64 KB fail as on a full USB stick (EFBIG instead of ENOSPC).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["backup", "pack export"])
def test_a_full_stick_is_one_sentence_and_leaves_nothing(
    demo_dir: Path, tmp_path: Path, command: str
) -> None:
    import subprocess
    import sys

    with Library.open(demo_dir, write=True) as library:
        illustrate(library)
        from tests.services.packkit import add_photo

        add_photo(library, os.urandom(200 * 1024))  # more than the stick holds
    stick = tmp_path / "stick"
    stick.mkdir()
    repo = Path(__file__).resolve().parents[2]
    before = fingerprint(demo_dir)
    argv = ["--library", str(demo_dir), *command.split(), "-o", str(stick / "out.zip")]
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *argv],
        env={**os.environ, "PYTHONPATH": str(repo), "LANG": "en_US.UTF-8"},
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    # One sentence naming where the write failed (the disk-full or disk-failure sentence).
    assert len(proc.stderr.splitlines()) == 1 and str(stick) in proc.stderr, proc.stderr
    assert list(stick.iterdir()) == []
    assert fingerprint(demo_dir) == before


@pytest.mark.parametrize("build", ["build_signin_sheet", "build_feedback_form"])
def test_sheets_from_the_window_refuse_a_library_file(demo_dir: Path, build: str) -> None:
    """The window calls the services directly: the sheets are guarded there too."""
    from desktop_app.core.errors import UserError
    from desktop_app.services import handouts, listing
    from desktop_app.storage.library import Library

    before = (demo_dir / "library.sqlite3").read_bytes()
    with Library.open(demo_dir, write=False) as library:
        sid = listing.list_ids(library, "session")[0]
        with pytest.raises(UserError):
            getattr(handouts, build)(library, sid, demo_dir / "library.sqlite3")
    assert (demo_dir / "library.sqlite3").read_bytes() == before
