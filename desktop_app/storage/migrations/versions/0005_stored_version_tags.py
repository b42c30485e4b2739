"""stored version tags

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

A version's tag ("<revision>:<content sha256>") is written when the version is made, on the
record and on its history row, instead of being recomputed from rows that can change later
(a photo removed by clean-up changed the hash of every old version that showed it).

The columns start empty; `storage/versions.py` stamps the records and history rows already in
the library right after the upgrade (it needs the content hash, which is application code that
this script must not import).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("service_team", "member", "guide", "field_session", "photo", "record_history")
# The record tables whose update trigger feeds the search index (0002), with their kind.
INDEXED = {
    "service_team": "team",
    "member": "member",
    "guide": "guide",
    "field_session": "session",
    "photo": "photo",
}


def _update_trigger(table: str, kind: str, when: str) -> str:
    return (
        f"CREATE TRIGGER trg_{table}_update_fts AFTER UPDATE ON {table}{when} BEGIN"
        f" INSERT OR IGNORE INTO search_fts_queue (kind, rid) VALUES ('{kind}', NEW.id);"
        f" INSERT OR IGNORE INTO search_fts_queue (kind, rid) VALUES ('{kind}', OLD.id); END"
    )


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("version_tag", sa.String(length=80), nullable=False, server_default="")
            )
    # A tag written again within the same revision (stamping old records below, a photo
    # import's later groups) changes no searchable text: it must not re-index the record.
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return  # the search index and its triggers exist on SQLite only (0002)
    for table, kind in INDEXED.items():
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_update_fts")
        conn.exec_driver_sql(
            _update_trigger(
                table,
                kind,
                " WHEN OLD.revision IS NOT NEW.revision OR OLD.version_tag IS NEW.version_tag",
            )
        )


def downgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    for table in INDEXED if sqlite else ():
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_update_fts")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version_tag")
    for table, kind in INDEXED.items() if sqlite else ():
        conn.exec_driver_sql(_update_trigger(table, kind, ""))
