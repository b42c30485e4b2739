"""Alembic environment: always runs on a connection handed over by `storage.migrate`."""

from alembic import context

from desktop_app.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only used by `alembic revision --autogenerate`
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite can only ALTER by copying tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
