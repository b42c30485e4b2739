"""The hub's database: both migration chains on a real PostgreSQL, and the change counter."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desktop_app.hub.database import (
    HUB_VERSION_TABLE,
    HubDatabaseError,
    HubStore,
    current_version,
    migrate_hub,
    next_version,
)
from desktop_app.hub.tables import HubBase
from tests.pgserver import Cluster


def test_migrated_schema_matches_the_models(hub_url: str) -> None:
    store = HubStore.open(hub_url)
    try:
        with store.engine.connect() as connection:
            hub_tables = set(HubBase.metadata.tables)
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": HUB_VERSION_TABLE,
                    # The library's tables are the library chain's business (tests/storage).
                    "include_name": lambda name, type_, parent: (
                        type_ != "table" or name in hub_tables
                    ),
                },
            )
            diff = compare_metadata(context, HubBase.metadata)
        assert diff == []
        with store.session() as s:
            assert current_version(s) == 0
    finally:
        store.close()


def test_init_twice_is_harmless(hub_url: str) -> None:
    migrate_hub(hub_url)
    store = HubStore.open(hub_url)
    store.close()


def test_an_empty_database_is_refused_in_words(pg_cluster: Cluster) -> None:
    with pytest.raises(HubDatabaseError, match="jiangxin-hub init"):
        HubStore.open(pg_cluster.create_database())


def test_counter_hands_out_each_value_once_under_concurrency(hub_url: str) -> None:
    store = HubStore.open(hub_url)
    got: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def publisher() -> None:
        barrier.wait()
        for _ in range(25):
            with store.transaction() as s:
                value = next_version(s)
            with lock:
                got.append(value)

    threads = [threading.Thread(target=publisher) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(got) == list(range(1, 201))
        with store.session() as s:
            assert current_version(s) == 200
    finally:
        store.close()


def test_a_serving_hub_limits_statements_and_idle_transactions(hub_url: str) -> None:
    from sqlalchemy import text

    store = HubStore.open(hub_url)
    try:
        with store.session() as s:
            assert s.execute(text("SHOW statement_timeout")).scalar_one() == "1min"
            idle = s.execute(text("SHOW idle_in_transaction_session_timeout")).scalar_one()
            assert idle == "1min"
    finally:
        store.close()


def test_a_hub_upgraded_from_h0001_gets_an_epoch_without_starting_anyone_over(
    pg_cluster: Cluster,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from desktop_app.hub.database import hub_alembic_config
    from desktop_app.hub.tables import HubState
    from desktop_app.storage import migrate as library_migrations
    from desktop_app.storage.db import make_server_engine

    url = pg_cluster.create_database()
    engine = make_server_engine(url)
    with engine.begin() as connection:  # a hub set up before epochs existed, with history
        command.upgrade(library_migrations.alembic_config(connection), "head")
        command.upgrade(hub_alembic_config(connection), "h0001")
        connection.execute(
            text(
                "INSERT INTO hub_state (id, hub_id, name, version, created_at) "
                "VALUES (1, 'the-hub', '', 7, now())"
            )
        )
    engine.dispose()
    assert migrate_hub(url) is False  # an upgrade is not a restore
    store = HubStore.open(url)
    try:
        with store.session() as s:
            state = s.get(HubState, 1)
            assert state is not None
            assert len(state.epoch) == 36 and state.incarnation and state.version == 7
            epoch = state.epoch
    finally:
        store.close()
    store = HubStore.open(url)
    try:
        with store.session() as s:
            assert s.get(HubState, 1).epoch == epoch  # type: ignore[union-attr]
    finally:
        store.close()
