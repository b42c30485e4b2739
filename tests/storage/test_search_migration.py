"""Migration 0002: the search index and the foreign-key indexes, up and down.

SQLite only: the index is FTS5 in a laptop's library; on PostgreSQL 0002 makes none of it
(tests/storage/test_postgres.py checks that no table or trigger of it exists there)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_app.services import search
from desktop_app.storage import migrate, searchindex
from desktop_app.storage.db import make_engine
from desktop_app.storage.library import Library


def _objects(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()


def test_upgrading_a_0001_library_indexes_its_records(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    db = root / "library.sqlite3"
    engine = make_engine(db)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO library_meta (key, value) VALUES ('library_id', 'old')")
    conn.execute(
        "INSERT INTO guide (id, title, category, problem, season, materials, key_points,"
        " safety_notes, common_mistakes, tags, is_demo, created_at, updated_at, revision)"
        " VALUES ('g1', '月季修剪', '', '剪口斜向４５度', '', '[]', '[]', '[]', '[]', '[]', 0,"
        " '2024-01-01', '2024-01-01', 1)"
    )
    conn.execute(
        "INSERT INTO guide_step (id, guide_id, position, text) VALUES ('s1', 'g1', 0, '疏枝')"
    )
    conn.commit()
    conn.close()

    with Library.open(root, write=True) as library:
        assert [h.id for h in search.search(library, "45度")] == ["g1"]
        assert [h.id for h in search.search(library, "疏枝")] == ["g1"]
        assert search.verify_index(library).ok
    assert {"search_fts", "search_fts_map", "search_fts_queue"} <= _objects(db)
    assert "ix_agenda_item_session_id" in _objects(db)


def test_downgrade_removes_index_tables_and_triggers(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    engine = make_engine(db)
    migrate.upgrade(engine)
    names = _objects(db)
    assert {f"trg_{t}_update_fts" for t in searchindex.TRIGGER_SOURCES} <= names
    migrate.downgrade(engine, "0001")
    after = _objects(db)
    assert not any("fts" in name for name in after)
    assert "ix_agenda_item_session_id" not in after
    migrate.upgrade(engine)
    assert names == _objects(db)
    engine.dispose()
