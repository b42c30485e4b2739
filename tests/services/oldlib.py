"""An older library (schema 0003) holding one row its later migrations cannot read, as a
damaged disk or another tool may leave it: for the tests that such a library is refused in
words, unchanged, on open and on restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_app.storage import migrate
from desktop_app.storage.db import make_engine

TEAM_ROW = (
    "INSERT INTO service_team (id, name, kind, parent_union, description, expertise,"
    " member_count_note, created_at, updated_at, revision) VALUES ('t1', ?, 'other', '', '',"
    " ?, '', ?, '2024-01-01', 1)"
)
DAMAGED_OLD_ROWS = {
    # name: (team name, expertise, created_at) as a damaged disk or another tool left them
    "expertise_that_is_no_json": ("老服务队", "not json", "2024-01-01"),
    "date_that_is_no_date": ("老服务队", "[]", "garbage"),
    "name_that_is_bytes": (b"\xff\xfe", "[]", "2024-01-01"),
}


def old_library(root: Path, shape: str) -> Path:
    """A library at revision 0003 (before the pinyin keys and the version tags, whose data
    steps read every record) holding one damaged row."""
    root.mkdir()
    db = root / "library.sqlite3"
    engine = make_engine(db)
    migrate.upgrade(engine, "0003")
    engine.dispose()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO library_meta (key, value) VALUES ('library_id', 'old-lib')")
        conn.execute(TEAM_ROW, DAMAGED_OLD_ROWS[shape])
    conn.execute("PRAGMA journal_mode = WAL")  # as every library is
    conn.close()
    return root
