"""The hub's own tables, beside the library schema (which holds the records themselves).

They have their own metadata and their own Alembic chain (`hub/migrations`, version table
`hub_alembic_version`), so the library schema stays exactly what laptops have.

Why a counter and not a sequence or a time (HUB.md §1): a sequence number is handed out before
commit, so a lower number can commit after a puller has moved past it and that change is never
pulled (measured: 1,961 of 3,008 missed with 50 publishers). `hub_state.version` is bumped with
`UPDATE … RETURNING` at the end of each publish transaction, under its row lock, and every
record the publish changed is stamped with that value in `hub_change`: versions are handed out
in commit order, so "changes since N" never misses one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop_app.storage.models import NAMING_CONVENTION, UTCDateTime, new_id, utcnow


class HubBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class HubState(HubBase):
    """One row: the hub's identity and its change counter (the pull cursor's clock).

    `epoch` names the hub's history: it changes whenever that history may have been rewound
    (the database restored from a backup), and a laptop that synced under another epoch starts
    over (docs/hub-protocol.md, "Starting over"). A value in this row alone cannot notice a
    restore, since `pg_dump` copies the row with the rest; `incarnation` is what the row was
    last written in (the cluster's system identifier and the database's oid, which a restore
    into a new database or another server does not keep), so a hub that opens its database
    and finds another incarnation knows it was restored and takes a new epoch
    (`database.notice_restore`). `purge_horizon` is the counter value up to which deletions
    were purged (`hub.purge`): a laptop that pulled less than that may have missed one.
    """

    __tablename__ = "hub_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    hub_id: Mapped[str] = mapped_column(String(36), default=new_id)
    name: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    epoch: Mapped[str] = mapped_column(String(36), default=new_id)
    incarnation: Mapped[str] = mapped_column(Text, default="")
    purge_horizon: Mapped[int] = mapped_column(BigInteger, default=0)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)


class HubChange(HubBase):
    """The counter value of the publish that last changed a record (tombstones included),
    and the record's wire entry as that publish left it (`sync.pull` sends it as stored).

    The entry is made once, by the publish, instead of by every pull: each change is
    published once and pulled by every laptop, and making entries from the records (loading
    each with its children and its ancestry) was most of a pull's work (docs/hub-protocol.md,
    BENCHMARKS.md). "" when the record has no row (nothing to pull); NULL in rows stamped
    before schema h0003 until `migrate_hub` fills them (a pull makes theirs meanwhile)."""

    __tablename__ = "hub_change"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    server_version: Mapped[int] = mapped_column(BigInteger)
    wire: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_hub_change_server_version", "server_version"),)


class PublishLog(HubBase):
    """A publish already applied, by its client-chosen id: a retry gets the stored result."""

    __tablename__ = "hub_publish_log"
    publish_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    result: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HubBlob(HubBase):
    """A photo file, addressed by its SHA-256 (bytea; stored EXTERNAL: JPEGs do not compress)."""

    __tablename__ = "hub_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HubUser(HubBase):
    """A person who may use the hub: administrator, team leader or reader."""

    __tablename__ = "hub_user"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin / leader / reader
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)


class HubUserTeam(HubBase):
    """The teams a leader leads: the records they may publish."""

    __tablename__ = "hub_user_team"
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("hub_user.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class HubDevice(HubBase):
    """A laptop signed in as a user; its token is stored only as a SHA-256 hash."""

    __tablename__ = "hub_device"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("hub_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text, default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class HubLoginFailure(HubBase):
    """A failed sign-in, for rate limiting (kept in the database: several hub processes may
    serve one district behind a proxy)."""

    __tablename__ = "hub_login_failure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(64))
    remote: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_hub_login_failure_user_at", "user_name", "at"),)
