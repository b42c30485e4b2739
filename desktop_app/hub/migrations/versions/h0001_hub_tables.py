"""the hub's tables: change counter and log, publish log, blobs, accounts and devices

Revision ID: h0001
Revises:
Create Date: 2026-12-01

Written out in full (no import of application code), so that later changes to the models
cannot change what this migration did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hub_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hub_id", sa.String(36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_hub_state_one_row"),
    )
    op.create_table(
        "hub_change",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("server_version", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_hub_change_server_version", "hub_change", ["server_version"])
    op.create_table(
        "hub_publish_log",
        sa.Column("publish_id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "hub_blob",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Photos are JPEG/HEIC already: compressing them again only costs time (HUB.md §4).
        op.execute("ALTER TABLE hub_blob ALTER COLUMN data SET STORAGE EXTERNAL")
    op.create_table(
        "hub_user",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("disabled_at", TIME, nullable=True),
    )
    op.create_table(
        "hub_user_team",
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("hub_user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("team_id", sa.String(36), primary_key=True),
    )
    op.create_table(
        "hub_device",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(36),
            sa.ForeignKey("hub_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=True),
        sa.Column("revoked_at", TIME, nullable=True),
    )
    op.create_table(
        "hub_login_failure",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("remote", sa.String(64), nullable=False),
        sa.Column("at", TIME, nullable=False),
    )
    op.create_index("ix_hub_login_failure_user_at", "hub_login_failure", ["user_name", "at"])


def downgrade() -> None:
    for table in (
        "hub_login_failure",
        "hub_device",
        "hub_user_team",
        "hub_user",
        "hub_blob",
        "hub_publish_log",
        "hub_change",
        "hub_state",
    ):
        op.drop_table(table)
