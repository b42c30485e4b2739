"""Dates, names and other small texts shared by the handouts (no ReportLab here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import Person, TeamInfo

Translator = Callable[[str], str]

# Strings printed on handouts; translated with the handout's own translator.
CAPTAIN = N_("Captain {name}")
CAPTAIN_PHONE = N_("Captain {name}, tel. {phone}")


def format_date(value: datetime, lang: str) -> str:
    """A long date in the handout's language (2025年8月15日), in the computer's time zone."""
    from babel.dates import format_date as babel_format_date

    local = value.astimezone()
    return str(babel_format_date(local.date(), format="long", locale=lang))


def format_time(value: datetime, lang: str) -> str:
    from babel.dates import format_time as babel_format_time

    return str(babel_format_time(value.astimezone().time(), format="short", locale=lang))


def session_when(starts_at: datetime, ends_at: datetime | None, lang: str) -> str:
    """When a session took place, as every handout prints it (2025年8月15日 09:30–11:30).

    The one place that turns a session's stored times into printed text: the time zone they
    are shown in is decided here (today the computer's, via `format_date`/`format_time`).
    """
    when = format_date(starts_at, lang) + " " + format_time(starts_at, lang)
    if ends_at is not None:
        if ends_at.astimezone().date() == starts_at.astimezone().date():
            when += "–" + format_time(ends_at, lang)
        else:
            when += " – " + format_date(ends_at, lang)
    return when


def session_date(starts_at: datetime, lang: str) -> str:
    """The day of a session alone (covers), in the same time zone as `session_when`."""
    return format_date(starts_at, lang)


def photo_time(taken_at: datetime, lang: str) -> str:
    """When a photo was taken, as the report prints it under the photo (same zone as above)."""
    return format_date(taken_at, lang) + " " + format_time(taken_at, lang)


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
