"""the laptop's link to a district hub

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Bookkeeping of the laptop side of hub sync (docs/hub-protocol.md, "Laptop bookkeeping"):
- `hub_link`: one row while the library is connected to a hub: its address, identity, the
  pinned certificate, who signed in from this laptop, the pull cursor and the last sync.
  The device token is not here: a library's database travels in backups and copies, so the
  token lives in the user's configuration folder.
- `hub_known`: for each record, the version the hub is known to hold (from a pull or a
  publish answer); a record whose current tag differs waits to be published.
- `hub_outbox`: a publish saved before it is sent, so that a retry after a lost answer sends
  the same publish id and the hub applies it once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hub_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("hub_id", sa.String(length=36), nullable=False),
        sa.Column("hub_name", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_result", sa.JSON(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_hub_link_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_link")),
    )
    op.create_table(
        "hub_known",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id", name=op.f("pk_hub_known")),
    )
    op.create_table(
        "hub_outbox",
        sa.Column("publish_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("publish_id", name=op.f("pk_hub_outbox")),
    )


def downgrade() -> None:
    op.drop_table("hub_outbox")
    op.drop_table("hub_known")
    op.drop_table("hub_link")
