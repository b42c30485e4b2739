"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_session",
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("host_organisations", sa.JSON(), nullable=False),
        sa.Column("theme", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("follow_ups", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_session")),
    )
    with op.batch_alter_table("field_session", schema=None) as batch_op:
        batch_op.create_index("ix_field_session_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "library_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_library_meta")),
    )
    op.create_table(
        "merge_conflict",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("local_revision", sa.Integer(), nullable=False),
        sa.Column("incoming", sa.JSON(), nullable=False),
        sa.Column("source_library", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_conflict")),
    )
    with op.batch_alter_table("merge_conflict", schema=None) as batch_op:
        batch_op.create_index("ix_merge_conflict_record", ["kind", "record_id"], unique=False)

    op.create_table(
        "photo",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ext", sa.String(length=8), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("camera", sa.Text(), nullable=False),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("orientation", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rotation IN (0, 90, 180, 270)", name=op.f("ck_photo_rotation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
        sa.UniqueConstraint("sha256", name=op.f("uq_photo_sha256")),
    )
    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
    )
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.create_index("ix_record_history_record", ["kind", "record_id"], unique=False)

    op.create_table(
        "service_team",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_union", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("member_count_note", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('management', 'technical', 'education', 'medical', 'other')",
            name=op.f("ck_service_team_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_team")),
    )
    with op.batch_alter_table("service_team", schema=None) as batch_op:
        batch_op.create_index(
            "uq_service_team_live_name",
            ["name"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "agenda_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("time", sa.Text(), nullable=False),
        sa.Column("leader", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_agenda_item_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item")),
    )
    op.create_table(
        "feedback_quote",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker", sa.Text(), nullable=False),
        sa.Column("speaker_role", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_feedback_quote_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_quote")),
    )
    op.create_table(
        "guide",
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("season", sa.Text(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("safety_notes", sa.JSON(), nullable=False),
        sa.Column("common_mistakes", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["service_team.id"],
            name=op.f("fk_guide_team_id_service_team"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide")),
    )
    op.create_table(
        "member",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("honours", sa.JSON(), nullable=False),
        sa.Column("specialty", sa.Text(), nullable=False),
        sa.Column("employer", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("portrait_photo_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["portrait_photo_id"],
            ["photo.id"],
            name=op.f("fk_member_portrait_photo_id_photo"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_table(
        "participant_group",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("count IS NULL OR count >= 0", name=op.f("ck_participant_group_count")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_participant_group_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_group")),
    )
    op.create_table(
        "session_photo",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("photo_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo.id"],
            name=op.f("fk_session_photo_photo_id_photo"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_session_photo_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "photo_id", name=op.f("pk_session_photo")),
    )
    op.create_table(
        "session_team",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_session_team_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["service_team.id"],
            name=op.f("fk_session_team_team_id_service_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "team_id", name=op.f("pk_session_team")),
    )
    op.create_table(
        "guide_author",
        sa.Column("guide_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guide_id"],
            ["guide.id"],
            name=op.f("fk_guide_author_guide_id_guide"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_guide_author_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("guide_id", "member_id", name=op.f("pk_guide_author")),
    )
    op.create_table(
        "guide_step",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("guide_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guide_id"],
            ["guide.id"],
            name=op.f("fk_guide_step_guide_id_guide"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_step")),
    )
    op.create_table(
        "session_attendee",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('lecture', 'demonstrate', 'coach', 'other')",
            name=op.f("ck_session_attendee_role"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_session_attendee_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_session_attendee_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attendee")),
    )
    op.create_table(
        "session_guide",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("guide_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guide_id"],
            ["guide.id"],
            name=op.f("fk_session_guide_guide_id_guide"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["field_session.id"],
            name=op.f("fk_session_guide_session_id_field_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "guide_id", name=op.f("pk_session_guide")),
    )
    op.create_table(
        "team_membership",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('captain', 'vice_captain', 'member')", name=op.f("ck_team_membership_role")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_team_membership_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["service_team.id"],
            name=op.f("fk_team_membership_team_id_service_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_membership")),
        sa.UniqueConstraint("team_id", "member_id", name=op.f("uq_team_membership_team_id")),
    )
    with op.batch_alter_table("team_membership", schema=None) as batch_op:
        batch_op.create_index(
            "uq_team_membership_one_captain",
            ["team_id"],
            unique=True,
            sqlite_where=sa.text("role = 'captain'"),
            postgresql_where=sa.text("role = 'captain'"),
        )

    op.create_table(
        "guide_step_photo",
        sa.Column("step_id", sa.String(length=36), nullable=False),
        sa.Column("photo_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo.id"],
            name=op.f("fk_guide_step_photo_photo_id_photo"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["guide_step.id"],
            name=op.f("fk_guide_step_photo_step_id_guide_step"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("step_id", "photo_id", name=op.f("pk_guide_step_photo")),
    )


def downgrade() -> None:
    op.drop_table("guide_step_photo")
    with op.batch_alter_table("team_membership", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_team_membership_one_captain", sqlite_where=sa.text("role = 'captain'")
        )

    op.drop_table("team_membership")
    op.drop_table("session_guide")
    op.drop_table("session_attendee")
    op.drop_table("guide_step")
    op.drop_table("guide_author")
    op.drop_table("session_team")
    op.drop_table("session_photo")
    op.drop_table("participant_group")
    op.drop_table("member")
    op.drop_table("guide")
    op.drop_table("feedback_quote")
    op.drop_table("agenda_item")
    with op.batch_alter_table("service_team", schema=None) as batch_op:
        batch_op.drop_index("uq_service_team_live_name", sqlite_where=sa.text("deleted_at IS NULL"))

    op.drop_table("service_team")
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.drop_index("ix_record_history_record")

    op.drop_table("record_history")
    op.drop_table("photo")
    with op.batch_alter_table("merge_conflict", schema=None) as batch_op:
        batch_op.drop_index("ix_merge_conflict_record")

    op.drop_table("merge_conflict")
    op.drop_table("library_meta")
    with op.batch_alter_table("field_session", schema=None) as batch_op:
        batch_op.drop_index("ix_field_session_starts_at")

    op.drop_table("field_session")
