"""Faults during a publish (HUB.md, acceptance test 5): a connection killed mid-transaction
leaves the hub unchanged; the database server stopped hard (`pg_ctl stop -m immediate`) while
laptops publish, then restarted: nothing lost, nothing applied twice.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from desktop_app.hub import sync
from desktop_app.hub.database import HubStore, current_version, migrate_hub
from desktop_app.hub.tables import HubChange, PublishLog
from desktop_app.services import merge
from desktop_app.storage.models import Guide, RecordHistory
from tests import pgserver
from tests.hub.wire import admin, entry, guide_data, new_id


def state(hub: HubStore) -> tuple[int, ...]:
    with hub.session() as s:
        found = [
            s.scalar(select(func.count()).select_from(table)) or 0
            for table in (Guide, RecordHistory, HubChange, PublishLog)
        ]
        return (*found, current_version(s))


def test_a_publish_whose_connection_is_killed_leaves_the_hub_unchanged(
    hub: HubStore, pg_cluster: pgserver.Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = admin()
    first = [entry("guide", guide_data(new_id(), None, f"已有{i}")) for i in range(3)]
    sync.publish(hub, who, new_id(), first)
    before = state(hub)
    real_apply = merge.apply_plan

    def apply_then_die(s: Any, plan: Any, progress: Any = None) -> None:
        # The records are written (not committed) when the connection is killed.
        real_apply(s, plan, progress)
        s.flush()
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(
            host=str(pg_cluster.socket_dir),
            user="postgres",
            dbname=hub.engine.url.database,
            autocommit=True,
        ) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))

    monkeypatch.setattr(merge, "apply_plan", apply_then_die)
    publish_id = new_id()
    batch = [entry("guide", guide_data(new_id(), None, f"新{i}")) for i in range(5)]
    with pytest.raises(OperationalError):
        sync.publish(hub, who, publish_id, batch)
    assert state(hub) == before
    monkeypatch.setattr(merge, "apply_plan", real_apply)
    # The laptop retries with the same publish id: applied once.
    result = sync.publish(hub, who, publish_id, batch)
    assert [r["outcome"] for r in result["results"]] == ["applied"] * 5
    assert sync.publish(hub, who, publish_id, batch) == result
    after = state(hub)
    assert after[0] == before[0] + 5 and after[3] == before[3] + 1 and after[4] == before[4] + 1


@pytest.fixture
def private_cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[pgserver.Cluster]:
    """A cluster of this test's own: it is stopped hard and restarted."""
    # The tests' English locale (tests/conftest.py) may not exist on the machine; initdb
    # refuses a locale it cannot find.
    monkeypatch.setenv("LC_ALL", "C")
    yield from pgserver.start_cluster()


def _pg_ctl(cluster: pgserver.Cluster, *args: str) -> None:
    bin_dir = pgserver._bin_dir()
    assert bin_dir is not None
    base = cluster.socket_dir.parent
    command = [str(bin_dir / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "log"), *args]
    if cluster.process_user != pgserver._current_user():
        command = ["runuser", "-u", cluster.process_user, "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def test_a_hard_stop_of_the_database_loses_and_duplicates_nothing(
    private_cluster: pgserver.Cluster,
) -> None:
    url = private_cluster.create_database()
    migrate_hub(url)
    hub = HubStore.open(url)
    who = admin()
    publishers, batches = 8, 15
    answered: dict[str, dict[str, Any]] = {}  # publish id -> result the laptop got
    guides_of: dict[str, list[str]] = {}
    lock = threading.Lock()
    failures: list[BaseException] = []
    retries: list[str] = []
    stop_at = threading.Event()

    def laptop(n: int) -> None:
        try:
            for b in range(batches):
                publish_id = new_id()
                batch = [
                    entry("guide", guide_data(new_id(), None, f"{n}-{b}-{i}")) for i in range(3)
                ]
                guides_of[publish_id] = [e["record"]["id"] for e in batch]
                if n == 0 and b == 3:
                    stop_at.set()
                while True:  # a laptop retries the same publish until it gets an answer
                    try:
                        result = sync.publish(hub, who, publish_id, batch)
                        break
                    except OperationalError:
                        retries.append(publish_id)
                        time.sleep(0.1)
                with lock:
                    answered[publish_id] = result
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=laptop, args=(n,)) for n in range(publishers)]
    try:
        for t in threads:
            t.start()
        assert stop_at.wait(30)
        _pg_ctl(private_cluster, "-m", "immediate", "stop")
        time.sleep(0.5)
        options = (
            f"-k {private_cluster.socket_dir} -c listen_addresses='' -c fsync=off"
            " -c max_connections=120"
        )
        _pg_ctl(private_cluster, "-w", "-o", options, "start")
        for t in threads:
            t.join(timeout=120)
        assert not failures, failures[0]
        assert retries, "the stop came when no publish was running"
        assert len(answered) == publishers * batches
        with hub.session() as s:
            guides = set(s.scalars(select(Guide.id)))
            logged = set(s.scalars(select(PublishLog.publish_id)))
            changes = s.execute(select(HubChange.record_id, HubChange.server_version)).all()
            version = current_version(s)
        # Nothing lost: every answered publish is on the hub, its records with it.
        assert logged == set(answered)
        assert guides == {g for ids in guides_of.values() for g in ids}
        # Nothing twice: one version per publish, no gaps, each record stamped once.
        versions = sorted(r["hub_version"] for r in answered.values())
        assert versions == list(range(1, publishers * batches + 1)) == list(range(1, version + 1))
        assert sorted(rid for rid, _v in changes) == sorted(guides)
        with hub.session() as s:
            assert s.scalar(select(func.count()).select_from(RecordHistory)) == 0
    finally:
        hub.close()
