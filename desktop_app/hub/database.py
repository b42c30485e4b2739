"""Opening a hub database: the library schema and the hub's tables, migrated as one explicit
step, and the change counter that orders every publish.

Migrations are an explicit, logged step (`jiangxin-hub init`), never a side effect of serving:
auto-migrations that stall silently are a known pain of other sync servers (HUB.md, lessons).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.hub.tables import HubState
from desktop_app.storage import migrate as library_migrations
from desktop_app.storage.db import make_server_engine
from desktop_app.storage.models import new_id
from desktop_app.storage.store import ServerStore

log = logging.getLogger(__name__)

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
            with store.transaction() as s:
                notice_restore(s)
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


def migrate_hub(url: str, *, name: str = "") -> bool:
    """Create or upgrade the whole hub schema in one transaction (library chain, then the
    hub's), and make the state row on first run. True if the database turned out to be a
    restored (or copied) one: the hub took a new epoch (`notice_restore`)."""
    restored = False
    engine = make_server_engine(url)
    try:
        with engine.begin() as connection:
            check_server(connection)
            # Two hubs' `init` at once would race on CREATE TABLE: one waits for the other.
            connection.execute(text("SELECT pg_advisory_xact_lock(7340911)"))
            library_before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(library_migrations.alembic_config(connection), "head")
            library_after = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(hub_alembic_config(connection), "head")
            with Session(bind=connection) as s:
                if s.get(HubState, 1) is None:
                    s.add(
                        HubState(
                            id=1,
                            name=name,
                            version=0,
                            epoch=new_id(),
                            incarnation=incarnation(s.connection()),
                        )
                    )
                    s.flush()
                else:
                    restored = notice_restore(s)
                    s.flush()
                from desktop_app.hub.sync import fill_change_entries  # (it imports this module)

                # The stored pull entries are the records' wire form under the schema they
                # were made in: a new library schema may change that form, so they are all
                # made again.
                fill_change_entries(s, remake=library_before not in (None, library_after))
                s.flush()
    finally:
        engine.dispose()
    return restored


def incarnation(connection: Connection) -> str:
    """What names this copy of the hub's database: the cluster's system identifier and the
    database's oid. `pg_dump` + `pg_restore` (into a new database, or on another server) and a
    new cluster change it; the hub's own tables cannot, since a restore copies them."""
    oid = connection.execute(
        text("SELECT oid FROM pg_database WHERE datname = current_database()")
    ).scalar_one()
    try:
        with connection.begin_nested():
            system = connection.execute(
                text("SELECT system_identifier FROM pg_control_system()")
            ).scalar_one()
    except DBAPIError:  # a server that hides it: the oid alone still notices most restores
        system = ""
    return f"{system}:{oid}"


def notice_restore(s: Session) -> bool:
    """Take a new epoch if the database is not the one the hub last wrote in (it was restored
    from a backup, or copied): laptops that synced before then start over. True if so.

    Run when the hub opens its database (`serve`, every `jiangxin-hub` command) and by `init`,
    before any laptop is served. The row lock makes several hub processes starting at once
    take one new epoch, not several."""
    state = s.scalars(select(HubState).where(HubState.id == 1).with_for_update()).one_or_none()
    if state is None:
        return False
    now = incarnation(s.connection())
    if state.incarnation == now:
        return False
    restored = bool(state.incarnation)  # "" is a hub migrated from before epochs existed
    if restored:
        state.epoch = new_id()
        log.warning("the hub's database was restored or copied: new epoch %s", state.epoch)
    state.incarnation = now
    return restored


def new_epoch(s: Session) -> str:
    """Start a new epoch by hand (`jiangxin-hub restored`): for a restore that keeps the
    database's identity (a point-in-time recovery, `pg_restore --clean` into the same
    database), which `notice_restore` cannot see."""
    state = s.scalars(select(HubState).where(HubState.id == 1).with_for_update()).one()
    state.epoch = new_id()
    state.incarnation = incarnation(s.connection())
    return state.epoch


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
