"""Run Alembic migrations programmatically (imported only when a migration is needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_revisions() -> list[str]:
    """All revisions from the first to the head, in order."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _begin(connection: Connection) -> None:
    """Open the transaction now, on SQLite. pysqlite begins one only before a statement that
    changes rows, never before CREATE, ALTER or DROP: each of those committed on its own, so a
    migration that failed half-way (a damaged row its data step could not read) left the
    schema changed under the old revision, and every later open failed on "duplicate
    column". Begun here, a failure rolls back the schema with the data."""
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if not getattr(dbapi, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(
    engine: Engine, target: str = "head", *, after: Callable[[Connection], None] | None = None
) -> None:
    """Upgrade in one transaction; `after` runs in it too (data steps that need application
    code), so a crash at any point leaves the library at the revision it had."""
    with engine.begin() as connection:
        _begin(connection)
        command.upgrade(alembic_config(connection), target)
        if after is not None:
            after(connection)


def downgrade(engine: Engine, target: str) -> None:
    with engine.begin() as connection:
        _begin(connection)
        command.downgrade(alembic_config(connection), target)
