"""a session's time zone

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A session's time is the wall time of the place where it happened: each field session stores
the IANA name of its zone (`time_zone`, "Asia/Shanghai") beside its UTC times, and is shown and
printed in that zone on every laptop, whatever the laptop's clock is set to.

Sessions already in the library get "Asia/Shanghai", on every laptop, and not the zone of the
laptop doing the upgrade:
- The same session lives on several laptops with the same stored version tag (the tag is a
  stored fact, schema 0005). If each laptop gave it its own zone, two laptops would hold the
  same version saying different things, and packs would call it unchanged forever: the
  libraries would differ for good. One fixed value keeps them equal.
- The instant is what was shared so far; the zone only says how to show it. The teams this app
  is for work in China, the demo library's sessions are Beijing times, and most laptops showed
  the sessions in Beijing time, which this keeps. A session held elsewhere can be given its zone
  in the form (the wall time follows the zone chosen there).
A server default fills the column without rewriting rows, so no search re-indexing is queued
and no version tag changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("field_session") as batch:
        batch.add_column(
            sa.Column(
                "time_zone", sa.String(length=64), nullable=False, server_default="Asia/Shanghai"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("field_session") as batch:
        batch.drop_column("time_zone")
