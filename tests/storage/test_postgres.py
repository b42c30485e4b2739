"""The library schema and the merge core on PostgreSQL (the district hub's engine).

A real server, started by the tests (tests/pgserver.py); under CI=true these fail instead of
skipping when PostgreSQL is missing. The storage, merge and pack suites run on PostgreSQL too
(`any_store` and its kin, tests/stores.py); what is here is PostgreSQL's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desktop_app.services import catalog, merge, packs
from desktop_app.services.pack_format import read_pack
from desktop_app.storage import migrate
from desktop_app.storage.db import make_server_engine
from desktop_app.storage.kinds import KIND_ORDER, KINDS, record_to_dict
from desktop_app.storage.library import Library
from desktop_app.storage.models import Base, FieldSession, Member, ServiceTeam, TeamMembership
from desktop_app.storage.store import ServerStore
from tests.pgserver import Cluster


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    return pg_cluster.create_database()


@pytest.fixture
def store(pg_url: str) -> Iterator[ServerStore]:
    s = ServerStore.connect(pg_url)
    yield s
    s.close()


def _import(store: ServerStore, pack_path: Path) -> merge.MergePlan:
    """A pack's records into the server database, through the import's own records' half
    (the write lock, the merge core, the origins)."""
    pack = read_pack(pack_path)
    try:
        with store.transaction() as s:
            plan = packs.plan_import(s, pack)
            packs.apply_import(s, plan)
        return plan
    finally:
        pack.close()


def _contents(store: Any) -> dict[str, dict[str, Any]]:
    """Every record's dictionary, without what says when it was stored."""
    out: dict[str, dict[str, Any]] = {}
    with store.session() as s:
        for kind in KIND_ORDER:
            model: Any = KINDS[kind].model
            for obj in s.scalars(select(model).options(*KINDS[kind].loader_options())):
                data = record_to_dict(kind, obj)
                data["version_tag"] = obj.version_tag
                for child in ("members", "steps", "attendees", "groups", "agenda", "feedback"):
                    for row in data.get(child, []):
                        row.pop("id", None)
                out[f"{kind}:{obj.id}"] = data
    return out


def test_migrations_build_exactly_the_models_and_go_down_and_up(pg_url: str) -> None:
    engine = make_server_engine(pg_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        kinds = conn.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_name = 'field_session' AND column_name = 'starts_at'"
        ).scalar()
    assert diff == []
    assert kinds == "timestamp with time zone"
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    engine.dispose()


def test_the_search_index_is_the_laptops_alone(store: ServerStore) -> None:
    """FTS5, its tables and the triggers that queue edits for it (SQLite DDL with INSERT OR
    IGNORE) are made on SQLite only: on PostgreSQL no table or trigger of it exists, and a
    commit's search hook leaves the database alone."""
    catalog.save_team(store, catalog.TeamData(name="专业技术服务2队"))
    with store.engine.connect() as conn:
        tables = conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND position('fts' in table_name) > 0"
        ).all()
        triggers = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = 'public'"
        ).scalar()
    assert tables == [] and triggers == 0


def test_partial_unique_indexes_hold_on_postgresql(store: ServerStore) -> None:
    with store.transaction() as s:
        s.add(ServiceTeam(name="专业技术服务2队", deleted_at=datetime(2026, 1, 1, tzinfo=UTC)))
        s.add(ServiceTeam(name="专业技术服务2队"))  # a deleted team frees its name
    with pytest.raises(IntegrityError), store.transaction() as s:
        s.add(ServiceTeam(name="专业技术服务2队"))
    with store.transaction() as s:
        team = s.scalars(select(ServiceTeam).where(ServiceTeam.deleted_at.is_(None))).one()
        a, b = Member(name="周宗宝"), Member(name="李佳")
        s.add_all([a, b])
        s.flush()
        team.memberships = [TeamMembership(member_id=a.id, role="captain", position=0)]
    with pytest.raises(IntegrityError), store.transaction() as s:
        team = s.scalars(select(ServiceTeam).where(ServiceTeam.deleted_at.is_(None))).one()
        s.add(TeamMembership(team_id=team.id, member_id=b.id, role="captain", position=1))


def test_the_merge_core_runs_on_postgresql(
    store: ServerStore, demo_library: Library, tmp_path: Path
) -> None:
    """A laptop's pack merges into PostgreSQL record for record; edits made there with the
    same catalog service travel back; both-sides edits conflict and resolve."""
    first = packs.export_pack(demo_library, tmp_path / "one.jxpack").path
    plan = _import(store, first)
    assert plan.of(merge.ADD) and not plan.of(merge.CONFLICT)
    assert _contents(store) == _contents(demo_library)
    again = _import(store, first)
    assert not again.changes  # idempotent

    with store.session() as s:
        sid = s.scalars(select(FieldSession.id)).first()
    assert sid is not None
    hub_side = catalog.load_session(store, sid)
    hub_side.summary = "在区工会汇总时补充的说明。"
    catalog.save_session(store, hub_side, sid)
    laptop_side = catalog.load_session(demo_library, sid)
    laptop_side.summary = "现场记录的说明。"
    catalog.save_session(demo_library, laptop_side, sid)

    plan = _import(store, packs.export_pack(demo_library, tmp_path / "two.jxpack").path)
    assert [d.id for d in plan.of(merge.CONFLICT)] == [sid]
    conflict = merge.list_conflicts(store)[0]
    assert conflict.theirs is not None and conflict.theirs["summary"] == "现场记录的说明。"
    merge.resolve_conflict(store, conflict.id, "theirs")
    assert catalog.load_session(store, sid).summary == "现场记录的说明。"
    assert merge.list_conflicts(store) == []
