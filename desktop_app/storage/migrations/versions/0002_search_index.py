"""full-text search index and foreign-key indexes for large libraries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

The FTS5 table, its record map, its queue and the triggers that fill the queue are made by
`desktop_app.storage.searchindex` (one place knows their shape); the tables the triggers watch
are written out below as they were in this revision (today each kind's search document in
storage/kinds.py declares them, and tests/storage/test_kinds.py checks the two agree: a new
watched table needs a new migration). Existing records are indexed here so an upgraded library
searches at once. The child tables get indexes on the column that
points to their aggregate: opening a session or re-indexing it must not scan every agenda item
of a 20,000-session library.
"""

from collections.abc import Sequence

from alembic import op

from desktop_app.storage import searchindex

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): the index is named ix_<table>_<column> as the models' naming convention says.
FK_INDEXES = [
    ("agenda_item", "session_id"),
    ("feedback_quote", "session_id"),
    ("participant_group", "session_id"),
    ("session_attendee", "session_id"),
    ("session_team", "team_id"),
    ("session_guide", "guide_id"),
    ("session_photo", "photo_id"),
    ("guide_step", "guide_id"),
    ("guide_step_photo", "photo_id"),
    ("team_membership", "member_id"),
]

# Tables whose rows change a record's search document: table -> (kind, column with its id).
SEARCH_TRIGGERS = {
    "service_team": ("team", "id"),
    "member": ("member", "id"),
    "guide": ("guide", "id"),
    "guide_step": ("guide", "guide_id"),
    "field_session": ("session", "id"),
    "agenda_item": ("session", "session_id"),
    "feedback_quote": ("session", "session_id"),
    "participant_group": ("session", "session_id"),
    "photo": ("photo", "id"),
}


def upgrade() -> None:
    for table, column in FK_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)
    with op.batch_alter_table("field_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_field_session_list", ["starts_at", "id", "deleted_at"], unique=False
        )
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":  # the index is SQLite's FTS5; a hub searches otherwise
        searchindex.create_schema(conn, SEARCH_TRIGGERS)
        searchindex.rebuild(conn)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        searchindex.drop_schema(op.get_bind(), SEARCH_TRIGGERS)
    with op.batch_alter_table("field_session", schema=None) as batch_op:
        batch_op.drop_index("ix_field_session_list")
    for table, column in reversed(FK_INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_{column}")
