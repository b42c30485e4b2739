"""What killed backups and restores leave behind, and removing it at the next start.

A backup writes its database snapshot (members' phone numbers included) and the zip it is
writing beside its destination, under hidden names (`.jiangxin-backup-<pid>-<random>…`); a
restore unpacks into a hidden folder beside its target (`.jiangxin-restore-…`, with a `.lock`
held while it runs). Killed (`kill -9`, a crash, the power), they stay there, in a folder that
no library knows of: a USB stick, the desktop.

So each of them first notes the folder it works in, with its process id, in
`pending-work.json` in the user's settings folder, and removes the note when it ends. The next
start of a library (`Library.open`, the window's and every command's), of a backup and of a
restore removes what a process that is gone left in each noted folder, then the note. A folder
that is not there (the stick is out) keeps its note until it is back, for up to `KEEP_DAYS`.

All of this is best effort: a settings folder that cannot be written never stops a backup.
Only the hidden names below are ever removed, and only those of processes that are gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from desktop_app.core import paths
from desktop_app.core.fsutil import pid_alive

NOTES_NAME = "pending-work.json"
KEEP_DAYS = 90
MAX_NOTES = 200

# Files a backup writes beside its destination while it runs: the database snapshot
# (`<prefix><pid>-<random>.sqlite3`, while copied `.sqlite3.part`, with SQLite's -wal/-shm/
# -journal) and the zip being written (`<prefix><pid>-<random>.<random>.part`).
BACKUP_PREFIX = ".jiangxin-backup-"
_BACKUP_RE = re.compile(re.escape(BACKUP_PREFIX) + r"(\d+)-[0-9a-f]{8}\..*")
# A restore's staging folder (`<prefix><random>`) and the lock it holds while it runs
# (`<folder>.lock`).
RESTORE_PREFIX = ".jiangxin-restore-"


def remove_backup_leftovers(folder: Path) -> list[Path]:
    """Remove what killed backups left in `folder` (files of processes that are gone)."""
    removed: list[Path] = []
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(BACKUP_PREFIX)]
    except OSError:
        return removed
    for path in names:
        match = _BACKUP_RE.fullmatch(path.name)
        if match is None or not path.is_file() or pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def remove_abandoned_staging(parent: Path) -> list[Path]:
    """Remove what killed restores left in `parent`: staging folders whose lock is free."""
    from filelock import FileLock, Timeout

    removed: list[Path] = []
    try:
        locks = list(parent.glob(f"{RESTORE_PREFIX}*.lock"))
    except OSError:
        return removed
    for lock_path in locks:
        folder = lock_path.with_suffix("")
        lock = FileLock(lock_path, timeout=0)
        try:
            lock.acquire()
        except (Timeout, OSError):
            continue  # a restore is still running there
        try:
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        finally:
            lock.release()
            with contextlib.suppress(OSError):
                lock_path.unlink(missing_ok=True)
    return removed


# --- the notes ----------------------------------------------------------------------------


def _notes_path() -> Path:
    return paths.config_dir() / NOTES_NAME


@contextlib.contextmanager
def _notes() -> Iterator[list[dict[str, Any]]]:
    """The notes, under a lock, written back (atomically) when the block ends."""
    from filelock import FileLock

    path = _notes_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock", timeout=10):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            notes = [n for n in data.get("notes", []) if _valid(n)]
        except (OSError, ValueError, AttributeError):
            notes = []  # missing or damaged: nothing is known to be pending
        before = list(notes)
        yield notes
        if notes != before:
            temp = path.with_name(f".{path.name}.{os.getpid()}.part")
            try:
                temp.write_text(json.dumps({"notes": notes[-MAX_NOTES:]}), encoding="utf-8")
                os.replace(temp, path)
            finally:
                with contextlib.suppress(OSError):
                    temp.unlink(missing_ok=True)


def _valid(note: Any) -> bool:
    return (
        isinstance(note, dict)
        and isinstance(note.get("folder"), str)
        and isinstance(note.get("pid"), int)
        and isinstance(note.get("host"), str)
        and isinstance(note.get("since"), str)
    )


@contextlib.contextmanager
def working_in(folder: Path) -> Iterator[None]:
    """Note that this process writes hidden working files in `folder` until the block ends
    (a killed process never removes its note: the next start cleans the folder)."""
    note = {
        "folder": str(Path(folder).absolute()),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(),
    }
    with contextlib.suppress(Exception), _notes() as notes:
        notes.append(note)
    try:
        yield
    finally:
        with contextlib.suppress(Exception), _notes() as notes:
            if note in notes:
                notes.remove(note)


def clean_noted() -> list[Path]:
    """Remove what killed backups and restores left in the folders they noted; returns what
    was removed. Never raises: a start must not fail for this."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        if not _notes_path().is_file():
            return removed  # nothing was ever left unfinished: the usual start costs one stat
    with contextlib.suppress(Exception), _notes() as notes:
        host = socket.gethostname()
        keep: list[dict[str, Any]] = []
        for note in notes:
            if note["host"] != host or pid_alive(note["pid"]):
                keep.append(note)  # still running (or another computer's: not ours to judge)
                continue
            folder = Path(note["folder"])
            if not folder.is_dir():
                try:
                    since = datetime.fromisoformat(note["since"])
                    recent = datetime.now(UTC) - since < timedelta(days=KEEP_DAYS)
                except (ValueError, TypeError):
                    recent = False
                if recent:
                    keep.append(note)  # a stick that is out: cleaned when it is back
                continue
            removed += remove_backup_leftovers(folder)
            removed += remove_abandoned_staging(folder)
        notes[:] = keep
    return removed
