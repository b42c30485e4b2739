"""`db.lock_for_writing`: a merge plans on exactly what it then applies, on both engines.

A second writer that takes the lock while the first holds it waits until the first commits,
and then reads what the first wrote: on SQLite through `BEGIN IMMEDIATE`, on PostgreSQL through
an advisory lock (before, the lock was a `DELETE … WHERE 0` that PostgreSQL refuses).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from desktop_app.storage.db import lock_for_writing
from desktop_app.storage.models import ServiceTeam
from tests.stores import Store


def test_a_second_writer_waits_and_then_plans_on_the_first_ones_commit(
    any_empty_store: Store,
) -> None:
    store = any_empty_store
    holding = threading.Event()
    seen: list[int] = []
    waited: list[float] = []

    def second() -> None:
        holding.wait(10)
        start = time.monotonic()
        with store.transaction() as s:
            lock_for_writing(s)
            waited.append(time.monotonic() - start)
            seen.append(s.scalar(select(func.count()).select_from(ServiceTeam)) or 0)
            s.add(ServiceTeam(name="乙队"))

    thread = threading.Thread(target=second)
    thread.start()
    with store.transaction() as s:
        lock_for_writing(s)
        s.add(ServiceTeam(name="甲队"))
        s.flush()
        holding.set()
        time.sleep(0.5)
    thread.join(20)
    assert seen == [1]  # the first writer's team, committed before the second one read
    assert waited and waited[0] >= 0.3
    with store.session() as s:
        assert sorted(s.scalars(select(ServiceTeam.name))) == ["乙队", "甲队"]


def test_taking_the_lock_after_a_write_keeps_that_write(any_empty_store: Store) -> None:
    with any_empty_store.transaction() as s:
        s.add(ServiceTeam(name="甲队"))
        s.flush()
        lock_for_writing(s)  # on SQLite the write already holds the lock
        s.add(ServiceTeam(name="乙队"))
    with any_empty_store.session() as s:
        assert s.scalar(select(func.count()).select_from(ServiceTeam)) == 2


def test_a_transaction_that_fails_after_taking_the_lock_leaves_nothing(
    any_empty_store: Store,
) -> None:
    try:
        with any_empty_store.transaction() as s:
            lock_for_writing(s)
            s.add(ServiceTeam(name="甲队"))
            s.flush()
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    with any_empty_store.transaction() as s:  # and the lock was released with it
        lock_for_writing(s)
        assert s.scalar(select(func.count()).select_from(ServiceTeam)) == 0
