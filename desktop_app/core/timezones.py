"""Time zones of places: a session's time is the wall time where it happened.

Times are stored as UTC instants; each field session also stores the IANA name of the zone it
took place in ("Asia/Shanghai"), and everything that shows or prints a session's time shows it
in that zone, whatever the laptop's clock is set to. So a 09:30 session in Beijing reads 09:30
on a laptop set to UTC or to New York, and two laptops never disagree about the same record.

The zone database is Python's `zoneinfo`: the system's on Linux and macOS, the `tzdata`
package where the system has none (Windows, the packaged app). The laptop's own zone name comes
from the TZ variable or, without it, from `tzlocal` (which reads /etc/localtime, the Windows
registry or the macOS settings).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from desktop_app.core.i18n import N_, _

# Where the teams this app is made for work, and what a record made before zones were stored
# (schema 0006) or a pack without a zone (format 1) is taken to mean: see the migration.
DEFAULT_ZONE = "Asia/Shanghai"

# Names that say how a clock is set, not where a place is: a laptop set to one of these (a
# fresh install, a virtual machine) says nothing about where its sessions happen.
_PLACELESS = {"UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu"}

# The zones offered first in the session form, with names a Chinese-speaking team knows.
COMMON_ZONES: dict[str, str] = {
    "Asia/Shanghai": N_("Beijing time"),
    "Asia/Urumqi": N_("Urumqi"),
    "Asia/Hong_Kong": N_("Hong Kong"),
    "Asia/Macau": N_("Macau"),
    "Asia/Taipei": N_("Taipei"),
    "Asia/Tokyo": N_("Tokyo"),
    "Asia/Seoul": N_("Seoul"),
    "Asia/Singapore": N_("Singapore"),
    "Asia/Bangkok": N_("Bangkok"),
    "Asia/Kolkata": N_("New Delhi"),
    "Asia/Dubai": N_("Dubai"),
    "Europe/Moscow": N_("Moscow"),
    "Europe/Berlin": N_("Berlin"),
    "Europe/Paris": N_("Paris"),
    "Europe/London": N_("London"),
    "America/New_York": N_("New York"),
    "America/Los_Angeles": N_("Los Angeles"),
    "Australia/Sydney": N_("Sydney"),
    "Africa/Nairobi": N_("Nairobi"),
    "UTC": N_("Coordinated Universal Time"),
}


@cache
def _zone(name: str) -> ZoneInfo | None:
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return None  # ZoneInfo would read a file path; only plain keys are zone names
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_known_zone(name: object) -> bool:
    """Whether `name` is an IANA time zone name this computer knows ("Asia/Shanghai")."""
    return isinstance(name, str) and _zone(name) is not None


def zone(name: str) -> ZoneInfo:
    """The zone of that name; an unknown name (never stored: forms and packs refuse it) is
    read as the default zone rather than failing to show a record."""
    found = _zone(name)
    if found is None:
        found = _zone(DEFAULT_ZONE)
        assert found is not None, "the time zone database is missing (install tzdata)"
    return found


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    """Every zone name the database knows, sorted (for the form's list; read once: it walks
    the database's folders)."""
    return tuple(sorted(available_timezones()))


def _name_from_tz_variable(value: str) -> str | None:
    value = value.strip().removeprefix(":")
    if is_known_zone(value):
        return value
    # TZ=/usr/share/zoneinfo/Asia/Shanghai: the name is what follows "zoneinfo/".
    marker = "zoneinfo" + os.sep
    if marker in value:
        tail = value.split(marker, 1)[1]
        if is_known_zone(tail):
            return tail
    return None


def local_zone_name() -> str | None:
    """The IANA name of this laptop's zone, or None when it cannot be told.

    TZ is read on every call (it can change while the program runs, as the tests do); the
    system setting comes from tzlocal, which reads it once.
    """
    tz = os.environ.get("TZ")
    if tz:
        named = _name_from_tz_variable(tz)
        if named is not None:
            return named
        # A POSIX rule (TZ=CST-8) has no place name; the C library follows it, not the system
        # setting, so the system setting would be wrong too.
        return None
    try:
        import tzlocal

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "can not find any timezone configuration"
            name = tzlocal.get_localzone_name()
    except Exception:
        return None
    return name if name and is_known_zone(name) else None


def is_placeless(name: str) -> bool:
    """UTC and its aliases: how a clock is set, not where anything takes place."""
    base = name.removeprefix("Etc/")
    return base in _PLACELESS


def default_zone_name() -> str:
    """The zone a new session gets: the laptop's, unless the laptop's clock names no place
    (UTC, unknown), where the team's home zone is the better guess."""
    name = local_zone_name()
    if name is None or is_placeless(name):
        return DEFAULT_ZONE
    return name


# --- converting and formatting ----------------------------------------------------------------


def in_zone(value: datetime, name: str) -> datetime:
    """An aware instant as the wall time in zone `name` (aware, with that zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # stored times are UTC
    return value.astimezone(zone(name))


def from_wall_time(naive: datetime, name: str) -> datetime:
    """A wall time typed for a place (naive) as an aware UTC instant.

    A time that does not exist there (the hour skipped when summer time starts) is read with
    the offset before the change; an hour that happens twice is the first one.
    """
    local = naive.replace(tzinfo=zone(name), fold=0)
    return local.astimezone(UTC)


def iso_in_zone(value: datetime | None, name: str) -> str | None:
    """ISO 8601 with the zone's offset: "2026-04-18T09:30:00+08:00"."""
    return None if value is None else in_zone(value, name).isoformat()


def format_offset(offset: timedelta | None) -> str:
    """UTC+08:00, UTC−05:00, UTC+05:30."""
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def zone_label(name: str, at: datetime | None = None) -> str:
    """What the user reads for a zone: "北京时间（UTC+08:00）", "Asia/Kathmandu（UTC+05:45）".

    The offset is the one in force at `at` (summer time), now if not given.
    """
    when = at if at is not None else datetime.now(UTC)
    offset = format_offset(in_zone(when, name).utcoffset())
    title = _(COMMON_ZONES[name]) if name in COMMON_ZONES else name
    return _("{zone} ({offset})").format(zone=title, offset=offset)


def short_zone_label(name: str, tr: Callable[[str], str] = _) -> str:
    """The zone's own name for printing beside a time ("北京时间", "Asia/Kathmandu"), in the
    language of `tr` (a handout has its own)."""
    return tr(COMMON_ZONES[name]) if name in COMMON_ZONES else name


def unknown_zone_message(name: object) -> str:
    """The sentence that refuses a zone name this computer does not know."""
    return _(
        "“{zone}” is not a time zone name; choose one from the list (such as Asia/Shanghai)."
    ).format(zone=name)
