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


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("version_tag", sa.String(length=80), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version_tag")
