"""Safe file writes: atomic writes (temp file in the target folder, fsync, rename, fsync the
folder) and the guard every command runs on a destination the user chose.

`check_destination` refuses a destination that is a file of a library (its database, the
database's -wal/-shm/-journal, its lock, anything under photos/, backups/, tmp/ or cache/) or a
file the app is reading at the time (`reading`). Symbolic links are resolved and a hard link
(the same file under another name) is recognised by its inode, so a mistyped `-o` can never
replace a library's database with a zip or a PDF.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from desktop_app.core import paths
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _

# Files and folders directly inside a library folder that no output may replace or enter.
LIBRARY_FILES = (
    paths.DATABASE_NAME,
    paths.DATABASE_NAME + "-wal",
    paths.DATABASE_NAME + "-shm",
    paths.DATABASE_NAME + "-journal",
    paths.LOCK_NAME,
    paths.LOCK_INFO_NAME,
)
LIBRARY_FOLDERS = (paths.PHOTOS_DIR, paths.BACKUPS_DIR, paths.TMP_DIR, paths.CACHE_DIR)

_reading_lock = threading.Lock()
_reading: dict[Path, int] = {}  # files this process is reading now -> how many readers


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Declare that this process reads `path` until the block ends: meanwhile no write
    guarded by `check_destination` may replace it (e.g. a backup onto the pack being imported)."""
    key = Path(path).resolve()
    with _reading_lock:
        _reading[key] = _reading.get(key, 0) + 1
    try:
        yield
    finally:
        with _reading_lock:
            _reading[key] -= 1
            if not _reading[key]:
                del _reading[key]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this computer."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by another user
    return True


def read_lock_info(root: Path) -> dict[str, object] | None:
    """What the holder of a library's write lock wrote about itself (`library.lock.json`,
    see storage.library), or None when missing, damaged or left by a process that is gone."""
    try:
        info = json.loads((root / paths.LOCK_INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int):
        return None
    if info.get("host") == socket.gethostname() and not pid_alive(info["pid"]):
        return None
    return info


def _declared_reading(root: Path) -> list[Path]:
    """Files the process holding `root`'s write lock declared it is reading (an import's
    pack), so that another process's backup does not replace them meanwhile."""
    info = read_lock_info(root)
    found = info.get("reading") if info is not None else None
    if not isinstance(found, list):
        return []
    return [Path(p) for p in found if isinstance(p, str)]


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _library_roots(path: Path, extra: Iterable[Path]) -> list[Path]:
    """Library folders `path` may be part of: the given ones and every folder above it
    that holds a library database."""
    roots = [Path(r).resolve() for r in extra]
    for parent in path.parents:
        if parent not in roots and (parent / paths.DATABASE_NAME).is_file():
            roots.append(parent)
    return roots


def _linked_into(identity: tuple[int, int], folder: Path) -> bool:
    """Whether a file under `folder` is the file `identity` (a hard link). The inode comes
    from the directory listing, so this costs one listing per folder, not a stat per file."""
    ino = identity[1]
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.inode() == ino and _identity(Path(entry.path)) == identity:
                        return True
        except OSError:
            continue
    return False


def check_destination(
    target: Path,
    *,
    libraries: Iterable[Path] = (),
    reading: Iterable[Path] = (),
) -> None:
    """Refuse (`UserError`) to write `target` when it is part of a library (see the module
    docstring) or a file being read: `reading`, one declared with `reading()` in this
    process, or one the holder of a library's write lock declared in its lock information.

    `libraries`: folders of libraries the caller has open; libraries above `target` are found
    on their own. Call it for every file a command writes at a place the user chose.
    """
    target = Path(target).expanduser().absolute()
    resolved = target.resolve()
    roots = _library_roots(resolved, libraries)
    with _reading_lock:
        sources = [*_reading, *(Path(p).resolve() for p in reading)]
    for root in roots:
        sources.extend(_declared_reading(root))
    identity = _identity(resolved)
    for source in sources:
        if resolved == source or (identity is not None and identity == _identity(source)):
            raise UserError(
                _("{path} is the file being read; choose another file to write.").format(
                    path=target
                )
            )
    for root in roots:
        refuse = UserError(
            _(
                "{path} is part of the library at {library}; choose a place outside the "
                "library folder."
            ).format(path=target, library=root)
        )
        if resolved == root or resolved in root.parents:
            raise refuse
        if root in resolved.parents:
            first = resolved.relative_to(root).parts[0]
            if first in LIBRARY_FILES or first in LIBRARY_FOLDERS:
                raise refuse
        if identity is None:
            continue
        if any(identity == _identity(root / name) for name in LIBRARY_FILES):
            raise refuse
        try:
            links = resolved.stat().st_nlink
        except OSError:
            links = 1
        if links > 1 and any(_linked_into(identity, root / name) for name in LIBRARY_FOLDERS):
            raise refuse


def fsync_dir(path: Path) -> None:
    """Make a rename durable. Not possible on Windows, where it is not needed."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path, *, drop_cache: bool = False) -> None:
    """Flush a written file's data to disk (Windows needs it opened for writing for that).

    `drop_cache`: then hand its clean pages back to the OS (Linux), for files nothing will read
    soon: they are reused for the next writes instead of pushing the user's files out of the
    cache (as `rsync --drop-cache` does)."""
    flags = os.O_RDONLY if os.name == "posix" else os.O_RDWR | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
        if drop_cache and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(
    target: Path, mode: str = "wb", *, prefix: str | None = None
) -> Iterator[IO[bytes]]:
    """Yield a file object; on success the data replaces `target` in one rename.

    On any exception the temporary file is removed and `target` is untouched. The temporary
    file is `<prefix><random>.part` beside `target` (default prefix: `.<name>.`).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}." if prefix is None else prefix, suffix=".part", dir=target.parent
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def writing_to(target: Path) -> Iterator[None]:
    """Turn a failure to write `target` or its temporary file beside it (a full disk or USB
    stick, no permission) into one sentence; other errors pass through."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename).parent != Path(target).parent:
            raise
        raise UserError(
            _("Cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_writer(target) as handle:
        handle.write(data)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))
