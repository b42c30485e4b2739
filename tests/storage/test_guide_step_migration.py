"""Schema 0009: risky steps and a guide's 识别图 leave every existing guide's version as it was.

The new fields are left out of a record's dictionary while they hold their default, so a guide
written before 0009 hashes exactly as it did: its stored tag stays valid, another laptop that
upgrades sees it unchanged, and packs carry it as before.

Opening an old library is a laptop's (SQLite); going down and up with data runs on SQLite and
PostgreSQL (`any_blank_engine`, tests/stores.py).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from desktop_app.services import catalog as c
from desktop_app.storage import migrate, schema
from desktop_app.storage.db import make_engine
from desktop_app.storage.kinds import record_to_dict
from desktop_app.storage.library import Library
from desktop_app.storage.versions import tag_of_dict

SHA = "5" * 64
# The tag the app computed for this guide before schema 0009 (on main at 0006, from the very
# rows `insert_old_guide` writes): it must not change.
TAG_BEFORE_0009 = "4:fdc6d43d77c6a116f770539e13c8653f8552411ef11efdfc76a39c87c2eb254b"


def insert_old_guide(engine: Engine, tag: str) -> None:
    """The rows of a guide with a step photo as the app wrote them before 0009 (portable SQL:
    the same rows on SQLite and PostgreSQL)."""
    when = "2025-08-01 00:00:00.000000"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO library_meta (key, value) VALUES ('library_id', 'old-lib')"))
        conn.execute(
            text(
                "INSERT INTO photo (sha256, ext, original_name, byte_size, width, height, taken_at,"
                " camera, gps_lat, gps_lon, orientation, rotation, caption, id, created_at,"
                " updated_at, revision, deleted_at, version_tag) VALUES (:sha, 'jpg', '梯子.jpg',"
                " 10, 800, 600, NULL, '', NULL, NULL, 1, 0, '梯子', 'p1', :when, :when, 1, NULL,"
                " '')"
            ),
            {"sha": SHA, "when": when},
        )
        conn.execute(
            text(
                "INSERT INTO guide (title, category, problem, season, materials, key_points,"
                " safety_notes, common_mistakes, tags, team_id, is_demo, id, created_at,"
                " updated_at, revision, deleted_at, title_key, version_tag) VALUES ('高枝修剪',"
                " '修剪', '枝条过密', '冬季', '[\"梯子\"]', '[]', '[\"两人扶梯\"]', '[]', '[]',"
                " NULL, FALSE, 'g1', :when, :when, 4, NULL, '', :tag)"
            ),
            {"when": when, "tag": tag},
        )
        conn.execute(
            text(
                "INSERT INTO guide_step (id, guide_id, position, text) VALUES"
                " ('s1', 'g1', 0, '架好梯子'), ('s2', 'g1', 1, '剪去过密枝')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO guide_step_photo (step_id, photo_id, position) VALUES ('s1', 'p1', 0)"
            )
        )


def old_library(tmp_path: Path) -> Path:
    root = tmp_path / "old"
    root.mkdir()
    engine = make_engine(root / "library.sqlite3")
    migrate.upgrade(engine, "0006")
    insert_old_guide(engine, TAG_BEFORE_0009)
    engine.dispose()
    return root


def test_a_guide_from_before_0009_keeps_its_content_hash(tmp_path: Path) -> None:
    root = old_library(tmp_path)
    with Library.open(root, write=True) as library:
        with library.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
                schema.HEAD
            )
        with library.session() as s:
            from desktop_app.services.records import get_record

            data = record_to_dict("guide", get_record(s, "guide", "g1"))
            # Nothing new is said by an old guide: the keys are not there at all.
            assert "recognition_photo_id" not in data
            assert [st["photo_ids"] for st in data["steps"]] == [["p1"], []]  # steps kept
            assert all("risky" not in step for step in data["steps"])
            assert tag_of_dict(s, "guide", data) == TAG_BEFORE_0009
        # Marking a step risky and choosing the 识别图 are a new version with a new hash.
        guide = c.load_guide(library, "g1")
        assert [st.risky for st in guide.steps] == [False, False]
        guide.steps[0].risky = True
        guide.recognition_photo_id = "p1"
        c.save_guide(library, guide, "g1")
        with library.session() as s:
            data = record_to_dict("guide", get_record(s, "guide", "g1"))
            assert data["steps"][0]["risky"] is True and "risky" not in data["steps"][1]
            assert data["recognition_photo_id"] == "p1"
            assert tag_of_dict(s, "guide", data).split(":")[1] != TAG_BEFORE_0009.split(":")[1]


def _columns(engine: Engine, table: str) -> list[str]:
    return [column["name"] for column in inspect(engine).get_columns(table)]


def test_0009_downgrades_and_upgrades_again(any_blank_engine: Engine) -> None:
    """On SQLite and on PostgreSQL (each has its own way of dropping the columns)."""
    engine = any_blank_engine
    migrate.upgrade(engine, "0006")
    insert_old_guide(engine, TAG_BEFORE_0009)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0006")
    with engine.connect() as conn:
        # Going down keeps the guide's steps and their photos too.
        assert conn.exec_driver_sql("SELECT count(*) FROM guide_step").scalar() == 2
        assert conn.exec_driver_sql("SELECT count(*) FROM guide_step_photo").scalar() == 1
    assert "risky" not in _columns(engine, "guide_step")
    assert "recognition_photo_id" not in _columns(engine, "guide")
    migrate.upgrade(engine)
    assert "risky" in _columns(engine, "guide_step")
    with engine.connect() as conn:
        risky = conn.exec_driver_sql("SELECT risky FROM guide_step ORDER BY position").all()
    assert [tuple(r) for r in risky] == [(False,), (False,)]
