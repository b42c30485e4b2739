"""Catalog edits with validation: teams, members, guides and field sessions.

Every save is one transaction: the previous version goes to the history table, the revision
goes up by one, child rows are replaced as a whole, and the new version gets its tag
(`storage/versions.py`). Deletes are soft (`deleted_at`) so that they can travel to other
laptops and be undone.

A change made from something loaded earlier (a form, an undo step) passes the version it was
based on as `expected_version`; if the record has changed since (a pack import, a conflict
resolution, another window's edit), the change is refused with `StaleRecordError` instead of
silently replacing the newer version.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.core.errors import StaleRecordError, ValidationError
from desktop_app.core.i18n import _
from desktop_app.core.timezones import default_zone_name
from desktop_app.services import rules
from desktop_app.services.labels import KIND_NAMES
from desktop_app.services.records import get_record, live_team_named
from desktop_app.storage import versions
from desktop_app.storage.db import lock_for_writing
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole
from desktop_app.storage.kinds import KINDS
from desktop_app.storage.models import (
    AgendaItem,
    FeedbackQuote,
    FieldSession,
    Guide,
    GuideAuthor,
    GuideStep,
    GuideStepPhoto,
    Member,
    ParticipantGroup,
    Photo,
    RecordMixin,
    ServiceTeam,
    SessionAttendee,
    SessionGuide,
    SessionPhoto,
    SessionTeam,
    TeamMembership,
    utcnow,
)
from desktop_app.storage.store import RecordStore


def clean_list(values: list[str]) -> list[str]:
    """Trimmed, non-empty entries in their order."""
    return [v.strip() for v in values if v and v.strip()]


# --- input data -----------------------------------------------------------------------------


@dataclass
class Honour:
    title: str
    year: int | None = None


@dataclass
class Membership:
    member_id: str
    role: str = TeamRole.MEMBER.value


@dataclass
class TeamData:
    name: str
    category: str = TeamCategory.OTHER.value
    parent_union: str = ""
    description: str = ""
    expertise: list[str] = field(default_factory=list)
    member_count_note: str = ""
    members: list[Membership] = field(default_factory=list)


@dataclass
class MemberData:
    name: str
    honours: list[Honour] = field(default_factory=list)
    specialty: str = ""
    employer: str = ""
    phone: str = ""
    notes: str = ""
    portrait_photo_id: str | None = None


@dataclass
class StepData:
    text: str
    photo_ids: list[str] = field(default_factory=list)
    id: str | None = None
    risky: bool = False  # ⚠ beside the step on the handout (上梯作业)


@dataclass
class GuideData:
    title: str
    category: str = ""
    problem: str = ""
    season: str = ""
    materials: list[str] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)
    safety_notes: list[str] = field(default_factory=list)
    common_mistakes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    team_id: str | None = None
    author_ids: list[str] = field(default_factory=list)
    steps: list[StepData] = field(default_factory=list)
    is_demo: bool = False
    # 识别图: one of the steps' photos, printed large at the top of the handout.
    recognition_photo_id: str | None = None


@dataclass
class AttendeeData:
    member_id: str
    role: str = SessionRole.LECTURE.value
    note: str = ""


@dataclass
class GroupData:
    name: str
    count: int | None = None


@dataclass
class AgendaData:
    title: str
    time: str = ""
    leader: str = ""


@dataclass
class FeedbackData:
    text: str
    speaker: str = ""
    speaker_role: str = ""


@dataclass
class SessionData:
    starts_at: datetime
    theme: str = ""
    venue: str = ""
    ends_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    host_organisations: list[str] = field(default_factory=list)
    summary: str = ""
    follow_ups: list[str] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    attendees: list[AttendeeData] = field(default_factory=list)
    groups: list[GroupData] = field(default_factory=list)
    agenda: list[AgendaData] = field(default_factory=list)
    guide_ids: list[str] = field(default_factory=list)
    feedback: list[FeedbackData] = field(default_factory=list)
    photo_ids: list[str] = field(default_factory=list)
    # The place's zone: the times are shown in it everywhere (new: the laptop's zone).
    time_zone: str = field(default_factory=default_zone_name)


# --- validation -----------------------------------------------------------------------------


_D = TypeVar("_D")


def storable(data: _D) -> _D:
    """The form's data with every NUL character dropped from its text, and every lone UTF-16
    surrogate replaced by U+FFFD.

    A NUL comes only from pasting out of another program and is never seen on screen, but a
    record holding one could never be shared: packs and the hub (PostgreSQL cannot store it)
    refuse it. Dropping it loses nothing the user typed. Half of a UTF-16 pair (pasted
    damaged text) cannot be written as UTF-8 at all: the save crashed ("Internal error"); a
    whole pair given as two halves becomes its character."""
    return cast(_D, _without_nul(data))


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        cleaned = {f.name: _without_nul(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **cleaned)
    return value


def validate_team(s: Session, data: TeamData, team_id: str | None) -> None:
    errors = rules.team_errors(asdict(data))
    name = data.name.strip()
    if "name" not in errors and live_team_named(s, name, other_than=team_id or ""):
        errors["name"] = _("A team named “{name}” already exists.").format(name=name)
    ids = [m.member_id for m in data.members]
    if ids and "members" not in errors:
        live = set(
            s.scalars(select(Member.id).where(Member.id.in_(ids), Member.deleted_at.is_(None)))
        )
        if live != set(ids):
            errors["members"] = _("A listed member does not exist.")
    if errors:
        raise ValidationError(errors)


def validate_member(data: MemberData) -> None:
    if errors := rules.member_errors(asdict(data)):
        raise ValidationError(errors)


def validate_guide(data: GuideData) -> None:
    if errors := rules.guide_errors(asdict(data)):
        raise ValidationError(errors)


def validate_session(data: SessionData) -> None:
    if errors := rules.session_errors(asdict(data)):
        raise ValidationError(errors)


# --- saving ---------------------------------------------------------------------------------


def check_expected(kind: str, obj: RecordMixin, expected_version: str | None) -> None:
    """Refuse a change based on a version that is no longer the current one."""
    if expected_version is None or expected_version == obj.version_tag:
        return
    raise StaleRecordError(
        _(
            "This {kind} was changed since you opened it (by an imported pack, a resolved "
            "conflict or another edit); reload it to see the newer version."
        ).format(kind=_(KIND_NAMES[kind])),
        kind=kind,
        record_id=obj.id,
        current_version=obj.version_tag,
    )


def current_version(library: RecordStore, kind: str, record_id: str) -> str:
    """The tag of the record's current version (deleted records have one too)."""
    with library.session() as s:
        obj = get_record(s, kind, record_id, include_deleted=True)
        return str(obj.version_tag)


def _apply_team(team: ServiceTeam, data: TeamData) -> None:
    team.name = data.name.strip()
    team.category = data.category
    team.parent_union = data.parent_union.strip()
    team.description = data.description.strip()
    team.expertise = clean_list(data.expertise)
    team.member_count_note = data.member_count_note.strip()
    team.memberships = [
        TeamMembership(member_id=m.member_id, role=m.role, position=i)
        for i, m in enumerate(data.members)
    ]


def _apply_member(member: Member, data: MemberData) -> None:
    member.name = data.name.strip()
    member.honours = [
        {"title": h.title.strip(), "year": h.year} for h in data.honours if h.title.strip()
    ]
    member.specialty = data.specialty.strip()
    member.employer = data.employer.strip()
    member.phone = data.phone.strip()
    member.notes = data.notes.strip()
    member.portrait_photo_id = data.portrait_photo_id


def _apply_guide(guide: Guide, data: GuideData) -> None:
    guide.title = data.title.strip()
    guide.category = data.category.strip()
    guide.problem = data.problem.strip()
    guide.season = data.season.strip()
    guide.materials = clean_list(data.materials)
    guide.key_points = clean_list(data.key_points)
    guide.safety_notes = clean_list(data.safety_notes)
    guide.common_mistakes = clean_list(data.common_mistakes)
    guide.tags = clean_list(data.tags)
    guide.team_id = data.team_id
    guide.is_demo = data.is_demo
    guide.recognition_photo_id = data.recognition_photo_id
    guide.authors = [
        GuideAuthor(member_id=mid, position=i)
        for i, mid in enumerate(dict.fromkeys(data.author_ids))
    ]
    steps = []
    for i, step in enumerate(data.steps):
        row = GuideStep(text=step.text.strip(), position=i, risky=step.risky)
        if step.id:
            row.id = step.id
        row.photos = [
            GuideStepPhoto(photo_id=pid, position=j)
            for j, pid in enumerate(dict.fromkeys(step.photo_ids))
        ]
        steps.append(row)
    guide.steps = steps


def _apply_session(fs: FieldSession, data: SessionData) -> None:
    fs.starts_at = data.starts_at
    fs.ends_at = data.ends_at
    fs.venue = data.venue.strip()
    fs.gps_lat = data.gps_lat
    fs.gps_lon = data.gps_lon
    fs.host_organisations = clean_list(data.host_organisations)
    fs.theme = data.theme.strip()
    fs.summary = data.summary.strip()
    fs.follow_ups = clean_list(data.follow_ups)
    fs.time_zone = data.time_zone
    fs.teams = [
        SessionTeam(team_id=t, position=i) for i, t in enumerate(dict.fromkeys(data.team_ids))
    ]
    fs.attendees = [
        SessionAttendee(member_id=a.member_id, role=a.role, note=a.note.strip(), position=i)
        for i, a in enumerate(data.attendees)
    ]
    fs.groups = [
        ParticipantGroup(name=g.name.strip(), count=g.count, position=i)
        for i, g in enumerate(data.groups)
    ]
    fs.agenda = [
        AgendaItem(title=a.title.strip(), time=a.time.strip(), leader=a.leader.strip(), position=i)
        for i, a in enumerate(data.agenda)
    ]
    fs.guides = [
        SessionGuide(guide_id=g, position=i) for i, g in enumerate(dict.fromkeys(data.guide_ids))
    ]
    fs.feedback = [
        FeedbackQuote(
            text=f.text.strip(),
            speaker=f.speaker.strip(),
            speaker_role=f.speaker_role.strip(),
            position=i,
        )
        for i, f in enumerate(data.feedback)
    ]
    fs.photos = [
        SessionPhoto(photo_id=p, position=i) for i, p in enumerate(dict.fromkeys(data.photo_ids))
    ]


@contextlib.contextmanager
def _writing(library: RecordStore) -> Iterator[Session]:
    """A transaction that changes records: it is the store's writer before it reads what it
    checks (`expected_version`, name clashes), so nothing changes between the check and the
    write; the changed record itself is read with a row lock (`get_record(for_update=True)`)
    against writers that hold no store lock (a hub's publish)."""
    with library.transaction() as s:
        lock_for_writing(s)
        yield s


def save_team(
    library: RecordStore,
    data: TeamData,
    team_id: str | None = None,
    *,
    expected_version: str | None = None,
) -> str:
    data = storable(data)
    with _writing(library) as s:
        validate_team(s, data, team_id)
        if team_id is None:
            team = ServiceTeam(name=data.name.strip())
            s.add(team)
        else:
            team = get_record(s, "team", team_id, for_update=True)
            check_expected("team", team, expected_version)
            versions.begin_version(s, "team", team)
            team.memberships = []
            s.flush()
        _apply_team(team, data)
        versions.stamp(s, "team", team)
        s.flush()
        return team.id


def _check_new_photos(
    s: Session, kind: str, obj: RecordMixin | None, photo_ids: Iterable[str | None]
) -> None:
    """Refuse to show again a photo that clean-up has removed (its file is gone): an undo or
    an old form naming it would leave a record pointing at nothing, which no pack could carry.
    Photos the record shows already are left alone."""
    shown: set[str] = set()
    if obj is not None:
        spec = KINDS[kind]
        shown = {rid for rk, rid in spec.references_in(spec.to_dict(obj)) if rk == "photo"}
    added = {pid for pid in photo_ids if pid and pid not in shown}
    if not added:
        return
    with s.no_autoflush:
        gone = s.scalar(
            select(func.count()).where(Photo.id.in_(added), Photo.deleted_at.is_not(None))
        )
    if gone:
        raise ValidationError(
            {
                "photos": _(
                    "A photo here was removed by “Clean up unused photos” since; it cannot be "
                    "shown again. Add the photo file anew."
                )
            }
        )


def save_member(
    library: RecordStore,
    data: MemberData,
    member_id: str | None = None,
    *,
    expected_version: str | None = None,
) -> str:
    data = storable(data)
    validate_member(data)
    with _writing(library) as s:
        if member_id is None:
            member = Member(name=data.name.strip())
            s.add(member)
        else:
            member = get_record(s, "member", member_id, for_update=True)
            check_expected("member", member, expected_version)
        _check_new_photos(s, "member", member if member_id else None, [data.portrait_photo_id])
        if member_id is not None:
            versions.begin_version(s, "member", member)
        _apply_member(member, data)
        versions.stamp(s, "member", member)
        s.flush()
        return member.id


def save_guide(
    library: RecordStore,
    data: GuideData,
    guide_id: str | None = None,
    *,
    expected_version: str | None = None,
) -> str:
    data = storable(data)
    validate_guide(data)
    with _writing(library) as s:
        if guide_id is None:
            guide = Guide(title=data.title.strip())
            s.add(guide)
        else:
            guide = get_record(s, "guide", guide_id, for_update=True)
            check_expected("guide", guide, expected_version)
        _check_new_photos(
            s, "guide", guide if guide_id else None, [p for st in data.steps for p in st.photo_ids]
        )
        if guide_id is not None:
            versions.begin_version(s, "guide", guide)
            guide.steps = []
            guide.authors = []
            s.flush()
        _apply_guide(guide, data)
        versions.stamp(s, "guide", guide)
        s.flush()
        return guide.id


def save_session(
    library: RecordStore,
    data: SessionData,
    session_id: str | None = None,
    *,
    expected_version: str | None = None,
) -> str:
    data = storable(data)
    validate_session(data)
    with _writing(library) as s:
        if session_id is None:
            fs = FieldSession(starts_at=data.starts_at)
            s.add(fs)
        else:
            fs = get_record(s, "session", session_id, for_update=True)
            check_expected("session", fs, expected_version)
        _check_new_photos(s, "session", fs if session_id else None, data.photo_ids)
        if session_id is not None:
            versions.begin_version(s, "session", fs)
            for rel in KINDS["session"].children:
                setattr(fs, rel, [])
            s.flush()
        _apply_session(fs, data)
        versions.stamp(s, "session", fs)
        s.flush()
        return fs.id


def delete_record(
    library: RecordStore, kind: str, record_id: str, *, expected_version: str | None = None
) -> None:
    """Soft delete: the record disappears from lists; undo or a pack can bring it back."""
    with _writing(library) as s:
        obj = get_record(s, kind, record_id, for_update=True)
        check_expected(kind, obj, expected_version)
        versions.begin_version(s, kind, obj, reason="delete")
        obj.deleted_at = utcnow()
        versions.stamp(s, kind, obj)


def restore_record(
    library: RecordStore, kind: str, record_id: str, *, expected_version: str | None = None
) -> None:
    """Undo a soft delete (refused with a clear message if it would clash with a live name)."""
    with _writing(library) as s:
        obj = get_record(s, kind, record_id, include_deleted=True, for_update=True)
        check_expected(kind, obj, expected_version)
        if obj.deleted_at is None:
            return
        if isinstance(obj, ServiceTeam) and live_team_named(s, obj.name):
            raise ValidationError(
                {"name": _("A team named “{name}” already exists.").format(name=obj.name)}
            )
        versions.begin_version(s, kind, obj, reason="restore")
        obj.deleted_at = None
        versions.stamp(s, kind, obj)


# --- loading into input data (for forms and templates) --------------------------------------


def load_team(library: RecordStore, team_id: str) -> TeamData:
    with library.session() as s:
        t: ServiceTeam = get_record(s, "team", team_id)
        return TeamData(
            name=t.name,
            category=t.category,
            parent_union=t.parent_union,
            description=t.description,
            expertise=list(t.expertise),
            member_count_note=t.member_count_note,
            members=[Membership(m.member_id, m.role) for m in t.memberships],
        )


def load_member(library: RecordStore, member_id: str) -> MemberData:
    with library.session() as s:
        m: Member = get_record(s, "member", member_id)
        return MemberData(
            name=m.name,
            honours=[Honour(h.get("title", ""), h.get("year")) for h in m.honours],
            specialty=m.specialty,
            employer=m.employer,
            phone=m.phone,
            notes=m.notes,
            portrait_photo_id=m.portrait_photo_id,
        )


def load_guide(library: RecordStore, guide_id: str) -> GuideData:
    with library.session() as s:
        g: Guide = get_record(s, "guide", guide_id)
        return GuideData(
            title=g.title,
            category=g.category,
            problem=g.problem,
            season=g.season,
            materials=list(g.materials),
            key_points=list(g.key_points),
            safety_notes=list(g.safety_notes),
            common_mistakes=list(g.common_mistakes),
            tags=list(g.tags),
            team_id=g.team_id,
            author_ids=[a.member_id for a in g.authors],
            steps=[
                StepData(
                    text=st.text,
                    photo_ids=[p.photo_id for p in st.photos],
                    id=st.id,
                    risky=st.risky,
                )
                for st in g.steps
            ],
            is_demo=g.is_demo,
            recognition_photo_id=g.recognition_photo_id,
        )


def load_session(library: RecordStore, session_id: str) -> SessionData:
    with library.session() as s:
        fs: FieldSession = get_record(s, "session", session_id)
        return SessionData(
            starts_at=fs.starts_at,
            ends_at=fs.ends_at,
            theme=fs.theme,
            venue=fs.venue,
            gps_lat=fs.gps_lat,
            gps_lon=fs.gps_lon,
            host_organisations=list(fs.host_organisations),
            summary=fs.summary,
            follow_ups=list(fs.follow_ups),
            team_ids=[t.team_id for t in fs.teams],
            attendees=[AttendeeData(a.member_id, a.role, a.note) for a in fs.attendees],
            groups=[GroupData(g.name, g.count) for g in fs.groups],
            agenda=[AgendaData(a.title, a.time, a.leader) for a in fs.agenda],
            guide_ids=[g.guide_id for g in fs.guides],
            feedback=[FeedbackData(f.text, f.speaker, f.speaker_role) for f in fs.feedback],
            photo_ids=[p.photo_id for p in fs.photos],
            time_zone=fs.time_zone,
        )


def revision_of(library: RecordStore, kind: str, record_id: str) -> int:
    with library.session() as s:
        obj = get_record(s, kind, record_id, include_deleted=True)
        return int(obj.revision)


def live_count(library: RecordStore, kind: str) -> int:
    model: Any = KINDS[kind].model
    with library.session() as s:
        return int(s.scalar(select(func.count()).where(model.deleted_at.is_(None))) or 0)
