"""record ancestry for merging knowledge packs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

`record_ancestry` holds version tags ("<revision>:<content sha256>") that a library knows are
superseded by its current version of a record, learned from packs and resolved conflicts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_ancestry",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", "tag", name=op.f("pk_record_ancestry")),
    )


def downgrade() -> None:
    op.drop_table("record_ancestry")
