"""The session report (活动纪实): the union's record of one field session.

Date, venue, theme, hosts and teams in a fact table; who of the service team was there and what
they did; participant groups with head counts; the agenda; the guides covered; photos in a
captioned grid, two per row; trainee feedback; follow-ups. Long tables continue on the next page
under a repeated header, and a row with a very long text splits rather than breaking the build.
"""

from __future__ import annotations

from reportlab.lib.enums import TA_RIGHT
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import SessionDoc
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
from desktop_app.services.handouts.styles import INK, RULE, TINT, Styles
from desktop_app.services.handouts.text import (
    Translator,
    list_sep,
    session_when,
    team_line,
)
from desktop_app.services.labels import SESSION_ROLE_LABELS, label

KICKER = N_("Field session report")
DATE = N_("Date")
VENUE = N_("Venue")
THEME = N_("Theme")
HOSTS = N_("Hosted by")
TEAMS = N_("Service teams")
SUMMARY = N_("Summary")
PRESENT = N_("Model workers and craftsmen present")
NAME = N_("Name")
HONOURS = N_("Honours")
TEAM = N_("Team")
ROLE = N_("Role")
NOTE = N_("What they did")
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


def table(
    rows: list[list[Flowable]], widths: list[float], *, header: bool = True, zebra: bool = True
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

    when = session_when(session.starts_at, session.ends_at, lang)
    facts = [
        (DATE, when),
        (VENUE, session.venue),
        (THEME, session.theme),
        (HOSTS, sep.join(session.host_organisations)),
        (
            TEAMS,
            sep.join(" ".join(p for p in (t.parent_union, t.name) if p) for t in session.teams),
        ),
    ]
    head = styles.table_head
    cell = styles.table_cell
    fact_rows: list[list[Flowable]] = [
        [Paragraph(esc(tr(k)), head), Paragraph(esc(v), cell)] for k, v in facts if v.strip()
    ]
    if fact_rows:
        story.append(table(fact_rows, [28 * 2.835, width - 28 * 2.835], header=False))

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
        heading = SectionHeading(tr(PRESENT), styles)
        rows: list[list[Flowable]] = [
            [Paragraph(esc(tr(h)), head) for h in (NAME, HONOURS, TEAM, ROLE, NOTE)]
        ]
        for a in session.attendees:
            rows.append(
                [
                    Paragraph(esc(a.name), styles.table_head),
                    Paragraph(esc(sep.join(a.honours)), cell),
                    Paragraph(esc(a.team), cell),
                    Paragraph(esc(label(SESSION_ROLE_LABELS, a.role, tr)), cell),
                    Paragraph(esc(a.note), cell),
                ]
            )
        fractions = [0.14, 0.24, 0.2, 0.1, 0.32]
        story += section(heading, [table(rows, [width * f for f in fractions])])

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
        widths = [0.16, 0.54, 0.3] if timed else [0.64, 0.36]
        story += section(heading, [table(rows, [width * w for w in widths])])

    if session.guides:
        items: list[Flowable] = []
        for n, g in enumerate(session.guides, 1):
            text = esc(g.title) + (
                f"　<font color='#595959'>{esc(g.category)}</font>" if g.category else ""
            )
            items.append(Paragraph(text, styles.bullet, bulletText=f"{n}."))
        story += section(SectionHeading(tr(GUIDES), styles), items)

    if session.photos:
        gap = 10.0
        cell_w = (width - gap) / 2
        slots = [
            planner.slot(
                ref,
                cell_w,
                cell_w * 0.75,
                tr(PHOTO_N).format(n=n) + ("　" + ref.caption if ref.caption else ""),
            )
            for n, ref in enumerate(session.photos, 1)
        ]
        grid: list[Flowable] = []
        for i in range(0, len(slots), 2):
            grid += [PhotoRow(slots[i : i + 2], styles, columns=2, gap=gap), Spacer(8)]
        story += section(SectionHeading(tr(PHOTOS), styles), grid)

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
    return story
