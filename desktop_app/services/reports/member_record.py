"""A member's service record (个人服务记录): for honours applications and annual reviews.

Who the model worker is (honours, employer, specialty, teams and roles), then every session they
served in with their role, what they did and the hours, the totals (sessions left out of the
hours say so), the guides they wrote, and a sign-off block for the member, their unit and the
union. Optionally limited to a period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph

from desktop_app.core.fsutil import check_destination
from desktop_app.core.i18n import N_
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.services.handouts.document import PageInfo, write_pdf
from desktop_app.services.handouts.flowables import Rule, Spacer, esc
from desktop_app.services.handouts.styles import INK, make_styles
from desktop_app.services.labels import SESSION_ROLE_LABELS, TEAM_ROLE_LABELS, label
from desktop_app.services.records import get_record
from desktop_app.services.reports.ledger import PAGE_LABEL, PRINTED, grid, heading, number, sign_off
from desktop_app.services.reports.period import Period
from desktop_app.services.reports.tables import local_naive
from desktop_app.storage.library import Library
from desktop_app.storage.models import Member

Translator = Callable[[str], str]

TITLE = N_("Service record")
PERIOD_LINE = N_("Period: {start} to {end}")
ALL_TIME = N_("All sessions in the library")
HONOURS = N_("Honours")
EMPLOYER = N_("Employer")
SPECIALTY = N_("Specialty")
TEAMS = N_("Service teams")
TOTALS = N_("In total: {sessions} sessions, {hours} hours of service, {guides} guides written.")
NO_END = N_("{n} of the sessions have no end time and are not counted in the hours.")
SESSIONS = N_("Sessions served in")
NO_SESSIONS = N_("No sessions recorded.")
GUIDES = N_("Guides written")
NO_GUIDES = N_("No guides recorded.")
DATE = N_("Date")
VENUE = N_("Venue")
THEME = N_("Theme")
ROLE = N_("Role at the session")
WHAT = N_("What they did")
HOURS = N_("hours")
GUIDE_TITLE = N_("Title")
CATEGORY = N_("Category")
CO_AUTHORS = N_("Written with")
MEMBER_SIGN = N_("Member's signature")
UNIT_OPINION = N_("Employer (seal)")
UNION_OPINION = N_("Trade union (seal)")
SIGN_DATE = N_("Date")
LIST_SEP = N_(", ")  # between names and honours: 、 in Chinese


@dataclass
class ServedSession:
    starts_at: datetime
    venue: str
    theme: str
    role: str
    note: str
    hours: float | None


@dataclass
class WrittenGuide:
    title: str
    category: str
    co_authors: list[str]


@dataclass
class MemberRecord:
    id: str
    name: str
    honours: list[str]
    employer: str
    specialty: str
    teams: list[tuple[str, str]]  # team name, role value
    sessions: list[ServedSession] = field(default_factory=list)
    guides: list[WrittenGuide] = field(default_factory=list)

    @property
    def hours(self) -> float:
        return sum(s.hours or 0.0 for s in self.sessions)

    @property
    def without_hours(self) -> int:
        return sum(1 for s in self.sessions if s.hours is None)


def _honour_text(h: object) -> str:
    title = h.get("title", "") if isinstance(h, dict) else h
    year = h.get("year") if isinstance(h, dict) else None
    text = str(title or "").strip()
    return f"{text}（{year}）" if text and year else text


def load_record(library: Library, member_id: str, period: Period | None = None) -> MemberRecord:
    """The member's facts, sessions (in date order) and guides (an id prefix of 8+ works)."""
    with library.session() as s:
        member: Member = get_record(s, "member", member_id)
        record = MemberRecord(
            id=member.id,
            name=member.name,
            honours=[t for t in (_honour_text(h) for h in member.honours) if t],
            employer=member.employer.strip(),
            specialty=member.specialty.strip(),
            teams=[
                (r.team.name, r.role)
                for r in sorted(member.roles, key=lambda r: r.team.name_key)
                if r.team.deleted_at is None
            ],
        )
    conn = library.reader()
    where = ""
    params: list[str] = [record.id]
    if period is not None:
        where = " AND s.starts_at >= ? AND s.starts_at < ?"
        params += list(period.bounds())
    rows = conn.execute(
        "SELECT s.starts_at, s.ends_at, s.venue, s.theme, sa.role, sa.note"
        " FROM session_attendee sa JOIN field_session s ON s.id = sa.session_id"
        f" WHERE sa.member_id = ? AND s.deleted_at IS NULL{where}"
        " ORDER BY s.starts_at, s.id, sa.position",
        params,
    )
    for starts, ends, venue, theme, role, note in rows:
        start = local_naive(starts)
        end = local_naive(ends)
        assert start is not None  # starts_at is NOT NULL
        hours = (end - start).total_seconds() / 3600 if end is not None and end > start else None
        record.sessions.append(ServedSession(start, venue, theme, role, note, hours))
    guide_rows = conn.execute(
        "SELECT g.id, g.title, g.category FROM guide_author ga JOIN guide g ON g.id = ga.guide_id"
        " WHERE ga.member_id = ? AND g.deleted_at IS NULL ORDER BY g.title_key, g.id",
        [record.id],
    ).fetchall()
    for gid, title, category in guide_rows:
        others = [
            n
            for (n,) in conn.execute(
                "SELECT m.name FROM guide_author ga JOIN member m ON m.id = ga.member_id"
                " WHERE ga.guide_id = ? AND ga.member_id != ? AND m.deleted_at IS NULL"
                " ORDER BY ga.position",
                [gid, record.id],
            )
        ]
        record.guides.append(WrittenGuide(title, category, others))
    return record


def render_member_record(
    library: Library,
    record: MemberRecord,
    target: Path,
    *,
    tr: Translator,
    period: Period | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the record's PDF atomically; returns the number of pages."""
    check_destination(Path(target), libraries=[library.root])  # never over a file of a library
    styles = make_styles("A4")
    width = styles.layout.frame_width
    today = datetime.now(UTC).astimezone().date()
    info = PageInfo(
        library_line=tr(PRINTED).format(library=library.name, date=today.isoformat()),
        page_label=tr(PAGE_LABEL),
    )
    head, cell, num = styles.table_head, styles.table_cell, styles.table_num
    small = cell.clone("small", fontSize=9.5, leading=14)
    small_num = num.clone("small_num", fontSize=9.5, leading=14)
    when = (
        tr(PERIOD_LINE).format(start=_day(period.start), end=_day(period.end))
        if period
        else tr(ALL_TIME)
    )
    story: list[Flowable] = [
        Paragraph(esc(library.name), styles.kicker),
        Spacer(2),
        Paragraph(esc(tr(TITLE)) + "：" + esc(record.name), styles.title),
        Paragraph(esc(when), styles.meta),
        Rule(thickness=2.2, color=INK, space=6),
    ]
    sep = tr(LIST_SEP)
    facts = [
        (HONOURS, sep.join(record.honours)),
        (EMPLOYER, record.employer),
        (SPECIALTY, record.specialty),
        (
            TEAMS,
            sep.join(
                f"{name}（{label(TEAM_ROLE_LABELS, role, tr)}）" for name, role in record.teams
            ),
        ),
    ]
    fact_rows: list[list[Flowable]] = [
        [Paragraph(esc(tr(k)), head), Paragraph(esc(v), cell)] for k, v in facts if v
    ]
    if fact_rows:
        table = grid(fact_rows, [30 * mm, width - 30 * mm])
        story.append(table)
    story.append(Spacer(6))
    totals = tr(TOTALS).format(
        sessions=len(record.sessions),
        hours=number(round(record.hours, 1)),
        guides=len(record.guides),
    )
    story.append(Paragraph(esc(totals), styles.body))
    if record.without_hours:
        story.append(Paragraph(esc(tr(NO_END).format(n=record.without_hours)), styles.body))

    story += heading(tr(SESSIONS), styles)
    if record.sessions:
        rows: list[list[Flowable]] = [
            [Paragraph(esc(tr(t)), head) for t in (DATE, VENUE, THEME, ROLE, WHAT)]
            + [Paragraph(esc(tr(HOURS)), head.clone("hr", alignment=2))]
        ]
        for s in record.sessions:
            rows.append(
                [
                    Paragraph(f"{s.starts_at:%Y-%m-%d}", small),
                    Paragraph(esc(s.venue), small),
                    Paragraph(esc(s.theme), small),
                    Paragraph(esc(label(SESSION_ROLE_LABELS, s.role, tr)), small),
                    Paragraph(esc(s.note), small),
                    Paragraph(number(None if s.hours is None else round(s.hours, 1)), small_num),
                ]
            )
        widths = [21 * mm, 32 * mm, 0.0, 18 * mm, 40 * mm, 12 * mm]
        widths[2] = width - sum(widths)
        story.append(grid(rows, widths))
    else:
        story.append(Paragraph(esc(tr(NO_SESSIONS)), styles.body))

    story += heading(tr(GUIDES), styles)
    if record.guides:
        guide_rows: list[list[Flowable]] = [
            [Paragraph(esc(tr(t)), head) for t in (GUIDE_TITLE, CATEGORY, CO_AUTHORS)]
        ]
        for g in record.guides:
            guide_rows.append(
                [
                    Paragraph(esc(g.title), cell),
                    Paragraph(esc(g.category), cell),
                    Paragraph(esc(sep.join(g.co_authors)), cell),
                ]
            )
        story.append(grid(guide_rows, [width - 80 * mm, 30 * mm, 50 * mm]))
    else:
        story.append(Paragraph(esc(tr(NO_GUIDES)), styles.body))
    story.append(sign_off(styles, tr, (MEMBER_SIGN, UNIT_OPINION, UNION_OPINION, SIGN_DATE)))
    return write_pdf(
        target,
        story,
        styles,
        info,
        title=f"{tr(TITLE)}：{record.name}",
        author=library.name,
        progress=progress or NullProgress(),
        progress_text=tr(TITLE),
    )


def _day(value: date) -> str:
    return value.isoformat()
