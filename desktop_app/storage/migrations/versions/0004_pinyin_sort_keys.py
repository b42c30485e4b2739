"""pinyin sort keys for names and titles

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Lists of teams, members and guides sort by pinyin (`storage/sortkeys.py`), not by code point.
The keys are stored beside the names and filled here for the records already in the library.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from desktop_app.storage.sortkeys import pinyin_key

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED = [("service_team", "name", "name_key"), ("member", "name", "name_key"),
         ("guide", "title", "title_key")]  # fmt: skip


QUEUE = "SELECT kind, rid FROM search_fts_queue"


def upgrade() -> None:
    conn = op.get_bind()
    indexed = conn.dialect.name == "sqlite"  # the search index queue exists there only (0002)
    queued_before = (
        {(kind, rid) for kind, rid in conn.execute(sa.text(QUEUE))} if indexed else set()
    )
    for table, column, key in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(key, sa.Text(), nullable=False, server_default=""))
        rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()
        if rows:
            conn.execute(
                sa.text(f"UPDATE {table} SET {key} = :key WHERE id = :id"),
                [{"id": rid, "key": pinyin_key(value)} for rid, value in rows],
            )
    # The update triggers queued every row for the search index, but keys are not indexed
    # text: take back what this migration queued, or the next save would re-index them all.
    stale = [
        {"kind": kind, "rid": rid}
        for kind, rid in (conn.execute(sa.text(QUEUE)) if indexed else ())
        if (kind, rid) not in queued_before
    ]
    if stale:
        conn.execute(
            sa.text("DELETE FROM search_fts_queue WHERE kind = :kind AND rid = :rid"), stale
        )


def downgrade() -> None:
    for table, _column, key in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(key)
