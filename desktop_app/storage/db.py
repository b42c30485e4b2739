"""Engine and session setup with the SQLite pragmas the library relies on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
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
