"""Display labels for the enumerations, translatable (used by the UI, CLI and handouts)."""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.core.i18n import N_, _
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole

TEAM_CATEGORY_LABELS: dict[str, str] = {
    TeamCategory.MANAGEMENT: N_("Comprehensive management"),
    TeamCategory.TECHNICAL: N_("Professional technology"),
    TeamCategory.EDUCATION: N_("Education and training"),
    TeamCategory.MEDICAL: N_("Medical and health"),
    TeamCategory.OTHER: N_("Other"),
}

TEAM_ROLE_LABELS: dict[str, str] = {
    TeamRole.CAPTAIN: N_("Captain"),
    TeamRole.VICE_CAPTAIN: N_("Vice-captain"),
    TeamRole.MEMBER: N_("Member"),
}

SESSION_ROLE_LABELS: dict[str, str] = {
    SessionRole.LECTURE: N_("Explained"),
    SessionRole.DEMONSTRATE: N_("Demonstrated"),
    SessionRole.COACH: N_("Coached"),
    SessionRole.OTHER: N_("Other"),
}


def label(table: dict[str, str], value: str, tr: Callable[[str], str] = _) -> str:
    """The translated label for an enumeration value (unknown values show as they are)."""
    source = table.get(value)
    return tr(source) if source else value


# What each kind of record is called in messages.
KIND_NAMES = {
    "team": N_("service team"),
    "member": N_("member"),
    "guide": N_("guide"),
    "session": N_("field session"),
    "photo": N_("photo"),
}
