"""Where records live: a laptop's library (SQLite, `storage/library.py`) or a server database
(PostgreSQL, for the district hub). The record services — catalog edits, the merge, conflict
resolution — need only this much of either, so one merge core serves both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


class RecordStore(Protocol):
    """A database of records that can be read and written in transactions."""

    @property
    def read_only(self) -> bool: ...

    def session(self) -> contextlib.AbstractContextManager[Session]: ...

    def transaction(self) -> contextlib.AbstractContextManager[Session]: ...


class ServerStore:
    """Records in a database server (PostgreSQL): the hub's side of the merge core."""

    read_only = False

    def __init__(self, engine: Engine) -> None:
        from desktop_app.storage import searchindex, versions  # noqa: F401  (their hooks)
        from desktop_app.storage.db import make_session_factory

        self.engine = engine
        self._factory = make_session_factory(engine)

    @classmethod
    def connect(cls, url: str, *, migrate: bool = True) -> ServerStore:
        """Connect to `url`, creating or upgrading the schema first when `migrate` is set."""
        from desktop_app.storage import migrate as migrations
        from desktop_app.storage.db import make_server_engine

        engine = make_server_engine(url)
        if migrate:
            migrations.upgrade(engine)
        return cls(engine)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with self._factory() as session:
            yield session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._factory() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
