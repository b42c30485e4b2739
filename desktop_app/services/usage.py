"""What uses a record: said before it is deleted, so that nobody deletes a guide that sessions
cover without knowing it.

A guide is covered by field sessions; a member belongs to teams, attended sessions and wrote
guides; a team has guides and held sessions; a photo is in sessions, in guide steps and is a
member's portrait. Only live records count as users (a deleted session that covered the guide
uses nothing).

Each relation is one query over the library's `sqlite3` reader, whatever the number of
records asked about: the distinct users are counted with a window function in the same query
that returns the first few of them, so the confirmation of a delete costs a handful of indexed
lookups even in a library of 20,000 sessions.

Deleting a used record takes nothing away from the records that use it: they keep the
reference, and forms, lists, `show` and handouts name the record marked as deleted
(`listing.RefName`). `delete_question` writes the confirmation that says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop_app.core.i18n import _, current_language, ngettext
from desktop_app.services import listing
from desktop_app.storage.library import Library

# How many users a confirmation names before it says "…".
LABEL_LIMIT = 3

# The ids asked about, as one JSON parameter (`json_each`): no limit on how many.
_IDS = "(SELECT value FROM json_each(?))"

_SESSION = (
    "SELECT fs.id, fs.starts_at, fs.theme, fs.venue, count(*) OVER ()"
    " FROM field_session fs WHERE fs.deleted_at IS NULL AND fs.id IN ({users})"
    " ORDER BY fs.starts_at DESC, fs.id LIMIT ?"
)
_TEAM = (
    "SELECT t.id, t.name, count(*) OVER ()"
    " FROM service_team t WHERE t.deleted_at IS NULL AND t.id IN ({users})"
    " ORDER BY t.name_key, t.id LIMIT ?"
)
_GUIDE = (
    "SELECT g.id, g.title, count(*) OVER ()"
    " FROM guide g WHERE g.deleted_at IS NULL AND {where}"
    " ORDER BY g.title_key, g.id LIMIT ?"
)
_MEMBER = (
    "SELECT m.id, m.name, count(*) OVER ()"
    " FROM member m WHERE m.deleted_at IS NULL AND {where}"
    " ORDER BY m.name_key, m.id LIMIT ?"
)


@dataclass(frozen=True)
class Relation:
    """One way records of `user_kind` refer to a record of `kind`."""

    key: str
    kind: str  # the kind of record being used
    user_kind: str  # the kind of the records that use it
    path: str  # the reference field in the user's record kind (storage/kinds.py)
    sql: str  # parameters: the ids (JSON), the label limit


# One per reference that the record kinds declare (tests/services/test_usage.py checks that
# none is missing), written as SQL over the child tables that hold it.
RELATIONS: list[Relation] = [
    Relation(
        "guide_sessions",
        "guide",
        "session",
        "guide_ids",
        _SESSION.format(users=f"SELECT session_id FROM session_guide WHERE guide_id IN {_IDS}"),
    ),
    Relation(
        "member_teams",
        "member",
        "team",
        "members[].member_id",
        _TEAM.format(users=f"SELECT team_id FROM team_membership WHERE member_id IN {_IDS}"),
    ),
    Relation(
        "member_sessions",
        "member",
        "session",
        "attendees[].member_id",
        _SESSION.format(users=f"SELECT session_id FROM session_attendee WHERE member_id IN {_IDS}"),
    ),
    Relation(
        "member_guides",
        "member",
        "guide",
        "author_ids",
        _GUIDE.format(
            where=f"g.id IN (SELECT guide_id FROM guide_author WHERE member_id IN {_IDS})"
        ),
    ),
    Relation(
        "team_guides", "team", "guide", "team_id", _GUIDE.format(where=f"g.team_id IN {_IDS}")
    ),
    Relation(
        "team_sessions",
        "team",
        "session",
        "team_ids",
        _SESSION.format(users=f"SELECT session_id FROM session_team WHERE team_id IN {_IDS}"),
    ),
    Relation(
        "photo_sessions",
        "photo",
        "session",
        "photo_ids",
        _SESSION.format(users=f"SELECT session_id FROM session_photo WHERE photo_id IN {_IDS}"),
    ),
    Relation(
        "photo_guides",
        "photo",
        "guide",
        "steps[].photo_ids",
        _GUIDE.format(
            where="g.id IN (SELECT st.guide_id FROM guide_step st JOIN guide_step_photo sp"
            f" ON sp.step_id = st.id WHERE sp.photo_id IN {_IDS})"
        ),
    ),
    Relation(
        # Always a step's photo too (services.rules), but said apart: it heads the handout.
        "photo_recognition",
        "photo",
        "guide",
        "recognition_photo_id",
        _GUIDE.format(where=f"g.recognition_photo_id IN {_IDS}"),
    ),
    Relation(
        "photo_members",
        "photo",
        "member",
        "portrait_photo_id",
        _MEMBER.format(where=f"m.portrait_photo_id IN {_IDS}"),
    ),
]


@dataclass(frozen=True)
class Use:
    """How many live records use the record(s) one way, and the first few of them by name."""

    relation: str  # a `Relation.key`
    user_kind: str
    count: int
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Usage:
    """Everything that uses the given records; `uses` holds only relations that have users."""

    kind: str
    record_ids: tuple[str, ...]
    uses: tuple[Use, ...]

    @property
    def is_used(self) -> bool:
        return bool(self.uses)

    def count(self, relation: str) -> int:
        return next((u.count for u in self.uses if u.relation == relation), 0)


def _session_label(starts_at: str | None, theme: str, venue: str) -> str:
    date = listing.format_datetime(starts_at)[:10]
    return f"{date} {theme or venue}".strip()


def usage_of(
    library: Library, kind: str, record_ids: Sequence[str], *, limit: int = LABEL_LIMIT
) -> Usage:
    """What uses the records `record_ids` of `kind` (any kind; a session is used by nothing).

    Several records are asked about together (a multiple delete): each user counts once
    however many of them it uses.
    """
    ids = list(dict.fromkeys(record_ids))
    uses: list[Use] = []
    conn = library.reader()
    for relation in RELATIONS:
        if relation.kind != kind or not ids:
            continue
        rows = conn.execute(relation.sql, [json.dumps(ids), max(1, limit)]).fetchall()
        if not rows:
            continue
        if relation.user_kind == "session":
            labels = [_session_label(r[1], r[2] or "", r[3] or "") for r in rows]
        else:
            labels = [str(r[1] or "") for r in rows]
        uses.append(Use(relation.key, relation.user_kind, int(rows[0][-1]), tuple(labels[:limit])))
    return Usage(kind, tuple(ids), tuple(uses))


# --- the confirmation -----------------------------------------------------------------------


def _use_sentence(use: Use, single: bool) -> str:
    """ "2 field sessions cover this guide" and its Chinese "2 次现场活动涉及此指南"."""
    n = use.count
    sentences: dict[str, Callable[[], str]] = {
        "guide_sessions": lambda: (
            ngettext(
                "{n} field session covers this guide", "{n} field sessions cover this guide", n
            )
            if single
            else ngettext(
                "{n} field session covers these guides",
                "{n} field sessions cover these guides",
                n,
            )
        ),
        "member_teams": lambda: (
            ngettext("This member is in {n} team", "This member is in {n} teams", n)
            if single
            else ngettext("These members are in {n} team", "These members are in {n} teams", n)
        ),
        "member_sessions": lambda: (
            ngettext(
                "This member attended {n} field session",
                "This member attended {n} field sessions",
                n,
            )
            if single
            else ngettext(
                "These members attended {n} field session",
                "These members attended {n} field sessions",
                n,
            )
        ),
        "member_guides": lambda: (
            ngettext("This member wrote {n} guide", "This member wrote {n} guides", n)
            if single
            else ngettext("These members wrote {n} guide", "These members wrote {n} guides", n)
        ),
        "team_guides": lambda: (
            ngettext("{n} guide belongs to this team", "{n} guides belong to this team", n)
            if single
            else ngettext("{n} guide belongs to these teams", "{n} guides belong to these teams", n)
        ),
        "team_sessions": lambda: (
            ngettext("This team held {n} field session", "This team held {n} field sessions", n)
            if single
            else ngettext(
                "These teams held {n} field session", "These teams held {n} field sessions", n
            )
        ),
        "photo_sessions": lambda: (
            ngettext("{n} field session shows this photo", "{n} field sessions show this photo", n)
            if single
            else ngettext(
                "{n} field session shows these photos", "{n} field sessions show these photos", n
            )
        ),
        "photo_guides": lambda: (
            ngettext(
                "{n} guide shows this photo in its steps",
                "{n} guides show this photo in their steps",
                n,
            )
            if single
            else ngettext(
                "{n} guide shows these photos in its steps",
                "{n} guides show these photos in their steps",
                n,
            )
        ),
        "photo_recognition": lambda: (
            ngettext(
                "{n} guide has this photo as its recognition photo (识别图)",
                "{n} guides have this photo as their recognition photo (识别图)",
                n,
            )
            if single
            else ngettext(
                "{n} guide has one of these photos as its recognition photo (识别图)",
                "{n} guides have one of these photos as their recognition photo (识别图)",
                n,
            )
        ),
        "photo_members": lambda: (
            ngettext(
                "{n} member has this photo as portrait",
                "{n} members have this photo as portrait",
                n,
            )
            if single
            else ngettext(
                "{n} member has one of these photos as portrait",
                "{n} members have one of these photos as portrait",
                n,
            )
        ),
    }
    head = sentences[use.relation]().format(n=n)
    names = ("、" if current_language().startswith("zh") else ", ").join(use.labels)
    if use.count > len(use.labels):
        names = _("{names}, …").format(names=names)
    return _("{sentence}: {names}").format(sentence=head, names=names)


def _consequence(kind: str, name: str, single: bool) -> str:
    """What happens to the records that use it."""
    if single and name:
        text = _("They keep their reference to it, shown as “{shown}”.").format(
            shown=listing.mark_deleted(name)
        )
    else:
        text = _("They keep their references, shown with “(deleted)” after the name.")
    if kind == "guide":
        text += "\n" + _(
            "Session reports still list it, marked as deleted; take-home packs leave it out"
            " and say so."
        )
    return text


def delete_question(library: Library, kind: str, record_ids: Sequence[str], name: str = "") -> str:
    """The confirmation asked before deleting records: what uses them, what happens to those
    records, and that the delete can be undone."""
    ids = list(dict.fromkeys(record_ids))
    single = len(ids) == 1
    if single:
        question = _("Delete “{name}”?").format(name=name) if name else _("Delete this record?")
    else:
        question = _("Delete {n} records?").format(n=len(ids))
    found = usage_of(library, kind, ids)
    parts = [question]
    if found.is_used:
        parts.append("\n".join(_use_sentence(use, single) for use in found.uses))
        parts.append(_consequence(kind, name, single))
    parts.append(_("You can undo this with Ctrl+Z."))
    return "\n\n".join(parts)
