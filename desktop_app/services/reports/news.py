"""A news draft (通讯稿) about one session, in the style of a union newspaper item.

The publicity officer gets plain text to edit and copy: a headline, a lead ("本报讯 近日，丰台区
劳模工匠走进园博园，以“绿色养护提质增效”为主题开展……"), then what happened, who taught what (with
their honours and a key point of a guide they wrote), what a trainee said, the head count, and
what the team is known for. Every sentence is assembled only from facts the session holds;
a fact that is missing drops its sentence or clause instead of leaving an empty slot, so the
draft never shows "None", "{venue}" or a dangling "、".

The draft is Chinese whatever the UI language: it is written for a Chinese union newspaper, in
that genre's fixed phrasing, so its sentences are templates of the genre, not UI strings to
translate (the window's own labels around it are translated as usual).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_write_text, check_destination
from desktop_app.core.i18n import _
from desktop_app.services.records import get_record
from desktop_app.storage.enums import SessionRole, TeamRole
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Member

# What a member did, when the session records no note of their own.
ROLE_PHRASES = {
    SessionRole.LECTURE.value: "进行现场讲解",
    SessionRole.DEMONSTRATE.value: "进行现场示范",
    SessionRole.COACH.value: "开展实操指导",
    SessionRole.OTHER.value: "参与现场服务",
}
UNION_SUFFIXES = ("总工会", "工会")
ENDING = "。！？…”）"


@dataclass
class TeamFacts:
    name: str
    union: str
    captain: str
    description: str
    expertise: list[str]


@dataclass
class AttendeeFacts:
    name: str
    honour: str
    role: str
    note: str
    key_points: list[str]  # from the session's guides this member wrote


@dataclass
class NewsFacts:
    """What the draft may say: a session's facts as plain, cleaned values."""

    theme: str
    venue: str
    hosts: list[str]
    teams: list[TeamFacts]
    attendees: list[AttendeeFacts]
    groups: list[str]
    head_count: int | None
    head_count_partial: bool
    agenda: list[str]
    guides: list[str]
    feedback: list[tuple[str, str, str]]  # text, speaker, role
    summary: str
    follow_ups: list[str] = field(default_factory=list)


def _clean(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _honour(member: Member) -> str:
    """The first honour, worded to stand before a name: 首都劳动奖章 -> 首都劳动奖章获得者."""
    for h in member.honours:
        title = _clean(h.get("title", "")) if isinstance(h, dict) else _clean(h)
        if title:
            return title + "获得者" if title.endswith(("奖章", "奖")) else title
    return ""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def load_facts(library: Library, session_id: str) -> NewsFacts:
    """Read a session's facts (an id prefix of 8+ characters is enough)."""
    with library.session() as s:
        fs: FieldSession = get_record(s, "session", session_id)
        guides = [sg.guide for sg in fs.guides if sg.guide.deleted_at is None]
        teams = []
        for link in fs.teams:
            team = link.team
            if team.deleted_at is not None:
                continue
            captain = next(
                (
                    m.member.name
                    for m in team.memberships
                    if m.role == TeamRole.CAPTAIN.value and m.member.deleted_at is None
                ),
                "",
            )
            teams.append(
                TeamFacts(
                    name=_clean(team.name),
                    union=_clean(team.parent_union),
                    captain=_clean(captain),
                    description=_clean(team.description),
                    expertise=[_clean(x) for x in team.expertise if _clean(x)],
                )
            )
        attendees = []
        for a in fs.attendees:
            if a.member.deleted_at is not None:
                continue
            points = [
                _clean(p)
                for g in guides
                if any(au.member_id == a.member_id for au in g.authors)
                for p in g.key_points
                if _clean(p)
            ]
            attendees.append(
                AttendeeFacts(
                    name=_clean(a.member.name),
                    honour=_honour(a.member),
                    role=a.role,
                    note=_clean(a.note),
                    key_points=points,
                )
            )
        counts = [g.count for g in fs.groups]
        known = [c for c in counts if c is not None]
        return NewsFacts(
            theme=_clean(fs.theme),
            venue=_clean(fs.venue),
            hosts=_unique([_clean(h) for h in fs.host_organisations]),
            teams=teams,
            attendees=attendees,
            groups=_unique([_clean(g.name) for g in fs.groups]),
            head_count=sum(known) if known else None,
            head_count_partial=bool(known) and len(known) < len(counts),
            agenda=_unique([_clean(a.title) for a in fs.agenda]),
            guides=_unique([_clean(g.title) for g in guides]),
            feedback=[
                (_clean(f.text), _clean(f.speaker), _clean(f.speaker_role))
                for f in fs.feedback
                if _clean(f.text)
            ],
            summary=_clean(fs.summary),
            follow_ups=[_clean(x) for x in fs.follow_ups if _clean(x)],
        )


def _region(teams: list[TeamFacts], hosts: list[str]) -> str:
    """ "丰台区" from the team's union "丰台区总工会" (or a host union); "" when unknown."""
    for union in [t.union for t in teams] + hosts:
        for suffix in UNION_SUFFIXES:
            if union.endswith(suffix) and len(union) > len(suffix):
                return union[: -len(suffix)]
    return ""


def _join(items: list[str]) -> str:
    return "、".join(items)


def _quoted(items: list[str]) -> str:
    return "".join(f"“{_inner(i)}”" for i in items)


def _inner(text: str) -> str:
    """Quotation marks inside a quotation become single ones, as newspapers print them."""
    return text.replace("“", "‘").replace("”", "’")


def _sentence(text: str) -> str:
    text = text.strip().rstrip("，、；：,;:")
    return text if text.endswith(tuple(ENDING)) else text + "。"


def _team_name(name: str, region: str) -> str:
    """ "丰台区专业技术服务2队"; a name that already starts with the district keeps it once."""
    return name if name.startswith(region) else f"{region}{name}"


def _who(facts: NewsFacts, region: str) -> str:
    """ "丰台区劳模工匠" or "丰台区专业技术服务2队的劳模工匠"."""
    if facts.teams and len(facts.teams) <= 2:
        return f"{_join([_team_name(t.name, region) for t in facts.teams])}的劳模工匠"
    return f"{region}劳模工匠"


def headline(facts: NewsFacts) -> str:
    region = _region(facts.teams, facts.hosts)
    who = f"{region}劳模工匠"
    if facts.venue:
        main = f"{who}走进{facts.venue}"
    elif facts.hosts:
        main = f"{who}走进{facts.hosts[0]}"
    else:
        main = f"{who}开展现场技能服务"
    return f"{main}开展“{_inner(facts.theme)}”活动" if facts.theme else main


def _lead(facts: NewsFacts, region: str) -> str:
    who = _who(facts, region)
    where = f"走进{facts.venue}，" if facts.venue else ""
    what = (
        f"以“{_inner(facts.theme)}”为主题开展现场技能服务活动"
        if facts.theme
        else "开展现场技能服务活动"
    )
    text = f"本报讯 近日，{who}{where}{what}。"
    if facts.groups:
        groups = facts.groups
        listed = _join(groups[:-1]) + "及" + groups[-1] if len(groups) > 1 else groups[0]
        if facts.head_count and not facts.head_count_partial:
            text += f"{listed}等{facts.head_count}人参加活动。"
        else:
            text += f"{listed}等齐聚一堂，共同学习交流。"
    if facts.hosts:
        text += f"活动由{_join(facts.hosts)}组织开展。"
    return text


def _programme(facts: NewsFacts) -> str:
    parts = []
    if facts.agenda:
        parts.append(f"活动现场设置了{_quoted(facts.agenda)}等环节")
    if facts.guides:
        verb = "劳模工匠们围绕" if parts else "活动现场，劳模工匠们围绕"
        parts.append(f"{verb}{_quoted(facts.guides)}等实用技术，手把手传授操作要点")
    return _sentence("，".join(parts)) if parts else ""


def _people(facts: NewsFacts) -> str:
    sentences = []
    used: set[str] = set()
    for a in facts.attendees[:4]:
        who = f"{a.honour}{a.name}"
        doing = a.note or ROLE_PHRASES.get(a.role, ROLE_PHRASES[SessionRole.OTHER.value])
        point = next((p for p in a.key_points if p not in used), "")
        if point:
            used.add(point)
            sentences.append(f"{who}{doing.rstrip('。')}：“{_inner(point.rstrip('。'))}……”")
        else:
            sentences.append(_sentence(f"{who}{doing}"))
    if not sentences:
        return ""
    return "".join(s if s.endswith(tuple(ENDING)) else s + "。" for s in sentences)


def _quote(facts: NewsFacts) -> str:
    if not facts.feedback:
        return ""
    text, speaker, role = facts.feedback[0]
    body = _inner(text)
    if speaker:
        who = f"{role}{speaker}" if role else f"学员{speaker}"
        return f"“{body}”交流时，{who}分享着自己的收获。"
    return f"“{body}”一位{role or '学员'}这样说。"


def _count(facts: NewsFacts) -> str:
    if facts.head_count is None:
        return ""
    if facts.head_count_partial:
        return f"据统计，本次活动登记在册的受益学员有{facts.head_count}人。"
    return f"据统计，本次活动共服务学员{facts.head_count}人次。"


def _team_background(facts: NewsFacts, region: str) -> str:
    team = next((t for t in facts.teams if t.description or t.expertise), None)
    if team is None:
        return ""
    text = ""
    if team.description:
        text = _sentence(f"据了解，{_team_name(team.name, region)}{team.description}")
    if team.expertise:
        lead = "该团队" if text else f"据了解，{_team_name(team.name, region)}"
        text += f"{lead}还精通{_join(team.expertise)}等专业内容。"
    return text


def _follow_ups(facts: NewsFacts) -> str:
    if not facts.follow_ups:
        return ""
    items = "；".join(f.rstrip("。；;") for f in facts.follow_ups)
    return f"活动结束后，服务队还将跟进后续工作：{items}。"


def draft(facts: NewsFacts) -> str:
    """The draft as plain text: headline, a blank line, paragraphs separated by blank lines."""
    region = _region(facts.teams, facts.hosts)
    paragraphs = [
        _lead(facts, region),
        _programme(facts),
        _people(facts),
        _quote(facts),
        _sentence(facts.summary) if facts.summary else "",
        _count(facts),
        _team_background(facts, region),
        _follow_ups(facts),
    ]
    body = "\n\n".join(p for p in paragraphs if p)
    return f"{headline(facts)}\n\n{body}\n"


def news_draft(library: Library, session_id: str) -> str:
    """The draft for one session."""
    return draft(load_facts(library, session_id))


def write_news(target: Path, text: str) -> Path:
    """Save the draft as UTF-8 text (with a BOM: Windows Notepad and WPS then read it right)."""
    check_destination(Path(target))  # never over a file of a library
    try:
        atomic_write_text(Path(target), "\ufeff" + text.replace("\n", "\r\n"))
    except OSError as exc:
        raise UserError(
            _("Cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None
    return Path(target)
