"""records waiting to be published to the hub, kept as they change

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

`hub_dirty` holds (kind, id) of every record whose current version the hub is not known to
hold, while the library is connected to a hub: exactly the records the old full scan found
(every record's `version_tag` against `hub_known`), which made each sync and each status-bar
count read the whole library (185 ms for an incremental sync of 20,000 sessions).

SQLite triggers keep it exact whatever writes the rows (a save, a merge from a pack or the
hub, a restore, a conflict resolution, a bulk insert, a clean-up), so no write path can forget
it; each trigger recomputes the one record's membership:

- on a record table: inserted, or its `version_tag` changed: dirty unless `hub_known` holds
  that very tag; deleted (the row gone): not dirty;
- on `hub_known` (a pull or a publish answer): dirty unless the record's current tag is the
  known one; a record changed after its entry was sent therefore stays dirty;
- on `hub_link`: connecting marks every record the hub does not hold; disconnecting clears.

Nothing is tracked while the library is not connected. The hub's own database (PostgreSQL)
gets the table, unused and without triggers: a hub never links to another hub.

The tables and kinds are written out as they are in this revision (migrations import no
application code); tests/services/test_hub_dirty.py checks that every record kind has its
triggers, so a new kind needs a migration of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kind -> the table of its records (storage/kinds.py)
KIND_TABLES = {
    "photo": "photo",
    "member": "member",
    "team": "service_team",
    "guide": "guide",
    "session": "field_session",
}

LINKED = "EXISTS (SELECT 1 FROM hub_link)"


def _mark(kind: str, row: str) -> str:
    """Recompute whether the record `row` (NEW/OLD) of a record table is dirty."""
    return f"DELETE FROM hub_dirty WHERE kind = '{kind}' AND record_id = {row}.id;\n" + (
        ""
        if row == "OLD"
        else f"INSERT INTO hub_dirty (kind, record_id) SELECT '{kind}', NEW.id "
        f"WHERE {LINKED} AND NOT EXISTS (SELECT 1 FROM hub_known "
        f"WHERE kind = '{kind}' AND record_id = NEW.id AND tag = NEW.version_tag);\n"
    )


def _known(row: str) -> str:
    """Recompute whether the record a `hub_known` row (NEW/OLD) is about is dirty."""
    out = f"DELETE FROM hub_dirty WHERE kind = {row}.kind AND record_id = {row}.record_id;\n"
    for kind, table in KIND_TABLES.items():
        differs = "" if row == "OLD" else "AND r.version_tag IS NOT NEW.tag "
        out += (
            f"INSERT INTO hub_dirty (kind, record_id) SELECT '{kind}', r.id FROM {table} r "
            f"WHERE {row}.kind = '{kind}' AND r.id = {row}.record_id {differs}AND {LINKED};\n"
        )
    return out


def fill_statements() -> list[str]:
    """Every record the hub is not known to hold (the definition: hub_sync.waiting_by_scan)."""
    return [
        f"INSERT INTO hub_dirty (kind, record_id) SELECT '{kind}', r.id FROM {table} r "
        f"LEFT JOIN hub_known k ON k.kind = '{kind}' AND k.record_id = r.id "
        f"WHERE k.tag IS NULL OR k.tag != r.version_tag"
        for kind, table in KIND_TABLES.items()
    ]


def trigger_statements() -> list[str]:
    out = []
    for kind, table in KIND_TABLES.items():
        out += [
            f"CREATE TRIGGER hub_dirty_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN\n{_mark(kind, 'NEW')}END",
            f"CREATE TRIGGER hub_dirty_{table}_update AFTER UPDATE OF version_tag ON {table} "
            f"WHEN NEW.version_tag IS NOT OLD.version_tag BEGIN\n{_mark(kind, 'NEW')}END",
            f"CREATE TRIGGER hub_dirty_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN\n{_mark(kind, 'OLD')}END",
        ]
    out += [
        "CREATE TRIGGER hub_dirty_known_insert AFTER INSERT ON hub_known "
        f"BEGIN\n{_known('NEW')}END",
        "CREATE TRIGGER hub_dirty_known_update AFTER UPDATE ON hub_known "
        f"BEGIN\n{_known('OLD')}{_known('NEW')}END",
        "CREATE TRIGGER hub_dirty_known_delete AFTER DELETE ON hub_known "
        f"BEGIN\n{_known('OLD')}END",
        "CREATE TRIGGER hub_dirty_link_insert AFTER INSERT ON hub_link BEGIN\n"
        "DELETE FROM hub_dirty;\n" + ";\n".join(fill_statements()) + ";\nEND",
        "CREATE TRIGGER hub_dirty_link_delete AFTER DELETE ON hub_link BEGIN\n"
        "DELETE FROM hub_dirty;\nEND",
    ]
    return out


def trigger_names() -> list[str]:
    names = [
        f"hub_dirty_{table}_{op_}"
        for table in KIND_TABLES.values()
        for op_ in ("insert", "update", "delete")
    ]
    return (
        names
        + [f"hub_dirty_known_{op_}" for op_ in ("insert", "update", "delete")]
        + [
            "hub_dirty_link_insert",
            "hub_dirty_link_delete",
        ]
    )


def upgrade() -> None:
    op.create_table(
        "hub_dirty",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", name=op.f("pk_hub_dirty")),
    )
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return  # the hub's database: see above
    for statement in trigger_statements():
        conn.exec_driver_sql(statement)
    # A library connected before this revision: nothing waiting may be lost on the upgrade.
    if conn.exec_driver_sql("SELECT 1 FROM hub_link").first() is not None:
        for statement in fill_statements():
            conn.exec_driver_sql(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in trigger_names():
            op.get_bind().exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("hub_dirty")
