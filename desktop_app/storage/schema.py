"""The schema revisions this code knows, without importing Alembic (which is slow to import).

`tests/storage/test_migrations.py` checks that this list matches the Alembic scripts.
"""

from __future__ import annotations

import sqlite3

REVISIONS: tuple[str, ...] = tuple(f"{n:04d}" for n in range(1, 13))  # "0001" … "0012"
HEAD = REVISIONS[-1]


def current_revision(conn: sqlite3.Connection) -> str | None:
    """The revision stamped in a database, or None for a database without Alembic's table."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()
    if row is None:
        return None
    version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if version is None else str(version[0])
