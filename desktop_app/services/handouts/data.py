"""What a handout prints, read from the library into plain values (no ReportLab, no SQL later).

Loading happens in one short read session; the typesetting that follows never touches the
database, so a long build in the background does not hold a connection open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from desktop_app.services.listing import DELETED, LIVE, UNKNOWN, RefName
from desktop_app.services.records import get_record
from desktop_app.storage.enums import TeamRole
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide, Member, Photo, ServiceTeam
from desktop_app.storage.photostore import photo_path


@dataclass(frozen=True)
class PhotoRef:
    """One photo to print: where its original is and how to turn it upright."""

    path: Path
    name: str
    rotation: int = 0
    caption: str = ""
    width: int = 0
    height: int = 0
    taken_at: datetime | None = None
    id: str = ""  # the photo record's id (how the user chooses a session report's photos)


@dataclass(frozen=True)
class Person:
    name: str
    honours: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TeamInfo:
    name: str
    parent_union: str = ""
    captain: str = ""
    captain_phone: str = ""
    # Whom trainees call: the captain, else a vice captain (the first one with a phone).
    contact: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class StepDoc:
    text: str
    photos: list[PhotoRef] = field(default_factory=list)
    risky: bool = False  # printed with ⚠ beside it (上梯作业)


@dataclass(frozen=True)
class GuideDoc:
    id: str
    title: str
    category: str
    problem: str
    season: str
    materials: list[str]
    key_points: list[str]
    safety_notes: list[str]
    common_mistakes: list[str]
    steps: list[StepDoc]
    team: TeamInfo | None
    authors: list[Person]
    revision: int
    updated_at: datetime
    is_demo: bool
    recognition: PhotoRef | None = None  # 识别图, printed large at the top


@dataclass(frozen=True)
class AttendeeDoc:
    name: str
    honours: list[str]
    role: str  # SessionRole value
    note: str
    team: str
    deleted: bool = False  # the member was deleted from the library since


@dataclass(frozen=True)
class CoveredGuide:
    """A guide a session covered, as the session report lists it (deleted ones included)."""

    title: RefName
    category: str = ""


@dataclass(frozen=True)
class SessionDoc:
    id: str
    theme: str
    venue: str
    starts_at: datetime
    ends_at: datetime | None
    time_zone: str  # the place's: the times are printed as wall times there
    host_organisations: list[str]
    summary: str
    teams: list[TeamInfo]
    attendees: list[AttendeeDoc]
    groups: list[tuple[str, int | None]]
    agenda: list[tuple[str, str, str]]  # time, title, leader
    guides: list[GuideDoc]
    feedback: list[tuple[str, str, str]]  # text, speaker, speaker role
    follow_ups: list[str]
    photos: list[PhotoRef]
    # `teams` and `guides` hold what the library still has (for trainee handouts and the
    # running footer); these name every team and guide the session refers to, in order,
    # deleted ones marked: the session report is the record of what happened.
    held_by: list[RefName] = field(default_factory=list)
    covered: list[CoveredGuide] = field(default_factory=list)

    @property
    def deleted_guides(self) -> list[RefName]:
        """Guides the session covered that the library no longer holds."""
        return [c.title for c in self.covered if c.title.state != LIVE]


def _honours(member: Member) -> list[str]:
    result = []
    for h in member.honours:
        title = str(h.get("title", "")).strip() if isinstance(h, dict) else str(h).strip()
        if title:
            result.append(title)
    return result


def _photo(library: Library, photo: Photo) -> PhotoRef:
    return PhotoRef(
        path=photo_path(library.photos_dir, photo.sha256, photo.ext),
        name=photo.original_name or f"{photo.sha256[:12]}.{photo.ext}",
        rotation=photo.rotation,
        caption=photo.caption,
        width=photo.width,
        height=photo.height,
        taken_at=photo.taken_at,
        id=photo.id,
    )


def _team(team: ServiceTeam) -> TeamInfo:
    live = [m for m in team.memberships if m.member.deleted_at is None]
    captain = next((m.member for m in live if m.role == TeamRole.CAPTAIN.value), None)
    # The contact printed for trainees: the captain, else a vice captain; one with a phone first.
    leaders = [m.member for m in live if m.role == TeamRole.CAPTAIN.value] + [
        m.member for m in live if m.role == TeamRole.VICE_CAPTAIN.value
    ]
    contact = next((m for m in leaders if m.phone.strip()), leaders[0] if leaders else None)
    return TeamInfo(
        name=team.name,
        parent_union=team.parent_union,
        captain=captain.name if captain else "",
        captain_phone=captain.phone if captain else "",
        contact=contact.name if contact else "",
        contact_phone=contact.phone.strip() if contact else "",
    )


def _guide_doc(library: Library, g: Guide) -> GuideDoc:
    team = g.team if g.team is not None and g.team.deleted_at is None else None
    return GuideDoc(
        id=g.id,
        title=g.title,
        category=g.category,
        problem=g.problem,
        season=g.season,
        materials=[str(x) for x in g.materials],
        key_points=[str(x) for x in g.key_points],
        safety_notes=[str(x) for x in g.safety_notes],
        common_mistakes=[str(x) for x in g.common_mistakes],
        steps=[
            StepDoc(
                text=st.text,
                photos=[
                    _photo(library, link.photo)
                    for link in st.photos
                    if link.photo.deleted_at is None
                ],
                risky=st.risky,
            )
            for st in g.steps
        ],
        team=_team(team) if team is not None else None,
        authors=[
            Person(a.member.name, _honours(a.member))
            for a in g.authors
            if a.member.deleted_at is None
        ],
        revision=g.revision,
        updated_at=g.updated_at,
        is_demo=g.is_demo,
        recognition=_recognition(library, g),
    )


def _recognition(library: Library, g: Guide) -> PhotoRef | None:
    """The guide's 识别图 while it is a live photo on one of its steps."""
    for step in g.steps:
        for link in step.photos:
            if link.photo_id == g.recognition_photo_id and link.photo.deleted_at is None:
                return _photo(library, link.photo)
    return None


def load_guide_docs(library: Library, guide_ids: list[str]) -> list[GuideDoc]:
    """The guides in the given order; an unknown id raises `RecordNotFoundError`."""
    with library.session() as s:
        return [_guide_doc(library, get_record(s, "guide", gid)) for gid in guide_ids]


def _state(obj: object | None) -> str:
    if obj is None:
        return UNKNOWN
    return DELETED if getattr(obj, "deleted_at", None) is not None else LIVE


def _session_doc(library: Library, s: Session, fs: FieldSession) -> SessionDoc:
    teams_by_member: dict[str, str] = {}
    session_teams = [t.team for t in fs.teams if _state(t.team) == LIVE]
    for team in session_teams:
        for m in team.memberships:
            teams_by_member.setdefault(m.member_id, team.name)
    return SessionDoc(
        id=fs.id,
        theme=fs.theme,
        venue=fs.venue,
        starts_at=fs.starts_at,
        ends_at=fs.ends_at,
        time_zone=fs.time_zone,
        host_organisations=[str(x) for x in fs.host_organisations],
        summary=fs.summary,
        teams=[_team(t) for t in session_teams],
        attendees=[
            AttendeeDoc(
                name=a.member.name,
                honours=_honours(a.member),
                role=a.role,
                note=a.note,
                team=teams_by_member.get(a.member_id, ""),
                deleted=_state(a.member) == DELETED,
            )
            for a in fs.attendees
            if a.member is not None
        ],
        groups=[(g.name, g.count) for g in fs.groups],
        agenda=[(a.time, a.title, a.leader) for a in fs.agenda],
        guides=[_guide_doc(library, sg.guide) for sg in fs.guides if _state(sg.guide) == LIVE],
        feedback=[(f.text, f.speaker, f.speaker_role) for f in fs.feedback],
        follow_ups=[str(x) for x in fs.follow_ups],
        photos=[_photo(library, p.photo) for p in fs.photos if p.photo.deleted_at is None],
        held_by=[
            RefName(
                " ".join(p for p in (t.team.parent_union, t.team.name) if p) if t.team else "",
                _state(t.team),
            )
            for t in fs.teams
        ],
        covered=[
            CoveredGuide(
                RefName(sg.guide.title if sg.guide else "", _state(sg.guide)),
                sg.guide.category if sg.guide else "",
            )
            for sg in fs.guides
        ],
    )


def load_session_doc(library: Library, session_id: str) -> SessionDoc:
    with library.session() as s:
        return _session_doc(library, s, get_record(s, "session", session_id))
