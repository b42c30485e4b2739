"""Schema 0006: sessions already in a library get Beijing time as their zone, on every laptop.

Opening an old library is a laptop's (SQLite); going down and up with a session runs on SQLite
and PostgreSQL (`any_blank_engine`, tests/stores.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from desktop_app.services import listing
from desktop_app.storage import migrate, schema
from desktop_app.storage.db import make_engine
from desktop_app.storage.library import Library

TAG = "3:" + "ab" * 32


@pytest.fixture
def laptop_in_new_york() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_sessions_from_before_0006_are_in_beijing_time(
    tmp_path: Path, laptop_in_new_york: None
) -> None:
    root = tmp_path / "old"
    root.mkdir()
    db = root / "library.sqlite3"
    engine = make_engine(db)
    migrate.upgrade(engine, "0005")
    engine.dispose()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO library_meta (key, value) VALUES ('library_id', 'old-lib')")
    conn.execute(
        "INSERT INTO field_session (id, starts_at, ends_at, venue, host_organisations, theme,"
        " summary, follow_ups, created_at, updated_at, revision, version_tag) VALUES ('s1',"
        " '2025-08-15 01:30:00.000000', NULL, '园博园', '[]', '绿色养护', '', '[]',"
        " '2025-08-01', '2025-08-01', 3, ?)",
        (TAG,),
    )
    conn.commit()
    queued_before = conn.execute("SELECT kind, rid FROM search_fts_queue").fetchall()
    conn.close()

    # Opened on a laptop in New York: the zone is still Beijing's, not the laptop's.
    with Library.open(root, write=True) as library:
        with library.engine.connect() as c:
            assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
                schema.HEAD
            )
            row = c.exec_driver_sql("SELECT time_zone, version_tag, revision FROM field_session")
            # The version is untouched: same tag, same revision, so another laptop that
            # upgrades the same session sees it unchanged, and agrees on its zone.
            assert tuple(row.one()) == ("Asia/Shanghai", TAG, 3)
            queued = c.exec_driver_sql("SELECT kind, rid FROM search_fts_queue").all()
            assert [tuple(q) for q in queued] == queued_before  # nothing re-indexed
        (shown,) = listing.list_rows(library, "session")
        assert shown["starts_at"] == "2025-08-15 09:30"
    assert len(list((root / "backups").glob("pre-migrate-0005-*.sqlite3"))) == 1


def test_0006_downgrades_and_upgrades_again(any_blank_engine: Engine) -> None:
    """On SQLite and on PostgreSQL, with a session in the table."""
    engine = any_blank_engine
    migrate.upgrade(engine)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO field_session (id, starts_at, ends_at, venue, host_organisations,"
                " theme, summary, follow_ups, created_at, updated_at, revision, version_tag,"
                " time_zone) VALUES ('s1', :at, NULL, '园博园', '[]', '绿色养护', '', '[]', :at,"
                " :at, 3, :tag, 'Asia/Shanghai')"
            ),
            {"at": datetime(2025, 8, 15, 1, 30, tzinfo=UTC), "tag": TAG},
        )
    migrate.downgrade(engine, "0005")
    assert "time_zone" not in [col["name"] for col in inspect(engine).get_columns("field_session")]
    migrate.upgrade(engine)
    with engine.connect() as c:
        row = c.exec_driver_sql("SELECT id, time_zone, version_tag FROM field_session").one()
    assert tuple(row) == ("s1", "Asia/Shanghai", TAG)  # the old sessions' zone again
