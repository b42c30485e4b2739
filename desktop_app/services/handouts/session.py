"""The session report (活动纪实): the union's record of one field session, as an office files it.

A header block of the facts a union office expects: 活动名称 (the theme: a session has no
separate activity name, and the theme is what the teams call it), 时间, 地点, 主办/承办单位, 服务队,
负责人 and 联系电话 (the team captains), 参加人数 (the total and each group), 出席劳模工匠. Then the
summary; who of the service team was there and what part they took (姓名, 荣誉, 分工, 备注); the
participant groups; the agenda; the guides covered; trainee feedback and follow-ups; the photos,
each with its caption and the time it was taken; and a sign-off block (填报人, 填报日期, 审核, and
a box for the seal). Short columns (names, teams, parts) are set at their natural width so a
narrow A5 page does not break a word in two. Long tables continue on the next page under a
repeated header, and a row with a very long text splits rather than breaking the build.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from desktop_app.core.i18n import N_
from desktop_app.core.timezones import short_zone_label
from desktop_app.services.handouts.data import Person, PhotoRef, SessionDoc
from desktop_app.services.handouts.document import PageInfo, set_team_line
from desktop_app.services.handouts.flowables import (
    Boxed,
    PhotoRow,
    Rule,
    SectionHeading,
    Spacer,
    esc,
    section,
)
from desktop_app.services.handouts.fonts import REGULAR
from desktop_app.services.handouts.photos import PhotoPlanner
from desktop_app.services.handouts.styles import INK, MUTED, RULE, TINT, Styles
from desktop_app.services.handouts.text import (
    Translator,
    list_sep,
    person_with_honours,
    photo_time,
    session_when,
    team_line,
)
from desktop_app.services.labels import SESSION_ROLE_LABELS, label
from desktop_app.services.listing import mark_deleted

KICKER = N_("Field session report")
ACTIVITY = N_("Activity")
DATE = N_("Date and time")
ZONE_NOTE = N_(" ({zone})")  # after the time: "09:30–11:30 (Beijing time)"
VENUE = N_("Venue")
HOSTS = N_("Organised and hosted by")
TEAMS = N_("Service teams")
LEADER_ROW = N_("Person in charge")
LEADER_PHONE = N_("Contact phone")
HEADCOUNT = N_("Number of participants")
HEADCOUNT_TOTAL = N_("{total} in all ({groups})")
HEADCOUNT_AT_LEAST = N_("at least {total} ({groups}; some groups not counted)")
HEADCOUNT_NONE = N_("not counted ({groups})")
PEOPLE = N_("{name} {count}")
ATTENDING = N_("Model workers and craftsmen present")
SUMMARY = N_("Summary")
PRESENT = N_("Model workers and craftsmen present")
NAME = N_("Full name")
HONOURS = N_("Honours")
TEAM = N_("Team")
ROLE = N_("Part taken")
NOTE = N_("Notes")
PARTICIPANTS = N_("Participants")
GROUP = N_("Group")
COUNT = N_("People")
TOTAL = N_("Total")
AGENDA = N_("Agenda")
TIME = N_("Time")
ITEM = N_("Item")
LEADER = N_("Led by")
GUIDES = N_("Guides covered")
PHOTOS = N_("Photos")
PHOTO_N = N_("Photo {n}")
FEEDBACK = N_("What the trainees said")
FOLLOW_UPS = N_("Follow-ups")
TAKEN = N_("taken {when}")
SIGN_OFF = N_("Sign-off")
FILLED_BY = N_("Filled in by")
FILLED_ON = N_("Date filled in")
REVIEWED_BY = N_("Reviewed by")
SEAL = N_("(seal)")


def table(
    rows: Sequence[Sequence[Flowable | list[Flowable]]],
    widths: list[float],
    *,
    header: bool = True,
    zebra: bool = True,
) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [
        # Cells hold Paragraphs, but Table still sets its own default font (Helvetica, which
        # would be an unembedded font reference) unless told otherwise.
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.9, INK))
        if zebra:
            commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, TINT]))
    t.setStyle(TableStyle(commands))
    return t


def text_width(text: str, style: ParagraphStyle) -> float:
    """The width of `text` on one line in `style`, with the table's cell padding."""
    lines = text.split("\n") or [""]
    return float(max(stringWidth(line, style.fontName, style.fontSize) for line in lines)) + 10.5


def fit_widths(
    natural: list[float | None], width: float, *, flexible_min: float = 0.3
) -> list[float]:
    """Column widths: fixed columns at their natural width, the None columns share the rest.

    When the fixed columns would leave the flexible ones less than `flexible_min` of the width,
    every column is scaled to fit instead (words may then break, but nothing runs off the page).
    """
    fixed = sum(n for n in natural if n is not None)
    flexible = [i for i, n in enumerate(natural) if n is None]
    rest = width - fixed
    if flexible and rest >= width * flexible_min:
        return [n if n is not None else rest / len(flexible) for n in natural]
    # Too wide: keep the proportions of the natural widths (flexible ones at flexible_min).
    wanted = [n if n is not None else width * flexible_min / max(1, len(flexible)) for n in natural]
    scale = width / sum(wanted)
    return [w * scale for w in wanted]


def headcount(session: SessionDoc, tr: Translator, lang: str) -> str:
    """参加人数: the total and the count of every group (共56人（劳模工匠代表6人、…）)."""
    if not session.groups:
        return ""
    sep = list_sep(lang)
    unit = "人" if lang.startswith("zh") else ""
    parts = [
        tr(PEOPLE).format(name=name, count=f"{count}{unit}") if count is not None else name
        for name, count in session.groups
    ]
    known = [c for _n, c in session.groups if c is not None]
    if not known:
        return tr(HEADCOUNT_NONE).format(groups=sep.join(parts))
    total = f"{sum(known)}{unit}"
    template = HEADCOUNT_TOTAL if len(known) == len(session.groups) else HEADCOUNT_AT_LEAST
    return tr(template).format(total=total, groups=sep.join(parts))


def attendee_table(session: SessionDoc, styles: Styles, tr: Translator, lang: str) -> Table:
    """姓名, 荣誉, 服务队, 分工, 备注: names, honours, teams and parts at their natural width (a
    narrow A5 page must not print 专业技术服/务2队), each honour on its own line; notes take the
    rest. The team column is left out when the session has one team (the header names it); when
    the page is still too narrow, the honours go under the name in the name's column."""
    width = styles.layout.frame_width
    head, cell = styles.table_head, styles.table_cell
    honour_style = cell.clone("attendee_honours", fontSize=9.5, leading=13.5, textColor=MUTED)
    teams = {a.team for a in session.attendees}
    show_team = len(session.teams) > 1 or len(teams - {""}) > 1
    roles = [label(SESSION_ROLE_LABELS, a.role, tr) for a in session.attendees]

    def natural_of(header: str, values: list[str], style: ParagraphStyle) -> float:
        return max([text_width(tr(header), head)] + [text_width(v, style) for v in values])

    name_w = natural_of(NAME, [a.name for a in session.attendees], head)
    honours_w = natural_of(HONOURS, ["\n".join(a.honours) for a in session.attendees], cell)
    team_w = natural_of(TEAM, [a.team for a in session.attendees], cell)
    role_w = natural_of(ROLE, roles, cell)
    rest = width - name_w - honours_w - role_w - (team_w if show_team else 0)
    separate_honours = rest >= width * 0.25
    if not separate_honours:
        name_w = max(
            name_w,
            max(text_width("\n".join(a.honours), honour_style) for a in session.attendees),
        )

    headers: list[str] = [NAME]
    natural: list[float | None] = [name_w]
    if separate_honours:
        headers.append(HONOURS)
        natural.append(honours_w)
    if show_team:
        headers.append(TEAM)
        natural.append(team_w)
    headers += [ROLE, NOTE]
    natural += [role_w, None]

    rows: list[list[Flowable | list[Flowable]]] = [[Paragraph(esc(tr(h)), head) for h in headers]]
    for a, role in zip(session.attendees, roles, strict=True):
        shown = mark_deleted(a.name, tr) if a.deleted else a.name
        name: Flowable | list[Flowable] = Paragraph(esc(shown), head)
        row: list[Flowable | list[Flowable]] = []
        if separate_honours:
            row += [name, Paragraph(esc("\n".join(a.honours)), cell)]
        else:
            row.append([name, *[Paragraph(esc(h), honour_style) for h in a.honours]])
        if show_team:
            row.append(Paragraph(esc(a.team), cell))
        row += [Paragraph(esc(role), cell), Paragraph(esc(a.note), cell)]
        rows.append(row)
    return table(rows, fit_widths(natural, width, flexible_min=0.2))


def photo_caption(n: int, ref: PhotoRef, tr: Translator, lang: str, zone_name: str) -> str:
    """照片3　caption　(拍摄于 2025年8月15日 09:45): every photo says what and when."""
    first = tr(PHOTO_N).format(n=n)
    if ref.caption.strip():
        first += "　" + ref.caption.strip()
    if ref.taken_at is None:
        return first
    # The time on a line of its own: a narrow caption must not break a date in two.
    return first + "\n" + tr(TAKEN).format(when=photo_time(ref.taken_at, lang, zone_name))


def sign_off(styles: Styles, tr: Translator) -> Flowable:
    """填报人, 填报日期, 审核 with lines to write on, and a box for the seal (盖章)."""
    width = styles.layout.frame_width
    head = styles.table_head
    seal_w = min(45 * mm, width * 0.3)
    label_w = max(text_width(tr(k), head) for k in (FILLED_BY, FILLED_ON, REVIEWED_BY))
    line_w = width - seal_w - label_w - 8 * mm
    seal = Paragraph(esc(tr(SEAL)), styles.caption)
    rows = [
        [Paragraph(esc(tr(FILLED_BY)), head), "", "", seal],
        [Paragraph(esc(tr(FILLED_ON)), head), "", "", ""],
        [Paragraph(esc(tr(REVIEWED_BY)), head), "", "", ""],
    ]
    grid = Table(rows, colWidths=[label_w, line_w, 8 * mm, seal_w], rowHeights=[12 * mm] * 3)
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, INK),
                ("SPAN", (3, 0), (3, -1)),
                ("BOX", (3, 0), (3, -1), 0.6, RULE),
                ("VALIGN", (3, 0), (3, -1), "BOTTOM"),
                ("BOTTOMPADDING", (3, 0), (3, -1), 4),
            ]
        )
    )
    return KeepTogether([Spacer(10), SectionHeading(tr(SIGN_OFF), styles), grid])


def session_story(
    session: SessionDoc,
    styles: Styles,
    tr: Translator,
    lang: str,
    planner: PhotoPlanner,
    info: PageInfo,
) -> list[Flowable]:
    width = styles.layout.frame_width
    sep = list_sep(lang)
    story: list[Flowable] = [
        set_team_line(info, sep.join(team_line(t, tr) for t in session.teams)),
        Paragraph(esc(tr(KICKER)), styles.kicker),
        Spacer(2),
        Paragraph(esc(session.theme or session.venue), styles.title),
        Rule(thickness=2.2, color=INK, space=6),
    ]

    head = styles.table_head
    cell = styles.table_cell
    captains = [t for t in session.teams if t.captain]
    # The place's wall time, whatever the printing computer's clock is set to, with the zone
    # named: a union office files this as the record of when the session was held.
    zone_name = session.time_zone
    when = session_when(session.starts_at, session.ends_at, lang, zone_name)
    when += tr(ZONE_NOTE).format(zone=short_zone_label(zone_name, tr))
    facts = [
        (ACTIVITY, session.theme or session.venue),
        (DATE, when),
        (VENUE, session.venue),
        (HOSTS, sep.join(session.host_organisations)),
        # Every team that held it, one deleted since marked so (the record of what happened).
        (TEAMS, sep.join(ref.label(tr) for ref in session.held_by)),
        (LEADER_ROW, sep.join(t.captain for t in captains)),
        (LEADER_PHONE, sep.join(t.captain_phone for t in captains if t.captain_phone)),
        (HEADCOUNT, headcount(session, tr, lang)),
        (
            ATTENDING,
            sep.join(
                person_with_honours(
                    Person(mark_deleted(a.name, tr) if a.deleted else a.name, a.honours), lang
                )
                for a in session.attendees
            ),
        ),
    ]
    label_w = 30 * 2.835
    fact_rows: list[list[Flowable]] = [
        [Paragraph(esc(tr(k)), head), Paragraph(esc(v), cell)] for k, v in facts if v.strip()
    ]
    if fact_rows:
        story.append(table(fact_rows, [label_w, width - label_w], header=False))

    if session.summary:
        story += section(
            SectionHeading(tr(SUMMARY), styles),
            [
                Paragraph(esc(p), styles.body)
                for p in session.summary.replace("\r\n", "\n").split("\n\n")
                if p.strip()
            ],
        )

    if session.attendees:
        story += section(
            SectionHeading(tr(PRESENT), styles), [attendee_table(session, styles, tr, lang)]
        )

    if session.groups:
        heading = SectionHeading(tr(PARTICIPANTS), styles)
        known = [c for _n, c in session.groups if c is not None]
        if known:
            number_head = styles.table_head.clone("number_head", alignment=TA_RIGHT)
            rows = [[Paragraph(esc(tr(GROUP)), head), Paragraph(esc(tr(COUNT)), number_head)]]
            for name, count in session.groups:
                shown = str(count) if count is not None else "—"
                rows.append([Paragraph(esc(name), cell), Paragraph(shown, styles.table_num)])
            # A total with a "+" when some groups were not counted: at least that many people.
            total = str(sum(known)) + ("" if len(known) == len(session.groups) else "+")
            rows.append([Paragraph(esc(tr(TOTAL)), head), Paragraph(total, number_head)])
            story += section(heading, [table(rows, [width * 0.75, width * 0.25])])
        else:
            rows = [[Paragraph(esc(tr(GROUP)), head)]]
            rows += [[Paragraph(esc(name), cell)] for name, _c in session.groups]
            story += section(heading, [table(rows, [width])])

    if session.agenda:
        heading = SectionHeading(tr(AGENDA), styles)
        # The time column only when some item has a time.
        timed = any(time.strip() for time, _t, _l in session.agenda)
        headers = (TIME, ITEM, LEADER) if timed else (ITEM, LEADER)
        rows = [[Paragraph(esc(tr(h)), head) for h in headers]]
        for time, title, leader in session.agenda:
            cells = [Paragraph(esc(title), cell), Paragraph(esc(leader), cell)]
            rows.append([Paragraph(esc(time), cell), *cells] if timed else cells)
        # Times and leaders (a name or a team) at their natural width where the page allows,
        # so 专业技术服务2队 is not broken in two; the item text takes the rest.
        natural = [
            *([max(text_width(t, cell) for t, _i, _l in session.agenda)] if timed else []),
            None,
            max(text_width(lead, cell) for _t, _i, lead in session.agenda),
        ]
        header_w = [text_width(tr(h), head) for h in headers]
        natural = [
            None if n is None else max(n, hw) for n, hw in zip(natural, header_w, strict=True)
        ]
        story += section(heading, [table(rows, fit_widths(natural, width))])

    if session.covered:
        # A guide deleted since stays in the record, marked: it was taught all the same, and
        # the mark tells the clerk why it is not in the library or the take-home pack.
        items: list[Flowable] = []
        for n, g in enumerate(session.covered, 1):
            text = esc(g.title.label(tr)) + (
                f"　<font color='#595959'>{esc(g.category)}</font>" if g.category else ""
            )
            items.append(Paragraph(text, styles.bullet, bulletText=f"{n}."))
        story += section(SectionHeading(tr(GUIDES), styles), items)

    if session.feedback:
        quotes: list[Flowable] = []
        for text, speaker, role in session.feedback:
            quote = Paragraph(f"“{esc(text)}”", styles.quote)
            who = " ".join(p for p in (role, speaker) if p)
            parts: list[Flowable] = [quote]
            if who:
                parts.append(Paragraph("—— " + esc(who), styles.quote_source))
            quotes += [Boxed(parts, border=3, padding=4, left_bar=True, keep=1), Spacer(6)]
        story += section(SectionHeading(tr(FEEDBACK), styles), quotes)

    if session.follow_ups:
        story += section(
            SectionHeading(tr(FOLLOW_UPS), styles),
            [Paragraph(esc(f), styles.bullet, bulletText="□") for f in session.follow_ups],
        )
    if session.photos:
        gap = 10.0
        cell_w = (width - gap) / 2
        slots = [
            planner.slot(
                ref,
                cell_w,
                cell_w * 0.75,
                photo_caption(n, ref, tr, lang, session.time_zone),
            )
            for n, ref in enumerate(session.photos, 1)
        ]
        grid: list[Flowable] = []
        for i in range(0, len(slots), 2):
            grid += [PhotoRow(slots[i : i + 2], styles, columns=2, gap=gap), Spacer(8)]
        story += section(SectionHeading(tr(PHOTOS), styles), grid)

    story.append(sign_off(styles, tr))
    return story
