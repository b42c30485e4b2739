"""Accounts of the hub: users and their roles, sign-in, per-laptop device tokens.

- Passwords are stored only as argon2id hashes (argon2-cffi's `PasswordHasher`); a hash made
  with older parameters is replaced at the next successful sign-in.
- A sign-in gives the laptop its own device token (`secrets.token_urlsafe(32)`); the hub keeps
  only its SHA-256, so a stolen database copy signs nobody in. An administrator revokes one
  laptop without touching the others (`revoke_device`), or a whole user (`disable_user`).
- Failed sign-ins are kept in `hub_login_failure` (shared by every hub process of a district):
  more than `FAILURE_LIMIT` for one user name within `FAILURE_WINDOW` and that name is refused
  until the window passes. A wrong name and a wrong password get the same sentence, and an
  unknown name still pays for one argon2 verification, so neither the answer nor its timing
  tells which names exist.

Refusals of a request are `HubError`s whose message is an English msgid marked with `N_()`: the
service translates it for each request (Accept-Language, `auth_routes.error_response`).
Mistakes of the administrator's commands are `UserError`s in the UI language.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _
from desktop_app.hub.database import HubStore
from desktop_app.hub.errors import DeviceRevoked, LoginFailed, NotSignedIn, RateLimited
from desktop_app.hub.principal import LEADER, ROLES, Principal
from desktop_app.hub.tables import HubDevice, HubLoginFailure, HubUser, HubUserTeam
from desktop_app.storage.models import utcnow

Clock = Callable[[], datetime]

FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=15)
# last_seen_at is for the administrator's device list: a minute's precision is plenty, and it
# spares a write on every request of a sync.
SEEN_PRECISION = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work per request
MAX_NAME_LENGTH = 64  # hub_user.name
MAX_DEVICE_NAME_LENGTH = 200
MAX_TOKEN_LENGTH = 200

# Sentences a laptop shows (translated per request; see the module docstring).
LOGIN_FAILED = N_("Wrong user name or password.")
ACCOUNT_DISABLED = N_("This account has been disabled by the hub's administrator.")
RATE_LIMITED = N_(
    "Too many failed sign-ins for this user name; wait a quarter of an hour and try again."
)
NOT_SIGNED_IN = N_("This laptop is not signed in to the hub; connect it again.")
DEVICE_REVOKED = N_("This laptop was disconnected from the hub by the administrator.")


class AccountError(UserError):
    """An administrator's command that cannot be done as asked (unknown user, bad role...)."""


@cache
def password_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's current recommended parameters (RFC 9106, low memory)."""
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    """A hash to verify against when the user name is unknown: the same work as a real one."""
    return password_hasher().hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    """What the hub stores of a device token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean_name(name: str) -> str:
    """A user name as stored: NFC, no surrounding blanks; refused when unusable."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise AccountError(_("A user name cannot be empty."))
    if len(cleaned) > MAX_NAME_LENGTH:
        raise AccountError(
            _("A user name can have at most {n} characters.").format(n=MAX_NAME_LENGTH)
        )
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise AccountError(_("A user name cannot contain spaces or control characters."))
    return cleaned


def check_password(password: str) -> None:
    """Refuse a password too short to be one (or absurdly long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("A password needs at least {n} characters.").format(n=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _("A password can have at most {n} characters.").format(n=MAX_PASSWORD_LENGTH)
        )


def _clean_team_ids(team_ids: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in team_ids:
        try:
            team_id = str(uuid.UUID(raw.strip()))
        except ValueError:
            raise AccountError(
                _(
                    "“{team}” is not a team id (“jiangxin list teams” on a laptop shows them)."
                ).format(team=raw)
            ) from None
        if team_id not in cleaned:
            cleaned.append(team_id)
    return cleaned


def find_user(s: Session, name: str) -> HubUser | None:
    return s.scalars(
        select(HubUser).where(HubUser.name == unicodedata.normalize("NFC", name).strip())
    ).one_or_none()


def _user_named(s: Session, name: str) -> HubUser:
    user = find_user(s, name)
    if user is None:
        raise AccountError(_("The hub has no user named “{name}”.").format(name=name))
    return user


def check_new_user(s: Session, name: str, role: str, team_ids: Iterable[str] = ()) -> list[str]:
    """Everything `create_user` checks but the password (so a command can refuse before asking
    for one); the team ids as stored."""
    name = _clean_name(name)
    if role not in ROLES:
        raise AccountError(
            _("Unknown role “{role}”: use admin, leader or reader.").format(role=role)
        )
    teams = _clean_team_ids(team_ids)
    if role == LEADER and not teams:
        raise AccountError(_("A team leader needs the id of at least one team (--team)."))
    if role != LEADER and teams:
        raise AccountError(_("Only a team leader has teams (--team is for --role leader)."))
    if find_user(s, name) is not None:
        raise AccountError(_("The hub already has a user named “{name}”.").format(name=name))
    return teams


def create_user(
    s: Session, name: str, role: str, password: str, team_ids: Iterable[str] = ()
) -> HubUser:
    """Add a user (not committed). A leader needs the ids of the teams they lead; only a leader
    has teams."""
    teams = check_new_user(s, name, role, team_ids)
    check_password(password)
    user = HubUser(
        name=_clean_name(name), role=role, password_hash=password_hasher().hash(password)
    )
    s.add(user)
    s.flush()
    s.add_all(HubUserTeam(user_id=user.id, team_id=team_id) for team_id in teams)
    s.flush()
    return user


def set_password(s: Session, name: str, password: str) -> None:
    """Give a user a new password (not committed); their laptops stay signed in."""
    user = _user_named(s, name)
    check_password(password)
    user.password_hash = password_hasher().hash(password)
    s.flush()


def disable_user(s: Session, name: str, *, now: Clock = utcnow) -> bool:
    """Disable a user (not committed): no more sign-ins, and every laptop of theirs is refused
    with the "disconnected" sentence. False when they were disabled already."""
    user = _user_named(s, name)
    if user.disabled_at is not None:
        return False
    user.disabled_at = now()
    s.flush()
    return True


def enable_user(s: Session, name: str) -> bool:
    """Undo `disable_user` (not committed). Their revoked laptops stay revoked."""
    user = _user_named(s, name)
    if user.disabled_at is None:
        return False
    user.disabled_at = None
    s.flush()
    return True


def _team_ids(s: Session, user_id: str) -> frozenset[str]:
    return frozenset(
        s.scalars(select(HubUserTeam.team_id).where(HubUserTeam.user_id == user_id)).all()
    )


def _principal(s: Session, user: HubUser, device_id: str) -> Principal:
    return Principal(
        user_id=user.id,
        user_name=user.name,
        role=user.role,
        team_ids=_team_ids(s, user.id) if user.role == LEADER else frozenset(),
        device_id=device_id,
    )


def login(
    s: Session,
    name: str,
    password: str,
    device_name: str,
    remote: str = "",
    *,
    now: Clock = utcnow,
) -> tuple[str, Principal]:
    """Check a user's password and register the laptop as a new device of theirs.

    Returns the device token (shown to the laptop once; the hub keeps its hash) and who it
    signs in. Commits `s` itself, also when refusing: a failure must be counted even though
    this raises. Raises LoginFailed or RateLimited.
    """
    at = now()
    key = unicodedata.normalize("NFC", name).strip()[:MAX_NAME_LENGTH]
    # Attempts for one name take turns (until commit), so parallel guesses cannot slip past
    # the count between reading it and recording a failure.
    s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    since = at - FAILURE_WINDOW
    s.execute(
        delete(HubLoginFailure).where(HubLoginFailure.user_name == key, HubLoginFailure.at <= since)
    )
    recent = s.execute(
        select(func.count(), func.min(HubLoginFailure.at)).where(
            HubLoginFailure.user_name == key, HubLoginFailure.at > since
        )
    ).one()
    if recent[0] >= FAILURE_LIMIT:
        s.commit()
        wait = max(1, math.ceil((recent[1] + FAILURE_WINDOW - at).total_seconds()))
        raise RateLimited(RATE_LIMITED, retry_after=wait)

    user = find_user(s, key) if key else None
    ok = _verify(user.password_hash if user is not None else _decoy_hash(), password)
    if user is None or not ok:
        s.add(HubLoginFailure(user_name=key, remote=remote[:64], at=at))
        s.commit()
        raise LoginFailed(LOGIN_FAILED)
    if user.disabled_at is not None:
        s.commit()
        raise LoginFailed(ACCOUNT_DISABLED)
    if password_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher().hash(password)
    token = secrets.token_urlsafe(32)
    device = HubDevice(
        user_id=user.id,
        name=device_name.strip()[:MAX_DEVICE_NAME_LENGTH],
        token_hash=token_hash(token),
        created_at=at,
        last_seen_at=at,
    )
    s.add(device)
    s.flush()
    principal = _principal(s, user, device.id)
    s.commit()
    return token, principal


def _verify(hashed: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH]  # same work, certainly wrong anyway
    try:
        return password_hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate_token(s: Session, token: str, *, now: Clock = utcnow) -> Principal:
    """Who a device token signs in. Raises NotSignedIn for an unknown token, DeviceRevoked for a
    revoked laptop or a disabled user.

    Stamps the device's last_seen_at (at most once a minute) in `s` without committing: the
    caller's transaction carries it (or `authenticate` below, which commits).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotSignedIn(NOT_SIGNED_IN)
    row = s.execute(
        select(HubDevice, HubUser)
        .join(HubUser, HubUser.id == HubDevice.user_id)
        .where(HubDevice.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        raise NotSignedIn(NOT_SIGNED_IN)
    device, user = row
    if device.revoked_at is not None or user.disabled_at is not None:
        raise DeviceRevoked(DEVICE_REVOKED)
    at = now()
    if device.last_seen_at is None or at - device.last_seen_at >= SEEN_PRECISION:
        s.execute(update(HubDevice).where(HubDevice.id == device.id).values(last_seen_at=at))
    return _principal(s, user, device.id)


def authenticate(store: HubStore, token: str, *, now: Clock = utcnow) -> Principal:
    """`authenticate_token` in a transaction of its own (what a request handler calls)."""
    with store.transaction() as s:
        return authenticate_token(s, token, now=now)


def revoke_device(s: Session, device_id: str, *, now: Clock = utcnow) -> bool:
    """Revoke one laptop's token (not committed). False when it was revoked already; raises
    AccountError for an unknown id."""
    device = s.get(HubDevice, device_id.strip())
    if device is None:
        raise AccountError(_("The hub has no device with the id “{id}”.").format(id=device_id))
    if device.revoked_at is not None:
        return False
    device.revoked_at = now()
    s.flush()
    return True


def sign_out(s: Session, device_id: str, *, now: Clock = utcnow) -> None:
    """A laptop signs itself out (not committed): its token is forgotten, so it is simply
    "not signed in" afterwards rather than "disconnected by the administrator"."""
    device = s.get(HubDevice, device_id)
    if device is None:
        return
    device.revoked_at = device.revoked_at or now()
    # A fresh random hash no token can match (the column is unique and required).
    device.token_hash = token_hash(secrets.token_urlsafe(32))
    s.flush()


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    team_ids: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None
    devices: int  # laptops signed in and not revoked


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    user_name: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


def list_users(s: Session) -> list[UserInfo]:
    teams: dict[str, list[str]] = {}
    for user_id, team_id in s.execute(
        select(HubUserTeam.user_id, HubUserTeam.team_id).order_by(HubUserTeam.team_id)
    ):
        teams.setdefault(user_id, []).append(team_id)
    active: dict[str, int] = {
        user_id: count
        for user_id, count in s.execute(
            select(HubDevice.user_id, func.count())
            .where(HubDevice.revoked_at.is_(None))
            .group_by(HubDevice.user_id)
        )
    }
    return [
        UserInfo(
            name=user.name,
            role=user.role,
            team_ids=tuple(teams.get(user.id, ())),
            created_at=user.created_at,
            disabled_at=user.disabled_at,
            devices=int(active.get(user.id, 0)),
        )
        for user in s.scalars(select(HubUser).order_by(HubUser.name))
    ]


def list_devices(s: Session, *, user_name: str | None = None) -> list[DeviceInfo]:
    query = (
        select(HubDevice, HubUser.name)
        .join(HubUser, HubUser.id == HubDevice.user_id)
        .order_by(HubUser.name, HubDevice.created_at)
    )
    if user_name is not None:
        query = query.where(HubUser.id == _user_named(s, user_name).id)
    return [
        DeviceInfo(
            id=device.id,
            user_name=owner,
            name=device.name,
            created_at=device.created_at,
            last_seen_at=device.last_seen_at,
            revoked_at=device.revoked_at,
        )
        for device, owner in s.execute(query)
    ]
