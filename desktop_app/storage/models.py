"""The data model.

Records that travel between laptops (teams, members, guides, sessions, photos) are
*aggregates*: they carry a UUID, audit times, a revision and a soft-delete mark. Their child
rows (team roles, guide steps, session attendees...) belong to exactly one aggregate, are
replaced with it, and travel inside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from desktop_app.core.timezones import DEFAULT_ZONE
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole
from desktop_app.storage.sortkeys import pinyin_key

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def _sets_sort_key(key_attr: str) -> Callable[[Any, str, str], str]:
    """A validator for a name column that keeps its pinyin sort key (`key_attr`) in step,
    whoever sets the name: a form, a merge, an undo."""

    def keep(obj: Any, _column: str, value: str) -> str:
        setattr(obj, key_attr, pinyin_key(value))
        return value

    return keep


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: aware datetimes in and out, always in UTC.

    PostgreSQL stores them as `timestamptz`; SQLite has no zones, so they are stored as naive
    UTC text there and given back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class RecordMixin:
    """Identity and audit columns shared by every aggregate that travels in packs."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # The current version's tag, "<revision>:<content sha256>", written when the version is
    # made (storage/versions.py) and never recomputed: packs and undo compare these.
    version_tag: Mapped[str] = mapped_column(String(80), default="", server_default="")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# --- library-wide ---------------------------------------------------------------------------


class LibraryMeta(Base):
    """Key/value facts about the library itself (its id and name travel in packs)."""

    __tablename__ = "library_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- photos ---------------------------------------------------------------------------------


class Photo(RecordMixin, Base):
    """One original image in the content-addressed store; the SHA-256 is its identity."""

    __tablename__ = "photo"
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    ext: Mapped[str] = mapped_column(String(8))
    original_name: Mapped[str] = mapped_column(Text, default="")
    byte_size: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    taken_at: Mapped[datetime | None] = mapped_column(default=None)
    camera: Mapped[str] = mapped_column(Text, default="")
    gps_lat: Mapped[float | None] = mapped_column(Float, default=None)
    gps_lon: Mapped[float | None] = mapped_column(Float, default=None)
    orientation: Mapped[int] = mapped_column(Integer, default=1)
    # Extra quarter turns chosen by the user; the original file is never touched.
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    caption: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (CheckConstraint("rotation IN (0, 90, 180, 270)", name="rotation"),)


# --- teams and members ----------------------------------------------------------------------


class Member(RecordMixin, Base):
    """A model worker or craftsman (劳模工匠)."""

    __tablename__ = "member"
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, default="")  # pinyin order (sortkeys.py)
    _keep_name_key = validates("name")(_sets_sort_key("name_key"))

    # [{"title": "北京市先进工作者", "year": 2020 | null}, ...]
    honours: Mapped[list[Any]] = mapped_column(default=list)
    specialty: Mapped[str] = mapped_column(Text, default="")
    employer: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(Text, default="")  # personal: left out of packs by default
    notes: Mapped[str] = mapped_column(Text, default="")
    portrait_photo_id: Mapped[str | None] = mapped_column(
        ForeignKey("photo.id", ondelete="SET NULL"), default=None
    )

    portrait: Mapped[Photo | None] = relationship()
    roles: Mapped[list[TeamMembership]] = relationship(back_populates="member")


class ServiceTeam(RecordMixin, Base):
    """A service team (服务队) of a district union."""

    __tablename__ = "service_team"
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, default="")  # pinyin order (sortkeys.py)
    _keep_name_key = validates("name")(_sets_sort_key("name_key"))

    # A team's category (专业技术, 教育培训...). The column keeps its first name, "kind".
    category: Mapped[str] = mapped_column("kind", String(16), default=TeamCategory.OTHER.value)
    parent_union: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    expertise: Mapped[list[Any]] = mapped_column(default=list)  # ["园林绿地规划建设", ...]
    member_count_note: Mapped[str] = mapped_column(Text, default="")  # e.g. "10名劳模工匠"

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="team",
        cascade="all, delete-orphan",
        order_by="TeamMembership.position",
    )

    __table_args__ = (
        CheckConstraint(
            "kind IN ('management', 'technical', 'education', 'medical', 'other')", name="kind"
        ),
        # Team names are unique among live teams; a deleted team frees its name.
        Index(
            "uq_service_team_live_name",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )


class TeamMembership(Base):
    """A member's role in a team; part of the team aggregate."""

    __tablename__ = "team_membership"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(ForeignKey("service_team.id", ondelete="CASCADE"))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=TeamRole.MEMBER.value)
    position: Mapped[int] = mapped_column(Integer, default=0)

    team: Mapped[ServiceTeam] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="roles")

    __table_args__ = (
        UniqueConstraint("team_id", "member_id"),
        CheckConstraint("role IN ('captain', 'vice_captain', 'member')", name="role"),
        # At most one captain per team, enforced by the database as well as the service.
        Index(
            "uq_team_membership_one_captain",
            "team_id",
            unique=True,
            sqlite_where=text("role = 'captain'"),
            postgresql_where=text("role = 'captain'"),
        ),
    )


# --- guides ---------------------------------------------------------------------------------


class Guide(RecordMixin, Base):
    """A practical guide (技能指南): what to do, when, with what, step by step."""

    __tablename__ = "guide"
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(Text, default="")  # pinyin order (sortkeys.py)
    _keep_title_key = validates("title")(_sets_sort_key("title_key"))

    category: Mapped[str] = mapped_column(Text, default="")  # 生物防治, 修剪, ...
    problem: Mapped[str] = mapped_column(Text, default="")  # 问题与识别
    season: Mapped[str] = mapped_column(Text, default="")  # 适用时间
    materials: Mapped[list[Any]] = mapped_column(default=list)  # 材料与工具
    key_points: Mapped[list[Any]] = mapped_column(default=list)  # 要点
    safety_notes: Mapped[list[Any]] = mapped_column(default=list)  # 安全提示
    common_mistakes: Mapped[list[Any]] = mapped_column(default=list)  # 常见错误
    tags: Mapped[list[Any]] = mapped_column(default=list)
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_team.id", ondelete="SET NULL"), default=None
    )
    is_demo: Mapped[bool] = mapped_column(default=False)  # text written for the demo library
    # 识别图: one of the steps' photos, printed large at the top of the handout (schema 0009).
    # A plain column, no foreign key: SQLite can add one only by copying the table, which
    # would drop every guide's steps through their ON DELETE CASCADE. Photo rows are never
    # deleted (clean-up leaves a tombstone) and the rules keep it among the steps' photos,
    # whose links do carry foreign keys.
    recognition_photo_id: Mapped[str | None] = mapped_column(String(36), default=None)

    team: Mapped[ServiceTeam | None] = relationship()
    steps: Mapped[list[GuideStep]] = relationship(
        back_populates="guide", cascade="all, delete-orphan", order_by="GuideStep.position"
    )
    authors: Mapped[list[GuideAuthor]] = relationship(
        cascade="all, delete-orphan", order_by="GuideAuthor.position"
    )


class GuideStep(Base):
    __tablename__ = "guide_step"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    guide_id: Mapped[str] = mapped_column(ForeignKey("guide.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    # ⚠ beside the step on the handout (上梯作业); schema 0009.
    risky: Mapped[bool] = mapped_column(default=False, server_default=false())

    guide: Mapped[Guide] = relationship(back_populates="steps")
    photos: Mapped[list[GuideStepPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="GuideStepPhoto.position"
    )


class GuideStepPhoto(Base):
    __tablename__ = "guide_step_photo"
    step_id: Mapped[str] = mapped_column(
        ForeignKey("guide_step.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[str] = mapped_column(
        ForeignKey("photo.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    photo: Mapped[Photo] = relationship()


class GuideAuthor(Base):
    __tablename__ = "guide_author"
    guide_id: Mapped[str] = mapped_column(
        ForeignKey("guide.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    member: Mapped[Member] = relationship()


# --- field sessions -------------------------------------------------------------------------


class FieldSession(RecordMixin, Base):
    """A field session (现场活动): a team teaching hands-on skills at a park or company."""

    __tablename__ = "field_session"
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    venue: Mapped[str] = mapped_column(Text, default="")
    gps_lat: Mapped[float | None] = mapped_column(Float, default=None)
    gps_lon: Mapped[float | None] = mapped_column(Float, default=None)
    host_organisations: Mapped[list[Any]] = mapped_column(default=list)
    theme: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    follow_ups: Mapped[list[Any]] = mapped_column(default=list)
    # The IANA zone of the place ("Asia/Shanghai"): the times above are UTC instants, shown and
    # printed as wall times in this zone on every laptop (core/timezones.py).
    time_zone: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_ZONE, server_default=DEFAULT_ZONE
    )

    teams: Mapped[list[SessionTeam]] = relationship(
        cascade="all, delete-orphan", order_by="SessionTeam.position"
    )
    attendees: Mapped[list[SessionAttendee]] = relationship(
        cascade="all, delete-orphan", order_by="SessionAttendee.position"
    )
    groups: Mapped[list[ParticipantGroup]] = relationship(
        cascade="all, delete-orphan", order_by="ParticipantGroup.position"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    guides: Mapped[list[SessionGuide]] = relationship(
        cascade="all, delete-orphan", order_by="SessionGuide.position"
    )
    feedback: Mapped[list[FeedbackQuote]] = relationship(
        cascade="all, delete-orphan", order_by="FeedbackQuote.position"
    )
    photos: Mapped[list[SessionPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="SessionPhoto.position"
    )

    __table_args__ = (
        Index("ix_field_session_starts_at", "starts_at"),
        # Covers the session list's id query (filter on deleted_at, order by date then id).
        Index("ix_field_session_list", "starts_at", "id", "deleted_at"),
    )


class SessionTeam(Base):
    __tablename__ = "session_team"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(
        ForeignKey("service_team.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    team: Mapped[ServiceTeam] = relationship()


class SessionAttendee(Base):
    """A member present at a session and what they did there."""

    __tablename__ = "session_attendee"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), index=True
    )
    # Indexed (schema 0008): a member's record, statistics and usage look attendances up by it.
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=SessionRole.LECTURE.value)
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    member: Mapped[Member] = relationship()

    __table_args__ = (
        CheckConstraint("role IN ('lecture', 'demonstrate', 'coach', 'other')", name="role"),
    )


class ParticipantGroup(Base):
    """A group of trainees, e.g. 绿化公司养护人员, with a head count when known."""

    __tablename__ = "participant_group"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    count: Mapped[int | None] = mapped_column(Integer, default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("count IS NULL OR count >= 0", name="count"),)


class AgendaItem(Base):
    __tablename__ = "agenda_item"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    time: Mapped[str] = mapped_column(Text, default="")  # "14:00" or "14:00–15:00"
    leader: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class SessionGuide(Base):
    __tablename__ = "session_guide"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), primary_key=True
    )
    guide_id: Mapped[str] = mapped_column(
        ForeignKey("guide.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    guide: Mapped[Guide] = relationship()


class FeedbackQuote(Base):
    """What a trainee said, and who said it."""

    __tablename__ = "feedback_quote"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str] = mapped_column(Text, default="")
    speaker_role: Mapped[str] = mapped_column(Text, default="")  # e.g. 学员代表
    position: Mapped[int] = mapped_column(Integer, default=0)


class SessionPhoto(Base):
    __tablename__ = "session_photo"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("field_session.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[str] = mapped_column(
        ForeignKey("photo.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    photo: Mapped[Photo] = relationship()


# --- history and merge ----------------------------------------------------------------------


class RecordHistory(Base):
    """Every replaced version of an aggregate, so any edit or merge can be looked back at."""

    __tablename__ = "record_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    revision: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column()
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(16), default="edit")  # edit/delete/merge/restore
    version_tag: Mapped[str] = mapped_column(String(80), default="", server_default="")

    __table_args__ = (Index("ix_record_history_record", "kind", "record_id"),)


class MergeConflict(Base):
    """An incoming version that collided with a local edit, kept until the user decides."""

    __tablename__ = "merge_conflict"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    local_revision: Mapped[int] = mapped_column(Integer)
    incoming: Mapped[dict[str, Any]] = mapped_column()
    source_library: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str] = mapped_column(String(16), default="")  # mine/theirs

    __table_args__ = (Index("ix_merge_conflict_record", "kind", "record_id"),)


class RecordAncestry(Base):
    """Versions of an aggregate this library knows to be superseded by what it holds.

    A version is named by a tag, `"<revision>:<content sha256>"`. Tags learned from packs (the
    other library's history of a record) and from resolved conflicts live here; the tags of
    versions that were current in this library are derived from `record_history`. Packs use
    both to tell "changed on one side since they last met" from "changed on both sides".
    A row may name a record this library does not hold (a deletion learned from a pack).
    """

    __tablename__ = "record_ancestry"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), primary_key=True)


class VersionOrigin(Base):
    """Where a version of a record came from, when it was not made on this laptop.

    A version taken from a knowledge pack names the library that made it (the pack's source);
    a version that restores an earlier one names that one's revision. A version with no row was
    made here. Read by the record history (`services/record_history.py`); never travels.
    """

    __tablename__ = "version_origin"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), primary_key=True)
    source_id: Mapped[str] = mapped_column(Text, default="")
    source_name: Mapped[str] = mapped_column(Text, default="")
    restored_from: Mapped[int | None] = mapped_column(Integer, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- the laptop's link to a district hub (services/hub_sync.py) -----------------------------


class HubLink(Base):
    """The hub this library syncs with (one row while connected). The device token is kept in
    the user's configuration folder, not here: the database travels in backups and copies."""

    __tablename__ = "hub_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    url: Mapped[str] = mapped_column(Text)
    hub_id: Mapped[str] = mapped_column(String(36))
    hub_name: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(128))  # "" when the system's CAs vouch
    certificate: Mapped[str] = mapped_column(Text)  # the pinned PEM ("" likewise)
    user_name: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(36))
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)  # pulled up to this hub version
    # The epoch of the hub's history the cursor belongs to ("" before the first sync).
    hub_epoch: Mapped[str] = mapped_column(String(36), default="", server_default="")
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_result: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)


class HubKnown(Base):
    """The version of a record the hub is known to hold (a record whose current tag differs
    waits to be published)."""

    __tablename__ = "hub_known"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(String(80))


class HubDirty(Base):
    """A record whose current version the hub is not known to hold, while the library is
    connected: what the next sync publishes. Kept by SQLite triggers (migration 0012) on the
    record tables, `hub_known` and `hub_link`, so every write path keeps it exact."""

    __tablename__ = "hub_dirty"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class HubOutbox(Base):
    """A publish saved before it is sent: a retry after a lost answer re-sends it unchanged
    (same publish id), so the hub applies it once."""

    __tablename__ = "hub_outbox"
    publish_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
