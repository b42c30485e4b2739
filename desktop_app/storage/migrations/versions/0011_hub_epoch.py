"""the epoch of the hub's history this laptop synced under (branch h-hubkeep)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

A hub restored from an older backup takes a new epoch (docs/hub-protocol.md, "Starting
over"); a laptop whose `hub_link.hub_epoch` differs from the hub's forgets its cursor and what
it believes the hub holds, pulls everything and republishes what the hub lost. "" (a laptop
connected before epochs existed) adopts the hub's epoch at its next sync.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hub_link") as batch_op:
        batch_op.add_column(
            sa.Column("hub_epoch", sa.String(length=36), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("hub_link") as batch_op:
        batch_op.drop_column("hub_epoch")
