"""The message for a locked library names who holds it (issue 13, item 8): a window or which
command, with its process id; information left by a process that is gone is ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from desktop_app.cli import main
from desktop_app.core.errors import LibraryLockedError
from desktop_app.storage import library as library_module
from desktop_app.storage.library import HOLDER_WINDOW, Library, set_lock_holder

REPO = Path(__file__).resolve().parents[2]

SLOW_CHECK = """
import sys, time
from pathlib import Path
import desktop_app.cli.library_cmds as cmds
from desktop_app.cli import main

real = cmds.check_library

def slow(library, **kw):
    Path(sys.argv[2]).write_text("locked")
    time.sleep(60)
    return real(library, **kw)

cmds.check_library = slow
sys.exit(main(["--library", sys.argv[1], "check", "--repair"]))
"""


@pytest.fixture(autouse=True)
def _no_holder() -> Iterator[None]:
    set_lock_holder("")
    yield
    set_lock_holder("")


def test_the_message_names_the_command_that_holds_the_lock(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LANG": "en_US.UTF-8"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_CHECK, str(demo_dir), str(marker)], env=env, cwd=REPO
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        with pytest.raises(LibraryLockedError) as error:
            Library.open(demo_dir, write=True)
        message = str(error.value)
        assert "the command “jiangxin check”" in message and f"process {proc.pid}" in message
        assert "window" not in message
        code = main(["--library", str(demo_dir), "photos", "cleanup", "--yes"])
        err = capsys.readouterr().err
        assert code == 1 and "the command “jiangxin check”" in err and len(err.splitlines()) == 1
    finally:
        proc.kill()
        proc.wait()
    # Killed: the lock is free again, and its stale information misleads no one.
    with Library.open(demo_dir, write=True):
        info = json.loads((demo_dir / "library.lock.json").read_text())
        assert info["pid"] == os.getpid()
    assert not (demo_dir / "library.lock.json").exists()


def test_the_message_names_a_window(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_lock_holder(HOLDER_WINDOW)
    with Library.open(demo_dir, write=True):
        code = main(["--library", str(demo_dir), "pack", "import", "x.jxpack"])
        err = capsys.readouterr().err
    assert code == 1
    assert f"already open in a Jiangxin window (process {os.getpid()})" in err


def test_stale_information_is_ignored(demo_dir: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    info = {
        "pid": int(dead.stdout),
        "host": library_module.socket.gethostname(),
        "program": HOLDER_WINDOW,
        "command": "",
    }
    (demo_dir / "library.lock.json").write_text(json.dumps(info))
    # Held by something that wrote no information of its own (e.g. an older version).
    held = FileLock(demo_dir / "library.lock", timeout=0)
    held.acquire()
    try:
        with pytest.raises(LibraryLockedError) as error:
            Library.open(demo_dir, write=True)
        assert "another Jiangxin window or command" in str(error.value)
        assert "process" not in str(error.value)
    finally:
        held.release()
    # Damaged information is ignored as well.
    (demo_dir / "library.lock.json").write_text("{not json")
    held.acquire()
    try:
        with pytest.raises(LibraryLockedError, match="another Jiangxin window or command"):
            Library.open(demo_dir, write=True)
    finally:
        held.release()
