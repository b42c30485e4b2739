"""One sentence for a write that the disk refused: full, read-only, or not permitted.

Writes fail for reasons that are not bugs and not the fault of what is being written: a full
disk, a read-only or pulled USB stick, a file the user may not change. Services turn such an
`OSError` (or SQLite's "database or disk is full" / "readonly database") into a `UserError`
naming the place they were writing to, so the user is told what to fix, and not that the photo
they were importing cannot be read. `user_error_for` is the CLI's last resort for a failure
that no service translated.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _

DISK_FULL_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if code
)
NOT_WRITABLE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
# SQLite reports these as text (sqlite3.OperationalError, wrapped by SQLAlchemy).
SQLITE_FULL = ("database or disk is full", "disk is full")
SQLITE_NOT_WRITABLE = (
    "attempt to write a readonly database",
    "readonly database",
    "unable to open database file",
)
SQLITE_IO = ("disk i/o error",)


class WriteFailedError(UserError):
    """The disk refused a write; nothing that was being written was kept."""


def _sqlite_text(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc  # SQLAlchemy's DBAPIError wraps the sqlite3 one
    return str(inner).lower() if isinstance(inner, sqlite3.Error) else ""


def kind_of(exc: BaseException) -> str:
    """ "full", "read_only", "io" or "" (not a write failure of the disk)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in DISK_FULL_ERRNOS:
            return "full"
        if exc.errno in NOT_WRITABLE_ERRNOS:
            return "read_only"
        if exc.errno == errno.EIO:
            return "io"
        return ""
    text = _sqlite_text(exc)
    if any(t in text for t in SQLITE_FULL):
        return "full"
    if any(t in text for t in SQLITE_NOT_WRITABLE):
        return "read_only"
    if any(t in text for t in SQLITE_IO):
        return "io"
    return ""


def write_failure(exc: BaseException, where: Path | str) -> WriteFailedError:
    """The sentence for a write to `where` that failed with `exc`."""
    kind = kind_of(exc)
    if kind == "full":
        message = _(
            "Not enough disk space at {path}: free some space and try again; nothing was changed."
        )
    elif kind == "read_only":
        message = _(
            "Jiangxin cannot write to {path}: it is read-only or you may not change it; "
            "nothing was changed."
        )
    elif kind == "io":
        message = _(
            "The disk at {path} failed while writing (was it removed?); nothing was changed."
        )
    else:
        reason = getattr(exc, "strerror", None) or str(getattr(exc, "orig", None) or exc)
        return WriteFailedError(
            _("Could not write to {path}: {reason}").format(path=where, reason=reason)
        )
    return WriteFailedError(message.format(path=where))


def user_error_for(exc: BaseException, where: Path | str | None = None) -> UserError | None:
    """A `WriteFailedError` when `exc` is a disk's refusal to write, else None."""
    if not kind_of(exc):
        return None
    if where is None:
        where = getattr(exc, "filename", None) or _("the library's disk")
    return write_failure(exc, where)


SQLITE_DAMAGED = (
    "malformed",
    "file is not a database",
    "database corrupt",
    "could not decode",
    "no such column",  # a damaged schema: the tables are not what this version made
    "no such table",
    "vtable constructor failed",  # the search index's tables are damaged
)


def damage_error_for(exc: BaseException) -> UserError | None:
    """A `LibraryDamagedError` when SQLite (or decoding its text) found the database damaged."""
    from desktop_app.core.errors import LibraryDamagedError

    text = _sqlite_text(exc)
    if any(t in text for t in SQLITE_DAMAGED) or isinstance(exc, UnicodeDecodeError):
        return LibraryDamagedError(
            _("The library's database is damaged; run “jiangxin check” to see where.")
        )
    return None
