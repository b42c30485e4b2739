"""an index on the members present at sessions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A member's service record, the statistics by member and "what uses this member" (asked before a
member is deleted) all look up a member's attendances: `session_attendee.member_id`. Without an
index each lookup reads every attendance of the library (20,000 sessions hold about 100,000);
with it, only the member's own.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_attendee", schema=None) as batch_op:
        batch_op.create_index("ix_session_attendee_member_id", ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_attendee", schema=None) as batch_op:
        batch_op.drop_index("ix_session_attendee_member_id")
