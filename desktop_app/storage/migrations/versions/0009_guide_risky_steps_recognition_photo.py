"""risky guide steps and a guide's recognition photo (识别图)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A guide step can be marked risky (`guide_step.risky`: a ⚠ beside it on the handout, e.g. 上梯
作业), and a guide can name one of its steps' photos as its 识别图
(`guide.recognition_photo_id`), printed large at the top of the handout.

Existing rows get "not risky" and "no recognition photo" through server defaults, without
rewriting rows: no search re-indexing is queued and no stored version tag changes. The record
dictionaries leave both out while they hold those defaults (storage/kinds.py), so every
existing version hashes exactly as before and travels as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN keeps every row where it is. Not a batch (copy and move) on
    # SQLite: recreating `guide` would drop its steps through their ON DELETE CASCADE, which
    # is also why the photo reference has no foreign key (models.Guide says more).
    op.add_column(
        "guide_step", sa.Column("risky", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("guide", sa.Column("recognition_photo_id", sa.String(36), nullable=True))


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch: see upgrade().
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE guide DROP COLUMN recognition_photo_id")
        op.execute("ALTER TABLE guide_step DROP COLUMN risky")
    else:
        op.drop_column("guide", "recognition_photo_id")
        op.drop_column("guide_step", "risky")
