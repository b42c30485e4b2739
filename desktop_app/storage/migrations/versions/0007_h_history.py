"""where each version came from

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

A record's history lists its earlier versions with when and from where: this laptop, or the
knowledge pack (the other laptop) a version was taken from. `record_history` says why a
version was replaced, not where it was made, and a version taken from a pack is only named by
its tag. `version_origin` remembers, per version tag, the library it came from (a pack's
source name and id) or the earlier revision it restores. Versions without a row were made on
this laptop, as every version in a library from before this schema was as far as it knows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "version_origin",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", "tag", name=op.f("pk_version_origin")),
    )


def downgrade() -> None:
    op.drop_table("version_origin")
