"""the hub's epoch (noticing a restore), the database incarnation it was stamped in, and the
purge horizon

Revision ID: h0002
Revises: h0001
Create Date: 2026-12-01

Written out in full (no import of application code). An existing hub gets a fresh epoch and
an empty incarnation: the first open after this migration records the incarnation without
taking another epoch (nothing can have been restored under a schema that did not know it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0002"
down_revision: str | None = "h0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hub_state", sa.Column("epoch", sa.String(36), nullable=False, server_default=""))
    op.add_column(
        "hub_state", sa.Column("incarnation", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "hub_state",
        sa.Column("purge_horizon", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column("hub_state", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    # gen_random_uuid() is built in from PostgreSQL 13, the oldest the hub accepts.
    op.execute("UPDATE hub_state SET epoch = CAST(gen_random_uuid() AS text) WHERE epoch = ''")


def downgrade() -> None:
    for column in ("purged_at", "purge_horizon", "incarnation", "epoch"):
        op.drop_column("hub_state", column)
