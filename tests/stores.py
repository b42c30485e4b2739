"""The record store on both engines it runs on: a laptop's SQLite library and a server's
PostgreSQL database (the district hub's, `storage.store.ServerStore`).

Fixtures (registered in tests/conftest.py), each parametrized "sqlite" / "postgresql":
- `any_store`: the demo content (the same `fill_demo` on both);
- `any_empty_store`: a store with no records;
- `any_blank_engine`: an engine on a database with no schema yet (migration tests).

On SQLite they are `demo_library` / `empty_library`. On PostgreSQL the schema is migrated and
the demo filled once per run into template databases; each test gets a `CREATE DATABASE …
TEMPLATE` copy (about 0.2 s on a busy two-core machine, against 2-3 s to migrate and fill),
dropped when the test ends. The cluster is the run's throw-away one (`pg_cluster`,
tests/pgserver.py): under CI=true a missing PostgreSQL fails these tests, never skips them.

`import_pack_into` imports a pack into either: a library through `packs.import_pack`, a server
database through the same records' half of it (`packs.plan_import` / `apply_import`: the write
lock, the merge core, the origins). A server keeps its photo files elsewhere (the hub's blob
table), so only the records travel there. `send` gives everything one store holds to another:
from a library as a pack, from a server database as the hub hands records to a laptop
(`hub.sync.wire_entries`, parsed as a pull parses them), through the same import.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from desktop_app.services import packs
from desktop_app.services.demo import fill_demo
from desktop_app.services.pack_format import (
    EntryBatch,
    PackEntry,
    RecordBatch,
    parse_wire_entry,
    read_pack,
)
from desktop_app.storage.kinds import KIND_ORDER, KINDS
from desktop_app.storage.library import Library
from desktop_app.storage.store import ServerStore
from tests.pgserver import Cluster

ENGINES = ["sqlite", "postgresql"]
Store = Library | ServerStore


def _admin(cluster: Cluster) -> Any:
    import psycopg

    return psycopg.connect(
        host=str(cluster.socket_dir), user="postgres", dbname="postgres", autocommit=True
    )


@dataclass
class PgTemplates:
    """Template databases on the run's cluster, and the copies handed to tests."""

    cluster: Cluster

    def copy(self, template: str) -> ServerStore:
        name = "t_" + uuid.uuid4().hex[:12]
        with _admin(self.cluster) as conn:
            # FILE_COPY (the only way before PostgreSQL 15): the template is tiny, and copying
            # its files beats WAL-logging them block by block.
            strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
        return ServerStore.connect(self.cluster.url(name), migrate=False)

    def drop(self, store: ServerStore) -> None:
        name = store.engine.url.database
        store.close()
        with _admin(self.cluster) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _make_template(cluster: Cluster, name: str, *, demo: bool) -> None:
    with _admin(cluster) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = ServerStore.connect(cluster.url(name))  # migrates to the head
    try:
        if demo:
            fill_demo(store)
    finally:
        store.close()  # a template may have no open connection when it is copied


@pytest.fixture(scope="session")
def pg_templates(pg_cluster: Cluster) -> PgTemplates:
    _make_template(pg_cluster, "tmpl_empty", demo=False)
    _make_template(pg_cluster, "tmpl_demo", demo=True)
    return PgTemplates(pg_cluster)


def _store(request: pytest.FixtureRequest, sqlite_fixture: str, template: str) -> Iterator[Any]:
    if request.param == "sqlite":
        yield request.getfixturevalue(sqlite_fixture)
        return
    templates: PgTemplates = request.getfixturevalue("pg_templates")
    store = templates.copy(template)
    try:
        yield store
    finally:
        templates.drop(store)


@pytest.fixture(params=ENGINES)
def any_blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database without any schema (for migrations), on either engine."""
    from desktop_app.storage.db import make_engine, make_server_engine

    if request.param == "sqlite":
        engine = make_engine(tmp_path / "blank.sqlite3")
        yield engine
        engine.dispose()
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    engine = make_server_engine(cluster.create_database())
    yield engine
    name = engine.url.database
    engine.dispose()
    with _admin(cluster) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(params=ENGINES)
def any_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The demo content, in a SQLite library or a PostgreSQL database."""
    yield from _store(request, "demo_library", "tmpl_demo")


@pytest.fixture(params=ENGINES)
def any_empty_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A store without records, in a SQLite library or a PostgreSQL database."""
    yield from _store(request, "empty_library", "tmpl_empty")


def import_pack_into(store: Store, path: Path) -> packs.ImportReport:
    """Import a pack's records into either store (see the module docstring)."""
    if isinstance(store, Library):
        return packs.import_pack(store, path)
    pack = read_pack(path)
    try:
        with store.transaction() as s:
            plan = packs.plan_import(s, pack)
            packs.apply_import(s, plan)
        return packs.import_report(plan, pack, dry_run=False, photos=[])
    finally:
        pack.close()


def merge_into(target: Store, batch: RecordBatch) -> packs.ImportReport:
    """Merge entries that did not come in a pack into either store, as an import does."""
    with target.transaction() as s:
        plan = packs.plan_import(s, batch)
        packs.apply_import(s, plan)
    return packs.import_report(plan, batch, dry_run=False, photos=[])


Outgoing = Path | EntryBatch  # what one store gives another: a pack, or entries


def outgoing(source: Store, tmp: Path, name: str, *, include_contacts: bool = False) -> Outgoing:
    """Everything `source` holds, as it leaves it (see the module docstring)."""
    if isinstance(source, Library):
        target = tmp / f"{name}.jxpack"
        return packs.export_pack(source, target, include_contacts=include_contacts).path
    from desktop_app.hub.sync import wire_entries

    assert not include_contacts, "a server database never hands out personal fields"
    with source.session() as s:
        keys = [
            (kind, str(rid))
            for kind in KIND_ORDER
            for rid in s.scalars(select(KINDS[kind].model.id))  # type: ignore[attr-defined]
        ]
        wire = wire_entries(s, keys)
    entries: dict[str, list[PackEntry]] = {kind: [] for kind in KIND_ORDER}
    for n, ((kind, _rid), item) in enumerate(wire.items()):
        entries[kind].append(parse_wire_entry(item, n))
    return EntryBatch(entries, source_id=name, source_name=name)


def receive(target: Store, incoming: Outgoing) -> packs.ImportReport:
    if isinstance(incoming, Path):
        return import_pack_into(target, incoming)
    return merge_into(target, incoming)


def send(
    source: Store, target: Store, tmp: Path, name: str, *, include_contacts: bool = False
) -> packs.ImportReport:
    """Everything `source` holds, merged into `target`."""
    return receive(target, outgoing(source, tmp, name, include_contacts=include_contacts))


def swap(a: Store, b: Store, tmp: Path, tag: str) -> tuple[packs.ImportReport, ...]:
    """Both stores give what they hold, then each takes the other's."""
    from_a, from_b = outgoing(a, tmp, f"a-{tag}"), outgoing(b, tmp, f"b-{tag}")
    return receive(a, from_b), receive(b, from_a)


@pytest.fixture
def any_pair(
    demo_dir: Path, tmp_path: Path, any_empty_store: Store
) -> Iterator[tuple[Library, Store]]:
    """A laptop with the (illustrated) demo library and a second store, a laptop's library or
    a server database, that took everything from it once."""
    from tests.services.packkit import illustrate

    a = Library.open(demo_dir, write=True)
    illustrate(a)
    send(a, any_empty_store, tmp_path, "first")
    yield a, any_empty_store
    a.close()
