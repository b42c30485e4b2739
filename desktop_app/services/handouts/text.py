"""Dates, names and other small texts shared by the handouts (no ReportLab here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desktop_app.core.i18n import N_
from desktop_app.core.timezones import in_zone
from desktop_app.services.handouts.data import Person, TeamInfo

Translator = Callable[[str], str]

# Strings printed on handouts; translated with the handout's own translator.
CAPTAIN = N_("Captain {name}")
CAPTAIN_PHONE = N_("Captain {name}, tel. {phone}")


def _local(value: datetime, zone_name: str | None) -> datetime:
    return value.astimezone() if zone_name is None else in_zone(value, zone_name)


def format_date(value: datetime, lang: str, zone_name: str | None = None) -> str:
    """A long date in the handout's language (2025年8月15日): in the zone given (a session's
    place), or in the computer's zone (the printing date)."""
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(_local(value, zone_name).date(), format="long", locale=lang))


def format_time(value: datetime, lang: str, zone_name: str | None = None) -> str:
    """A short time (09:30) in the zone given, or in the computer's zone."""
    from babel.dates import format_time as babel_format_time

    local = _local(value, zone_name)
    return str(babel_format_time(local.time(), format="short", locale=lang))


def same_day(a: datetime, b: datetime, zone_name: str) -> bool:
    return in_zone(a, zone_name).date() == in_zone(b, zone_name).date()


def session_when(starts_at: datetime, ends_at: datetime | None, lang: str, zone_name: str) -> str:
    """When a session took place, as every handout prints it (2025年8月15日 09:30–11:30).

    The one place that turns a session's stored times into printed text: in the session's own
    time zone (the place's wall time), whatever the printing computer's clock is set to.
    """
    when = format_date(starts_at, lang, zone_name) + " " + format_time(starts_at, lang, zone_name)
    if ends_at is not None:
        if same_day(ends_at, starts_at, zone_name):
            when += "–" + format_time(ends_at, lang, zone_name)
        else:
            when += (
                " – "
                + format_date(ends_at, lang, zone_name)
                + " "
                + format_time(ends_at, lang, zone_name)
            )
    return when


def session_date(starts_at: datetime, lang: str, zone_name: str) -> str:
    """The day of a session alone (covers), in the session's zone as `session_when`."""
    return format_date(starts_at, lang, zone_name)


def photo_time(taken_at: datetime, lang: str, zone_name: str) -> str:
    """When a photo was taken, as the report prints it under the photo (the session's zone)."""
    return format_date(taken_at, lang, zone_name) + " " + format_time(taken_at, lang, zone_name)


def list_sep(lang: str) -> str:
    return "、" if lang.startswith("zh") else ", "


def person_with_honours(person: Person, lang: str) -> str:
    if not person.honours:
        return person.name
    honours = list_sep(lang).join(person.honours)
    return f"{person.name}（{honours}）" if lang.startswith("zh") else f"{person.name} ({honours})"


def team_line(team: TeamInfo | None, tr: Translator) -> str:
    """The footer's team part: union and team, then the captain and phone when known."""
    if team is None:
        return ""
    name = " ".join(p for p in (team.parent_union, team.name) if p)
    if team.captain and team.captain_phone:
        return f"{name} · " + tr(CAPTAIN_PHONE).format(name=team.captain, phone=team.captain_phone)
    if team.captain:
        return f"{name} · " + tr(CAPTAIN).format(name=team.captain)
    return name
