"""A library is a folder: the SQLite database, the photo store, a thumbnail cache, backups.

Opening a library does not import SQLAlchemy (about 300 ms with the models on the machines we
measure): the engine is made on first use, and `reader()` gives the lists a plain `sqlite3`
connection, so the window can show its first screen while the ORM is still loading.

`Library.open` refuses with a one-line `LibraryError` (and touches nothing) when the folder is
missing, is not a library, is damaged, was written by a newer app, is read-only, or is open for
writing in another instance. An older library is backed up and migrated.

Who holds the write lock (a window or which command, its process id and computer) is written to
`library.lock.json` beside the lock when it is taken, so that a refused open can name the holder;
information whose process is gone is ignored. Opening for writing also removes what killed
runs left in `tmp/` (no other writer can be using it while this one holds the lock); every
open removes what killed backups and restores left wherever they wrote (core/leftovers.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from desktop_app.core import leftovers, paths
from desktop_app.core.errors import (
    LibraryBusyError,
    LibraryDamagedError,
    LibraryError,
    LibraryLockedError,
)
from desktop_app.core.fsutil import read_lock_info
from desktop_app.core.i18n import _
from desktop_app.storage import schema

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


def _is_writable_dir(path: Path) -> bool:
    probe = path / f".write-test-{uuid.uuid4().hex}"
    try:
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


def _file_writable(path: Path) -> bool:
    """Whether this process may write an existing file (missing files are made when needed)."""
    try:
        return not path.is_dir() and os.access(path, os.W_OK)
    except OSError:
        return False


def _not_writable_error(root: Path, file: Path) -> LibraryError:
    return LibraryError(
        _(
            "The library {path} cannot be changed: its file {file} is read-only or you may not "
            "change it. Nothing was changed; ask whoever manages this computer to make it "
            "writable."
        ).format(path=root, file=file.name)
    )


def _unwritable_file(root: Path) -> Path | None:
    """The first file a writer must change that it may not: the database, its journal and
    shared-memory files, the lock and its information. A writable folder does not make
    them writable (copied from a CD, made by another user, set read-only)."""
    db = root / paths.DATABASE_NAME
    for path in (
        db,
        db.with_name(db.name + "-wal"),
        db.with_name(db.name + "-shm"),
        root / paths.LOCK_NAME,
        root / paths.LOCK_INFO_NAME,
    ):
        if (path.exists() or path.is_symlink()) and not _file_writable(path):
            return path
    return None


def _is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (busy), raw or wrapped by SQLAlchemy."""
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and (
        "database is locked" in str(orig) or "database is busy" in str(orig)
    )


HOLDER_WINDOW = "window"
HOLDER_COMMAND = "command"
# What this process is, for the lock information: set by the window and by the CLI.
_holder: dict[str, str] = {"program": "", "command": ""}


def set_lock_holder(program: str, command: str = "") -> None:
    """Say what this process is (`HOLDER_WINDOW`, or `HOLDER_COMMAND` and the command's words,
    e.g. "pack import"), for the message another process gets when the library is locked."""
    _holder.update(program=program, command=command)


def _write_lock_info(root: Path, reading: list[str] | None = None, *, strict: bool = False) -> None:
    """Record who holds the lock (and which files it is reading: `Library.reading_file`).
    Not fsynced: after a crash the lock is free anyway, and damaged or stale information is
    ignored (`fsutil.read_lock_info`). `strict`: raise the OSError when it cannot be written
    (when the lock is taken: the information guards the files a writer reads)."""
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "program": _holder["program"],
        "command": _holder["command"],
        "since": datetime.now(UTC).isoformat(),
        "reading": reading or [],
    }
    target = root / paths.LOCK_INFO_NAME
    temp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        temp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, target)
    except OSError:
        if strict:
            raise
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def locked_message(root: Path) -> str:
    """Why the library cannot be opened for writing, naming the holder when it is known."""
    info = read_lock_info(root)
    if info is None:
        return _("The library {path} is in use by another Jiangxin window or command.").format(
            path=root
        )
    pid, host = info["pid"], str(info.get("host", ""))
    if host != socket.gethostname():
        return _(
            "The library {path} is in use by Jiangxin on the computer “{host}”; close it there "
            "first."
        ).format(path=root, host=host)
    if info.get("program") == HOLDER_WINDOW:
        return _(
            "The library {path} is already open in a Jiangxin window (process {pid}); "
            "close it there first."
        ).format(path=root, pid=pid)
    if info.get("program") == HOLDER_COMMAND:
        return _(
            "The library {path} is in use by the command “jiangxin {command}” (process {pid}); "
            "try again when it has finished."
        ).format(path=root, command=info.get("command") or "", pid=pid)
    return _("The library {path} is in use by another Jiangxin program (process {pid}).").format(
        path=root, pid=pid
    )


def clear_tmp(root: Path) -> None:
    """Remove what killed imports left in the library's `tmp/` folder and unfinished
    automatic backups in `backups/` (call it only while holding the write lock)."""
    tmp = root / paths.TMP_DIR
    if tmp.is_dir():
        for child in list(tmp.iterdir()):
            with contextlib.suppress(OSError):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    # An automatic backup killed while it copied the database (`backup_database`).
    for part in (root / paths.BACKUPS_DIR).glob("*.sqlite3.part"):
        with contextlib.suppress(OSError):
            part.unlink()


def read_only_uri(db_path: Path) -> str:
    """A URI that opens a database for reading, on read-only media too: there SQLite cannot
    make the `-shm` file a WAL database needs ("unable to open database file", which `check`
    reported as damage and `backup` as a read-only destination), and nobody can write the
    database meanwhile, so it is opened immutable (as `Library.open` does)."""
    uri = f"{db_path.absolute().as_uri()}?mode=ro"
    if not os.access(db_path.parent, os.W_OK):
        uri += "&immutable=1"
    return uri


def backup_database(db_path: Path, target: Path) -> Path:
    """Consistent copy of a live database with SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    try:
        src = sqlite3.connect(read_only_uri(db_path), uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        tmp.replace(target)
    except BaseException:
        # A full disk must not leave a partial copy (a `.part` of zero bytes or worse) behind.
        tmp.unlink(missing_ok=True)
        raise
    return target


class Library:
    """An open library folder. Use `Library.open`/`Library.create`; close when done."""

    def __init__(
        self,
        root: Path,
        *,
        read_only: bool,
        immutable: bool = False,
        lock: FileLock | None,
        engine: Engine | None = None,
    ) -> None:
        self.root = root
        self.read_only = read_only
        self._immutable = immutable  # read-only media: SQLite must not look for -wal/-shm
        self._lock = lock
        self._engine = engine
        self._session_factory: sessionmaker[Session] | None = None
        self._engine_lock = threading.Lock()
        self._readers = threading.local()
        self._all_readers: list[sqlite3.Connection] = []
        self._generation = 0  # bumped by close(): threads then open a fresh reader
        self._reading_files: list[str] = []  # declared in the lock information

    # --- connections ------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, made (and SQLAlchemy imported) on first use."""
        self._ensure_engine()
        assert self._engine is not None
        return self._engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        self._ensure_engine()
        assert self._session_factory is not None
        return self._session_factory

    def _ensure_engine(self) -> None:
        if self._session_factory is not None:
            return
        with self._engine_lock:
            if self._session_factory is not None:
                return
            # Importing the index module registers the hook that keeps search current.
            from desktop_app.storage import searchindex  # noqa: F401
            from desktop_app.storage.db import make_engine, make_session_factory

            if self._engine is None:
                self._engine = make_engine(
                    self.db_path, read_only=self.read_only, immutable=self._immutable
                )
            self._session_factory = make_session_factory(self._engine)

    def reader(self) -> sqlite3.Connection:
        """This thread's plain `sqlite3` connection for read-only queries (the lists).

        It never opens a transaction of its own, so every query sees the latest commit.
        """
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None or getattr(self._readers, "generation", -1) != self._generation:
            query = "?mode=ro&immutable=1" if self._immutable else "?mode=ro"
            conn = sqlite3.connect(
                f"{self.db_path.as_uri()}{query}", uri=True, timeout=10, check_same_thread=False
            )
            conn.execute("PRAGMA query_only = ON")
            self._readers.conn = conn
            self._readers.generation = self._generation
            with self._engine_lock:
                self._all_readers.append(conn)
        return conn

    # --- folder layout ----------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.root / paths.DATABASE_NAME

    @property
    def photos_dir(self) -> Path:
        return self.root / paths.PHOTOS_DIR

    @property
    def thumbs_dir(self) -> Path:
        return self.root / paths.THUMBS_DIR

    @property
    def backups_dir(self) -> Path:
        return self.root / paths.BACKUPS_DIR

    @property
    def tmp_dir(self) -> Path:
        return self.root / paths.TMP_DIR

    # --- sessions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; callers that write use `transaction()`."""
        with self.session_factory() as session:
            yield session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed on success, rolled back on any error.

        The window writes through one writer and the lock file keeps other instances out, so
        two writes should never meet; if one still waits out SQLite's busy timeout, the user
        gets a sentence, never "database is locked".
        """
        if self.read_only:
            raise LibraryError(_("The library is open read-only; nothing can be changed."))
        try:
            with self.session_factory() as session, session.begin():
                yield session
        except Exception as exc:
            if _is_busy(exc):
                raise LibraryBusyError(
                    _(
                        "The library is busy with another change and nothing was changed; "
                        "try again in a moment."
                    )
                ) from exc
            raise

    def meta(self, key: str, default: str = "") -> str:
        row = self.reader().execute("SELECT value FROM library_meta WHERE key = ?", (key,))
        value = row.fetchone()
        return default if value is None or value[0] is None else str(value[0])

    @property
    def library_id(self) -> str:
        return self.meta("library_id")

    @property
    def name(self) -> str:
        return self.meta("name") or self.root.name

    def close(self) -> None:
        with self._engine_lock:
            self._generation += 1
            readers, self._all_readers = self._all_readers, []
        for conn in readers:
            conn.close()
        if self._engine is not None:
            self._engine.dispose()
        if self._lock is not None:
            with contextlib.suppress(OSError):
                (self.root / paths.LOCK_INFO_NAME).unlink(missing_ok=True)
            self._lock.release()
            self._lock = None

    def refuse_if_unwritable(self) -> None:
        """Raise what a writable open raises for a read-only folder or database, for a
        library opened read-only to preview a change: a dry run refuses what its real run
        refuses (a pack import's dry run on a write-protected stick said what it would add)."""
        if self._immutable:
            raise LibraryError(
                _("The library folder {path} is read-only; it cannot be changed.").format(
                    path=self.root
                )
            )
        unwritable = _unwritable_file(self.root)
        if unwritable is not None:
            raise _not_writable_error(self.root, unwritable)

    @contextlib.contextmanager
    def reading_file(self, path: Path) -> Iterator[None]:
        """Declare in the lock information that this writer reads `path` (a pack being
        imported) until the block ends: another process's backup or export may not replace
        it meanwhile (`fsutil.check_destination`)."""
        if self._lock is None:
            yield
            return
        key = str(Path(path).resolve())
        self._reading_files.append(key)
        _write_lock_info(self.root, self._reading_files)
        try:
            yield
        finally:
            self._reading_files.remove(key)
            if self._lock is not None:
                _write_lock_info(self.root, self._reading_files)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening ----------------------------------------------------------------------------

    @staticmethod
    def _acquire_lock(root: Path) -> FileLock:
        lock = FileLock(root / paths.LOCK_NAME, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise LibraryLockedError(locked_message(root)) from None
        except OSError:
            # The lock file cannot be opened for writing (read-only, another user's, a folder).
            raise _not_writable_error(root, root / paths.LOCK_NAME) from None
        try:
            _write_lock_info(root, strict=True)
        except OSError:
            lock.release()
            raise _not_writable_error(root, root / paths.LOCK_INFO_NAME) from None
        return lock

    @classmethod
    def open(cls, root: Path, *, write: bool = True) -> Library:
        # The next start after a killed backup or restore removes what it left, wherever it
        # was writing (core/leftovers.py): snapshots hold members' phone numbers.
        leftovers.clean_noted()
        root = Path(root).absolute()
        db_path = root / paths.DATABASE_NAME
        if not root.exists():
            raise LibraryError(
                _("There is no library at {path}; create one with “jiangxin init”.").format(
                    path=root
                )
            )
        if not root.is_dir() or not db_path.is_file():
            raise LibraryError(_("{path} is not a Jiangxin library.").format(path=root))
        writable = _is_writable_dir(root)
        if write and not writable:
            raise LibraryError(
                _("The library folder {path} is read-only; it cannot be changed.").format(path=root)
            )
        unwritable = _unwritable_file(root) if write else None
        if unwritable is not None:
            raise _not_writable_error(root, unwritable)
        revision = cls._read_revision(db_path, immutable=not writable)
        if revision not in schema.REVISIONS:
            raise LibraryError(
                _(
                    "The library {path} was made by a newer version of Jiangxin; "
                    "update the app to open it."
                ).format(path=root)
            )
        lock = cls._acquire_lock(root) if write else None
        try:
            if revision != schema.HEAD:
                if not write:
                    raise LibraryError(
                        _(
                            "The library {path} needs an update that only a writable "
                            "open can do; open it in the app first."
                        ).format(path=root)
                    )
                cls._migrate(root, db_path, revision)
            if write:
                clear_tmp(root)
        except BaseException:
            if lock is not None:
                with contextlib.suppress(OSError):
                    (root / paths.LOCK_INFO_NAME).unlink(missing_ok=True)
                lock.release()
            raise
        return cls(root, read_only=not write, immutable=not writable, lock=lock)

    @staticmethod
    def _read_revision(db_path: Path, *, immutable: bool) -> str:
        # A read-write connection (used only to SELECT) removes its -wal/-shm files on close,
        # so a refused library is left exactly as it was; read-only media get immutable mode.
        query = "?mode=ro&immutable=1" if immutable else ""
        try:
            empty = db_path.stat().st_size == 0
        except OSError:
            empty = False
        if empty:
            # SQLite would read it as a new, empty database: it is a library that lost its data.
            raise LibraryDamagedError(
                _("The database {path} is empty: the library is damaged.").format(path=db_path)
            )
        try:
            conn = sqlite3.connect(f"{db_path.as_uri()}{query}", uri=True)
            try:
                revision = schema.current_revision(conn)
            finally:
                conn.close()
        except (sqlite3.DatabaseError, UnicodeDecodeError):
            # A damaged page of the schema can hold text that is not UTF-8 at all.
            raise LibraryDamagedError(
                _("The database {path} is damaged or not a Jiangxin database.").format(path=db_path)
            ) from None
        if revision is None:
            raise LibraryError(_("{path} is not a Jiangxin library.").format(path=db_path.parent))
        return revision

    @staticmethod
    def _migrate(root: Path, db_path: Path, revision: str) -> None:
        from desktop_app.storage import migrate  # Alembic is slow to import: only when needed
        from desktop_app.storage.db import make_engine

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = root / paths.BACKUPS_DIR / f"pre-migrate-{revision}-{stamp}.sqlite3"
        backup_database(db_path, backup)
        engine = make_engine(db_path)
        try:
            from desktop_app.storage import versions

            # Tags need application code, which migrations must not import: stamped here,
            # in the migration's own transaction.
            migrate.upgrade(engine, after=versions.backfill if revision < "0005" else None)
        except Exception as exc:
            from desktop_app.core.writefail import user_error_for

            # The migration ran in one transaction: the database is as it was, so the copy
            # made for it is only clutter (and would pile up at every refused open).
            backup.unlink(missing_ok=True)
            translated = user_error_for(exc, root)
            if translated is not None:
                raise translated from None  # a full or read-only disk, in words
            # Rows that are not what their version of the app wrote (text that is no date,
            # a list that is no JSON...): reading them to migrate fails. Damage, in words.
            raise LibraryDamagedError(
                _(
                    "The library {path} cannot be updated to this version of Jiangxin: "
                    "its database holds damaged records; it was left as it was."
                ).format(path=root)
            ) from None
        finally:
            engine.dispose()

    @classmethod
    def create(cls, root: Path, *, name: str | None = None) -> Library:
        """Create a new library in an empty or missing folder and open it for writing."""
        root = Path(root).absolute()
        if (root / paths.DATABASE_NAME).exists():
            raise LibraryError(_("There is already a library at {path}.").format(path=root))
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise LibraryError(
                _("{path} is not an empty folder; choose a new or empty folder.").format(path=root)
            )
        created_root = not root.exists()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(
                _("Cannot create the folder {path}: {reason}").format(
                    path=root, reason=exc.strerror or exc
                )
            ) from None
        if not _is_writable_dir(root):
            if created_root:
                shutil.rmtree(root, ignore_errors=True)
            raise LibraryError(
                _("The folder {path} is read-only; a library cannot be created there.").format(
                    path=root
                )
            )
        try:
            lock = cls._acquire_lock(root)
            from desktop_app.storage import migrate
            from desktop_app.storage.db import make_engine
            from desktop_app.storage.models import LibraryMeta

            engine = make_engine(root / paths.DATABASE_NAME)
            migrate.upgrade(engine)
            for sub in (paths.PHOTOS_DIR, paths.THUMBS_DIR, paths.BACKUPS_DIR, paths.TMP_DIR):
                (root / sub).mkdir(parents=True, exist_ok=True)
            library = cls(root, read_only=False, lock=lock, engine=engine)
            with library.transaction() as s:
                s.add(LibraryMeta(key="library_id", value=str(uuid.uuid4())))
                s.add(LibraryMeta(key="name", value=name or root.name))
                s.add(LibraryMeta(key="created_at", value=datetime.now(UTC).isoformat()))
        except BaseException as exc:
            # Leave nothing behind: the folder is as it was (missing or empty).
            with contextlib.suppress(Exception):
                engine.dispose()
            with contextlib.suppress(Exception):
                lock.release()
            if created_root:
                shutil.rmtree(root, ignore_errors=True)
            else:
                for child in root.iterdir():
                    if child.is_dir():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
            from desktop_app.core.writefail import user_error_for

            translated = user_error_for(exc, root) if isinstance(exc, Exception) else None
            if translated is not None:
                raise translated from None  # a full or read-only disk, in words
            raise
        return library
