"""The sentence for a write the disk refused (full, read-only, failing) or a damaged database."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from desktop_app.core.errors import LibraryDamagedError
from desktop_app.core.i18n import set_language
from desktop_app.core.writefail import damage_error_for, kind_of, user_error_for, write_failure


@pytest.mark.parametrize(
    "exc,kind",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "full"),
        (OSError(errno.EROFS, "Read-only file system"), "read_only"),
        (PermissionError(errno.EACCES, "Permission denied"), "read_only"),
        (OSError(errno.EIO, "Input/output error"), "io"),
        (sqlite3.OperationalError("database or disk is full"), "full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read_only"),
        (OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error")), "io"),
        (OSError(errno.ENOENT, "No such file"), ""),
        (ValueError("database or disk is full"), ""),  # only SQLite's own errors count
    ],
)
def test_kinds_of_refused_writes(exc: BaseException, kind: str) -> None:
    assert kind_of(exc) == kind
    assert (user_error_for(exc, "/media/usb") is None) == (kind == "")


def test_the_sentence_names_the_place_in_the_ui_language() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    assert "/media/usb" in str(write_failure(full, "/media/usb"))
    set_language("zh_CN")
    message = str(write_failure(full, "/media/usb"))
    assert "磁盘空间不足" in message and "/media/usb" in message and "\n" not in message


def test_damaged_database_errors() -> None:
    assert isinstance(
        damage_error_for(sqlite3.DatabaseError("database disk image is malformed")),
        LibraryDamagedError,
    )
    assert damage_error_for(sqlite3.OperationalError("database is locked")) is None
