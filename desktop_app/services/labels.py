"""Display labels for the enumerations and the record kinds, translatable (used by the UI, CLI
and handouts)."""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.core.i18n import N_, _
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole
from desktop_app.storage.kinds import KINDS

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


def kind_label(kind: str, tr: Callable[[str], str] = _) -> str:
    """What one record of a kind is called in messages ("service team")."""
    return tr(KINDS[kind].label)


def kind_label_plural(kind: str, tr: Callable[[str], str] = _) -> str:
    """What records of a kind are called as a heading ("Service teams")."""
    return tr(KINDS[kind].label_plural)


# What each kind of record is called in messages (declared with the kind: storage/kinds.py).
KIND_NAMES: dict[str, str] = {name: spec.label for name, spec in KINDS.items()}
