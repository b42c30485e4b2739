"""The rules a record's values must follow, one definition each, for forms and packs alike.

Each function takes a record as a mapping (a form's data as `dataclasses.asdict` gives it, or
a record read from a pack in the shape `records.record_to_dict` gives) and returns
{field: message} for every rule it breaks; an empty dict means the record is fine.
`services.catalog` adds the checks that need the library (name clashes, existing members) and
raises `ValidationError`; `services.pack_format` refuses a pack that breaks any of these.
No database here, so the pack reader can use them before it touches a library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from desktop_app.core.i18n import _
from desktop_app.core.timezones import is_known_zone, unknown_zone_message
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole

Errors = dict[str, str]

# Digits with optional +, spaces, dashes and brackets: 010-12345678, 138 0000 0000, +86 ...
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-()]{5,22}[0-9]$")
EARLIEST_HONOUR_YEAR = 1949
LATEST_HONOUR_YEAR = 2100
# The years a stored time may fall in (UTC), far from datetime's limits at any UTC offset:
# 0001-01-01T00:00+01:00 is before the first instant Python can hold, and 9999-12-31T20:00Z
# overflows when shown in Beijing. Nothing real is that old or that far ahead; a pack
# refuses a record outside them, so a form (or a camera's clock) must not store one.
EARLIEST_YEAR, LATEST_YEAR = 1000, 9000


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _when(value: Any) -> datetime | None:
    """A datetime from a form (datetime) or a pack (ISO text); None when absent."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return None


def year_in_range(when: datetime) -> bool:
    """Whether a time falls in the years a record may hold (`EARLIEST_YEAR`...)."""
    try:
        return EARLIEST_YEAR <= when.astimezone(UTC).year <= LATEST_YEAR
    except (ValueError, OverflowError):
        return False


def _twice(values: Sequence[Any]) -> bool:
    return len(set(values)) != len(values)


def gps_errors(lat: Any, lon: Any) -> Errors:
    """A position is two finite numbers in range (NaN and infinity are not positions)."""
    errors: Errors = {}
    if lat is not None and not (math.isfinite(lat) and -90 <= lat <= 90):
        errors["gps"] = _("Latitude must be between -90 and 90.")
    if lon is not None and not (math.isfinite(lon) and -180 <= lon <= 180):
        errors["gps"] = _("Longitude must be between -180 and 180.")
    return errors


def team_errors(team: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if not _text(team.get("name")).strip():
        errors["name"] = _("Enter the team's name.")
    if team.get("category") not in {k.value for k in TeamCategory}:
        errors["category"] = _("Choose the team's category.")
    members = list(team.get("members") or [])
    roles = [m.get("role") for m in members]
    if roles.count(TeamRole.CAPTAIN.value) > 1:
        errors["members"] = _("A team has at most one captain.")
    elif any(r not in {x.value for x in TeamRole} for r in roles):
        errors["members"] = _("Unknown role in the member list.")
    elif _twice([m.get("member_id") for m in members]):
        errors["members"] = _("A member is listed twice.")
    return errors


def member_errors(member: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if not _text(member.get("name")).strip():
        errors["name"] = _("Enter the member's name.")
    phone = _text(member.get("phone")).strip()
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("“{phone}” is not a phone number.").format(phone=phone)
    for honour in member.get("honours") or []:
        year = honour.get("year")
        if not _text(honour.get("title")).strip():
            errors["honours"] = _("Every honour needs a title.")
        elif year is not None and not EARLIEST_HONOUR_YEAR <= year <= LATEST_HONOUR_YEAR:
            errors["honours"] = _("The year {year} is not a plausible year.").format(year=year)
    return errors


def guide_errors(guide: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if not _text(guide.get("title")).strip():
        errors["title"] = _("Enter the guide's title.")
    steps = list(guide.get("steps") or [])
    if any(not _text(step.get("text")).strip() and not step.get("photo_ids") for step in steps):
        errors["steps"] = _("A step is empty; write what to do or remove it.")
    # The 识别图 is one of the steps' photos: whatever keeps a step's photo (clean-up, the
    # checks of what is in use) keeps it too.
    recognition = guide.get("recognition_photo_id")
    if recognition and not any(recognition in (step.get("photo_ids") or []) for step in steps):
        errors["recognition_photo_id"] = _(
            "The recognition photo must be one of the steps' photos."
        )
    return errors


def session_errors(session: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    if not _text(session.get("theme")).strip() and not _text(session.get("venue")).strip():
        errors["theme"] = _("Enter a theme or a venue for the session.")
    starts, ends = _when(session.get("starts_at")), _when(session.get("ends_at"))
    if starts is not None and ends is not None and ends < starts:
        errors["ends_at"] = _("The session cannot end before it starts.")
    for name, when in (("starts_at", starts), ("ends_at", ends)):
        if when is not None and not year_in_range(when):
            errors[name] = _("Enter a date between the years {first} and {last}.").format(
                first=EARLIEST_YEAR, last=LATEST_YEAR
            )
    zone = session.get("time_zone")
    if zone is not None and not is_known_zone(zone):
        errors["time_zone"] = unknown_zone_message(str(zone))
    errors.update(gps_errors(session.get("gps_lat"), session.get("gps_lon")))
    groups = list(session.get("groups") or [])
    if any(g.get("count") is not None and g["count"] < 0 for g in groups):
        errors["groups"] = _("A head count cannot be negative.")
    if any(not _text(g.get("name")).strip() for g in groups):
        errors["groups"] = _("Every participant group needs a name.")
    if any(not _text(f.get("text")).strip() for f in session.get("feedback") or []):
        errors["feedback"] = _("A feedback quote is empty.")
    if any(not _text(a.get("title")).strip() for a in session.get("agenda") or []):
        errors["agenda"] = _("Every agenda item needs a title.")
    attendees = list(session.get("attendees") or [])
    if any(a.get("role") not in {r.value for r in SessionRole} for a in attendees):
        errors["attendees"] = _("Unknown role in the attendee list.")
    return errors


def photo_errors(photo: Mapping[str, Any]) -> Errors:
    errors = gps_errors(photo.get("gps_lat"), photo.get("gps_lon"))
    for name in ("byte_size", "width", "height"):
        value = photo.get(name)
        if isinstance(value, int) and value < 0:
            errors[name] = _("A size cannot be negative.")
    return errors


RECORD_RULES = {
    "team": team_errors,
    "member": member_errors,
    "guide": guide_errors,
    "session": session_errors,
    "photo": photo_errors,
}
