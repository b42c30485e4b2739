"""Alembic migrations: in step with the models, and older libraries open with current code."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desktop_app.storage import migrate, schema
from desktop_app.storage.db import make_engine
from desktop_app.storage.library import Library
from desktop_app.storage.models import Base
from desktop_app.storage.sortkeys import pinyin_key


def test_known_revisions_match_the_alembic_scripts() -> None:
    assert tuple(migrate.script_revisions()) == schema.REVISIONS


def test_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "db.sqlite3")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    # FTS shadow tables and other objects created by raw SQL are not part of the models.
    relevant = [d for d in diff if not (d[0] == "remove_table" and "fts" in d[1].name)]
    assert relevant == []


def test_every_revision_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "db.sqlite3")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    engine.dispose()


def test_library_at_the_previous_revision_opens_with_current_code(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    db = root / "library.sqlite3"
    previous = "0003"  # before the pinyin keys (0004) and the stored version tags (0005)
    engine = make_engine(db)
    migrate.upgrade(engine, previous)
    engine.dispose()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO library_meta (key, value) VALUES ('library_id', 'old-lib')")
    conn.execute(
        "INSERT INTO service_team (id, name, kind, parent_union, description, expertise,"
        " member_count_note, created_at, updated_at, revision)"
        " VALUES ('t1', '老服务队', 'other', '', '', '[]', '', '2024-01-01', '2024-01-01', 1)"
    )
    conn.commit()
    conn.close()

    with Library.open(root, write=True) as library:
        assert library.library_id == "old-lib"
        with library.engine.connect() as c:
            assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
                schema.HEAD
            )
            assert c.exec_driver_sql("SELECT name FROM service_team").scalar() == "老服务队"
            # 0004: the pinyin sort key is filled in, and the search index queue holds only
            # what it held before (the raw insert above): keys are not searchable text.
            assert c.exec_driver_sql("SELECT name_key FROM service_team").scalar() == (
                pinyin_key("老服务队")
            )
            queued = c.exec_driver_sql("SELECT kind, rid FROM search_fts_queue").all()
            assert [tuple(row) for row in queued] == [("team", "t1")]
            # 0005: the record's version tag is stamped, in the migration's transaction,
            # without queueing it for the search index again (a tag is not searchable text).
            tag = c.exec_driver_sql("SELECT version_tag FROM service_team").scalar()
            assert tag is not None and re.fullmatch(r"1:[0-9a-f]{64}", tag)
    if previous != schema.HEAD:
        backups = list((root / "backups").glob(f"pre-migrate-{previous}-*.sqlite3"))
        assert len(backups) == 1
