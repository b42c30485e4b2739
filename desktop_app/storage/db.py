"""Engine and session setup (the SQLite pragmas the library relies on), and the one way a
transaction becomes the store's only writer on either engine (`lock_for_writing`)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_url(path: Path, *, read_only: bool, immutable: bool) -> str:
    uri = path.absolute().as_uri()
    params = []
    if read_only:
        params.append("mode=ro")
    if immutable:
        params.append("immutable=1")
    query = "&".join([*params, "uri=true"])
    return f"sqlite+pysqlite:///{uri}?{query}"


BUSY_TIMEOUT_S = 10.0  # how long a write waits for another one before SQLite gives up


def make_engine(path: Path, *, read_only: bool = False, immutable: bool = False) -> Engine:
    """An engine whose every connection has foreign keys on, WAL, and a busy timeout."""
    engine = create_engine(
        _sqlite_url(path, read_only=read_only, immutable=immutable),
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
        # Chinese stays readable in JSON columns, so LIKE and the search index can see it.
        json_serializer=lambda obj: json.dumps(obj, ensure_ascii=False),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        else:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    return engine


def make_server_engine(url: str, *, settings: dict[str, str] | None = None) -> Engine:
    """An engine for a database server (PostgreSQL, for the district hub), same JSON rules;
    `settings` are server parameters set on every connection (`-c name=value`)."""
    options = " ".join(f"-c {name}={value}" for name, value in (settings or {}).items())
    return create_engine(
        url,
        pool_pre_ping=True,
        json_serializer=lambda obj: json.dumps(obj, ensure_ascii=False),
        connect_args={"options": options} if options else {},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# The key of the PostgreSQL advisory lock that whole-store merges hold (any constant that no
# other advisory lock of ours uses: the hub's per-record keys are hashes of "kind:id").
_STORE_WRITER_KEY = 0x4A58_5752  # "JXWR"


def lock_for_writing(s: Session) -> None:
    """Make this transaction the store's one writer before it reads what it will change, so a
    merge plans on exactly what it then applies (a pack import, a hub sync's local merge).

    SQLite: `BEGIN IMMEDIATE`, the database's write lock, waiting out the busy timeout like any
    write; a transaction that has already written holds that lock and is left as it is.
    PostgreSQL: a transaction-scoped advisory lock, so two whole-store merges wait for each
    other while readers and the hub's per-record publishes go on (they take their own locks).
    Released when the transaction ends, on both.
    """
    conn = s.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        dbapi = conn.connection.dbapi_connection
        # pysqlite begins a transaction only before the first write; before that, begin it
        # ourselves as IMMEDIATE (its commit and rollback then end it as usual).
        if not getattr(dbapi, "in_transaction", True):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _STORE_WRITER_KEY})
    else:  # pragma: no cover - the two engines the app runs on
        raise NotImplementedError(f"no write lock for {dialect}")
