"""each change row keeps its record's wire entry, written by the publish that stamped it

Revision ID: h0003
Revises: h0002
Create Date: 2026-12-02

Written out in full (no import of application code). Rows stamped before this migration have
no wire entry (NULL); a pull makes theirs from the records, as it did before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0003"
down_revision: str | None = "h0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hub_change", sa.Column("wire", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("hub_change", "wire")
