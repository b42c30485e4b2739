"""Alembic migrations: in step with the models, and older libraries open with current code.

SQLite only: opening an older library file (and its backup before migrating) and SQLite's
query plans. The migrations build the models on PostgreSQL and go down and up there in
tests/storage/test_postgres.py; 0006 and 0009 go down and up with data on both engines."""

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


def _plans_of_attendance_lookups(library: Library, run: object) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement `run` makes that reads session_attendee."""
    conn = library.reader()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)  # the SQL with its parameters filled in
    try:
        run()  # type: ignore[operator]
    finally:
        conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if "session_attendee" in sql and sql.lstrip().upper().startswith("SELECT"):
            rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            plans.append("\n".join(str(r[-1]) for r in rows))
    return plans


def test_a_members_attendances_are_found_by_the_index_not_a_scan(demo_library: Library) -> None:
    """Schema 0007: the member's record and "what uses this member" (asked before deleting)
    look attendances up by member through ix_session_attendee_member_id."""
    from desktop_app.services import usage
    from desktop_app.services.reports import member_record

    member_id = (
        demo_library.reader().execute("SELECT member_id FROM session_attendee").fetchone()[0]
    )
    plans = _plans_of_attendance_lookups(
        demo_library, lambda: member_record.load_record(demo_library, member_id)
    )
    plans += _plans_of_attendance_lookups(
        demo_library, lambda: usage.usage_of(demo_library, "member", [member_id])
    )
    assert len(plans) >= 2, plans
    for plan in plans:
        assert "ix_session_attendee_member_id" in plan, plan
        assert "SCAN sa" not in plan and "SCAN session_attendee" not in plan, plan
