"""Opening a hub database: the library schema and the hub's tables, migrated as one explicit
step, and the change counter that orders every publish.

Migrations are an explicit, logged step (`jiangxin-hub init`), never a side effect of serving:
auto-migrations that stall silently are a known pain of other sync servers (HUB.md, lessons).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.hub.tables import HubState
from desktop_app.storage import migrate as library_migrations
from desktop_app.storage.db import make_server_engine
from desktop_app.storage.store import ServerStore

HUB_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
HUB_VERSION_TABLE = "hub_alembic_version"
MIN_POSTGRESQL = 13  # `ALTER … SET STORAGE`, `timestamptz`, partial indexes: all older; 13 is
# the oldest release still supported by its community when this was written.


# While serving, no statement may run, and no transaction sit idle, for long: a stuck request
# (a laptop gone mid-publish, a runaway query) must not hold the locks every publisher needs
# (HUB.md, "ops"). A publish of 2,000 entries takes seconds; a minute is far beyond any
# legitimate statement. Migrations (`migrate_hub`) run without these limits.
SERVING_SETTINGS = {
    "statement_timeout": "60s",
    "idle_in_transaction_session_timeout": "60s",
}


class HubDatabaseError(UserError):
    """The hub's database cannot be used as it is (too old, not set up, newer than this hub)."""


def hub_alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HUB_MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _head(config: Config) -> str | None:
    return ScriptDirectory.from_config(config).get_current_head()


class HubStore(ServerStore):
    """The hub's database: records (library schema) plus the hub's own tables."""

    @classmethod
    def open(cls, url: str) -> HubStore:
        """Open a hub database that `migrate_hub` has set up; refuse anything else in words."""
        engine = make_server_engine(url, settings=SERVING_SETTINGS)
        store = cls(engine)
        try:
            with engine.connect() as connection:
                check_server(connection)
                library_head = _head(library_migrations.alembic_config())
                hub_head = _head(hub_alembic_config())
                library_now = MigrationContext.configure(connection).get_current_revision()
                hub_now = MigrationContext.configure(
                    connection, opts={"version_table": HUB_VERSION_TABLE}
                ).get_current_revision()
            if library_now != library_head or hub_now != hub_head:
                raise HubDatabaseError(
                    _(
                        "The hub's database is not set up for this version of the hub "
                        "(run “jiangxin-hub init --database …” to create or upgrade it)."
                    )
                )
        except BaseException:
            store.close()
            raise
        return store


def check_server(connection: Connection) -> None:
    """Refuse a database server that is not PostgreSQL, or too old, with a sentence."""
    if connection.dialect.name != "postgresql":
        raise HubDatabaseError(_("The hub needs a PostgreSQL database."))
    major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if major < MIN_POSTGRESQL:
        raise HubDatabaseError(
            _("The hub needs PostgreSQL {need} or newer; this server is {have}.").format(
                need=MIN_POSTGRESQL, have=major
            )
        )


def migrate_hub(url: str, *, name: str = "") -> None:
    """Create or upgrade the whole hub schema in one transaction (library chain, then the
    hub's), and make the state row on first run."""
    engine = make_server_engine(url)
    try:
        with engine.begin() as connection:
            check_server(connection)
            # Two hubs' `init` at once would race on CREATE TABLE: one waits for the other.
            connection.execute(text("SELECT pg_advisory_xact_lock(7340911)"))
            command.upgrade(library_migrations.alembic_config(connection), "head")
            command.upgrade(hub_alembic_config(connection), "head")
            with Session(bind=connection) as s:
                if s.get(HubState, 1) is None:
                    s.add(HubState(id=1, name=name, version=0))
                    s.flush()
    finally:
        engine.dispose()


def next_version(s: Session) -> int:
    """Bump the hub's change counter and return the new value.

    Call it at the END of a publish transaction, just before commit: the row lock it takes is
    held until commit, so publishers take turns only for that last moment (HUB.md: 1.2 s per
    1,000 publishes instead of 4.5 s), and versions are handed out in commit order.
    """
    return int(
        s.execute(
            update(HubState)
            .where(HubState.id == 1)
            .values(version=HubState.version + 1)
            .returning(HubState.version)
        ).scalar_one()
    )


def current_version(s: Session) -> int:
    """The counter as last committed: the cursor a puller that has everything holds."""
    return int(s.execute(select(HubState.version).where(HubState.id == 1)).scalar_one())
