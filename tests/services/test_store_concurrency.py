"""Two writers of one record at once, on SQLite and on PostgreSQL (`any_store`,
tests/stores.py): a save based on the version another writer is replacing is refused, never
written over the other's edit.

On SQLite the database has one writer at a time, and a write based on an older snapshot is
refused as busy. On PostgreSQL (READ COMMITTED) the second UPDATE used to wait for the first
and then go through: both edits became the same revision and the first was lost from the
record. The catalog now reads the record it changes with a row lock, and the catalog and
conflict resolution take the store's write lock before they check anything.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.core.errors import LibraryBusyError, StaleRecordError, UserError
from desktop_app.services import catalog, merge
from desktop_app.services.records import get_record
from desktop_app.storage import versions
from desktop_app.storage.library import Library
from desktop_app.storage.models import Guide, RecordHistory
from tests.stores import Store, send


def test_a_save_racing_another_writer_of_the_record_is_refused(any_store: Store) -> None:
    store = any_store
    with store.session() as s:
        gid = str(s.scalars(select(Guide.id).order_by(Guide.id)).first())
    seen = catalog.current_version(store, "guide", gid)
    form = catalog.load_guide(store, gid)
    form.season = "表单里的季节"
    writing = threading.Event()
    outcome: list[BaseException | str] = []

    def second_writer() -> None:
        writing.wait(10)
        try:
            outcome.append(catalog.save_guide(store, form, gid, expected_version=seen))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    # The first writer (an import, another window) changes the record and holds its
    # transaction open a moment while the second one saves.
    with store.transaction() as s:
        guide = get_record(s, "guide", gid, for_update=True)
        versions.begin_version(s, "guide", guide)
        guide.problem = "另一位写入者的修改"
        versions.stamp(s, "guide", guide)
        s.flush()
        writing.set()
        time.sleep(0.5)
    thread.join(20)
    (result,) = outcome
    assert isinstance(result, (StaleRecordError, LibraryBusyError)), result
    now = catalog.load_guide(store, gid)
    assert now.problem == "另一位写入者的修改" and now.season != "表单里的季节"
    with store.session() as s:
        revisions = s.scalars(
            select(RecordHistory.revision).where(RecordHistory.record_id == gid)
        ).all()
    assert len(revisions) == len(set(revisions))  # one version per revision
    assert versions.tag_revision(catalog.current_version(store, "guide", gid)) == (
        versions.tag_revision(seen) + 1
    )


@pytest.mark.parametrize("how", ["delete", "restore"])
def test_a_deletion_racing_an_edit_is_refused(any_store: Store, how: str) -> None:
    store = any_store
    with store.session() as s:
        gid = str(s.scalars(select(Guide.id).order_by(Guide.id)).first())
    if how == "restore":
        catalog.delete_record(store, "guide", gid)
    seen = catalog.current_version(store, "guide", gid)
    writing = threading.Event()
    outcome: list[BaseException | None] = []

    def second_writer() -> None:
        writing.wait(10)
        try:
            if how == "delete":
                catalog.delete_record(store, "guide", gid, expected_version=seen)
            else:
                catalog.restore_record(store, "guide", gid, expected_version=seen)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    with store.transaction() as s:
        guide = get_record(s, "guide", gid, include_deleted=True, for_update=True)
        versions.begin_version(s, "guide", guide)
        guide.problem = "另一位写入者的修改"
        versions.stamp(s, "guide", guide)
        s.flush()
        writing.set()
        time.sleep(0.5)
    thread.join(20)
    (result,) = outcome
    assert isinstance(result, (StaleRecordError, LibraryBusyError)), result
    with store.session() as s:
        obj = get_record(s, "guide", gid, include_deleted=True)
        assert obj.problem == "另一位写入者的修改"
        assert (obj.deleted_at is None) == (how == "delete")  # the refused change left out
        revisions = s.scalars(
            select(RecordHistory.revision).where(RecordHistory.record_id == gid)
        ).all()
    assert len(revisions) == len(set(revisions))


def test_one_conflict_resolved_twice_at_once_is_resolved_once(
    any_empty_store: Store, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two people settle the same conflict at the same moment, one keeping mine, the other
    taking theirs. Both went through (two versions of one revision); now the second is told
    the conflict is already resolved, and the record holds the first one's choice."""
    store = any_empty_store
    send(demo_library, store, tmp_path, "first")
    with store.session() as s:
        gid = str(s.scalars(select(Guide.id).order_by(Guide.id)).first())
    for where, season in ((store, "这里的季节"), (demo_library, "那边的季节")):
        data = catalog.load_guide(where, gid)
        data.season = season
        catalog.save_guide(where, data, gid)
    send(demo_library, store, tmp_path, "second")
    (conflict,) = merge.list_conflicts(store)

    settle = merge._settle_resolution
    first = threading.current_thread()
    settling = threading.Event()

    def slow_settle(*args: Any, **kwargs: Any) -> None:
        settle(*args, **kwargs)
        if threading.current_thread() is first:  # the first holds its transaction a moment
            settling.set()
            time.sleep(0.5)

    monkeypatch.setattr(merge, "_settle_resolution", slow_settle)
    outcome: list[BaseException | None] = []

    def second() -> None:
        settling.wait(10)
        try:
            merge.resolve_conflict(store, conflict.id, "theirs")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    merge.resolve_conflict(store, conflict.id, "mine")
    thread.join(20)
    (result,) = outcome
    assert isinstance(result, UserError) and "already resolved" in result.message, result
    assert catalog.load_guide(store, gid).season == "这里的季节"
    with store.session() as s:
        revisions = s.scalars(
            select(RecordHistory.revision).where(RecordHistory.record_id == gid)
        ).all()
    assert len(revisions) == len(set(revisions))
