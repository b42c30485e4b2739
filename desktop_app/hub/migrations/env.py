"""Alembic environment of the hub's own tables: runs on a connection handed over by
`hub.database`, with its own version table so it never touches the library chain's."""

from alembic import context

from desktop_app.hub.tables import HubBase

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=HubBase.metadata,
    version_table="hub_alembic_version",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
