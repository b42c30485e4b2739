"""The guide handout (技能指南讲义): what trainees take home from a field session.

Order on the page, most important first: the title block; the 识别图 (the photo that shows
the problem) large across the top, when the guide has one (and not again beside its step);
the 要点 box (key numbers in bold); 问题与识别; 适用时间; 材料与工具 (tick boxes); 安全提示 in
a warning box (before the steps, kept with the first step); the numbered steps with their
photos (a risky step marked ⚠ 危险作业, white on black); 常见错误; whom to call (the team, its
contact and phone, in body-size type). A step never parts from its first row of photos.

A guide that would spill a few lines onto a third page is set tighter (styles.compact:
leading, spacing, photo sizes; never type sizes) so that it prints on both sides of one sheet
(`build.fit_guide` chooses the level).
"""

from __future__ import annotations

from reportlab.lib.enums import TA_LEFT
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import GuideDoc, TeamInfo
from desktop_app.services.handouts.document import PageInfo, set_team_line
from desktop_app.services.handouts.flowables import (
    Bookmark,
    Boxed,
    NumberedStep,
    PhotoRow,
    Rule,
    SectionHeading,
    Spacer,
    emphasise,
    esc,
    section,
    step_paragraph,
)
from desktop_app.services.handouts.fonts import REGULAR
from desktop_app.services.handouts.photos import PhotoPlanner
from desktop_app.services.handouts.styles import INK, WHITE, Styles
from desktop_app.services.handouts.text import (
    Translator,
    format_date,
    list_sep,
    person_with_honours,
    team_line,
)

KICKER = N_("Skill guide")
TEAM = N_("Service team: {team}")
AUTHORS = N_("Written by: {names}")
UPDATED = N_("Updated {date}")
DEMO = N_("Demo content: this guide was written for the demo library.")
KEY_POINTS = N_("Key points")
PROBLEM = N_("The problem and how to recognise it")
SEASON = N_("When to do it")
MATERIALS = N_("Materials and tools")
STEPS = N_("Step by step")
SAFETY = N_("Safety notes")
NO_SAFETY = N_("No safety notes have been written for this guide. Ask the team before you start.")
MISTAKES = N_("Common mistakes")
SAFETY_FIRST = N_("read before you start")
CONTACT_HEADING = N_("Questions? Ask the service team")
CONTACT_PERSON = N_("Contact: {name}")
CONTACT_PHONE = N_("Phone: {phone}")
RISKY = N_("Risky work")  # beside a risky step, after ⚠
RECOGNITION = N_("Recognise it: {caption}")
RECOGNITION_PLAIN = N_("Recognise it")
# Per compact level (styles.compact): the 识别图's height as a share of the frame's, a step
# photo's height as a share of its cell's width, and the space between steps (points). The
# smallest still shows a step photo some 40 mm high on A4.
RECOGNITION_HEIGHT = (0.34, 0.27, 0.21)
STEP_PHOTO_HEIGHT = (0.75, 0.62, 0.5)
STEP_GAP = (10.0, 6.0, 4.0)

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _circled(n: int) -> str:
    return CIRCLED[n - 1] if 1 <= n <= len(CIRCLED) else f"{n}."


def guide_story(
    guide: GuideDoc,
    styles: Styles,
    tr: Translator,
    lang: str,
    planner: PhotoPlanner,
    info: PageInfo,
    *,
    bookmark_key: str | None = None,
) -> list[Flowable]:
    """The flowables of one guide handout (a pack puts several one after the other)."""
    # The footer carries the guide's title, so a continuation page says what it belongs to.
    short_title = guide.title if len(guide.title) <= 30 else guide.title[:29] + "…"
    footer = " · ".join(p for p in (short_title, team_line(guide.team, tr)) if p)
    story: list[Flowable] = [set_team_line(info, footer)]
    if bookmark_key:
        # The contents and the outline get a short title: a 10,000-character title would not
        # fit a contents row on one page (and no viewer shows such a bookmark).
        short = guide.title if len(guide.title) <= 60 else guide.title[:59] + "…"
        story.append(Bookmark(short, bookmark_key, level=0))
    story += _title_block(guide, styles, tr, lang)
    if guide.recognition is not None:
        story += _recognition(guide, styles, tr, planner)

    if guide.key_points:
        heading = Paragraph(f"★ {esc(tr(KEY_POINTS))}", styles.box_heading)
        items = [
            Paragraph(emphasise(point), styles.key_point, bulletText=_circled(i))
            for i, point in enumerate(guide.key_points, 1)
        ]
        story += [Spacer(4), Boxed([heading, *items], border=2.2), Spacer(6)]

    if guide.problem:
        story += section(SectionHeading(tr(PROBLEM), styles), _paragraphs(guide.problem, styles))
    if guide.season:
        story += section(SectionHeading(tr(SEASON), styles), _paragraphs(guide.season, styles))
    if guide.materials:
        story += section(
            SectionHeading(tr(MATERIALS), styles),
            _no_widow([Paragraph(esc(m), styles.bullet, bulletText="□") for m in guide.materials]),
        )

    # Safety comes before the steps, in a box that reads as a warning on a grey photocopy, and
    # is kept with the start of the steps so it never stands alone on a page.
    safety = safety_box(guide, styles, tr)
    if guide.steps:
        story += _steps(guide, styles, planner, [safety, SectionHeading(tr(STEPS), styles)], tr)
    else:
        story.append(safety)

    contact = contact_block([guide.team], styles, tr)
    if guide.common_mistakes:
        mistakes: list[Flowable] = [
            Paragraph(emphasise(m), styles.bullet, bulletText="×") for m in guide.common_mistakes
        ]
        if contact is not None and len(mistakes) >= 2:
            # The last two items and the contact box go together: neither the last item nor
            # the contact box ever starts a page alone.
            mistakes = [*mistakes[:-2], _together([*mistakes[-2:], Spacer(10), contact])]
            contact = None
        else:
            mistakes = _no_widow(mistakes)
        story += section(SectionHeading(tr(MISTAKES), styles), mistakes)
    if contact is not None:
        story += [Spacer(10), contact]
    return story


def _no_widow(items: list[Flowable]) -> list[Flowable]:
    """A list whose last item never starts a page alone: the last two are kept together.
    (The first item is already kept with the heading by `section`.)"""
    if len(items) < 3:
        return items
    return [*items[:-2], _together(items[-2:])]


def _together(items: list[Flowable]) -> Flowable:
    # Not ReportLab's KeepTogether: it reports an enormous height to force a split, which
    # breaks any box or group it is nested in (the heading's group in `section`).
    return Boxed(items, border=0, padding=0, framed=False, keep=len(items))


def safety_box(guide: GuideDoc, styles: Styles, tr: Translator) -> Table:
    """安全提示 as a warning: a solid black band with the heading in white over a heavy frame.

    The 要点 box is a grey tint with a rounded frame; on a black-and-white copy the two must
    not look alike, so this one is told apart by the black band, not by colour. A long list
    splits across pages with the band repeated.
    """
    band = styles.box_heading.clone("safety_band", textColor=WHITE, spaceAfter=0)
    note_style = styles.key_point.clone("safety", fontSize=12, leading=20, bulletFontSize=12)
    heading = f"⚠ {esc(tr(SAFETY))}　<font size='10.5'>{esc(tr(SAFETY_FIRST))}</font>"
    rows: list[list[Flowable]] = [[Paragraph(heading, band)]]
    if guide.safety_notes:
        rows += [[Paragraph(emphasise(n), note_style, bulletText="▲")] for n in guide.safety_notes]
    else:
        rows.append([Paragraph(esc(tr(NO_SAFETY)), styles.body)])
    box = Table(rows, colWidths=[styles.layout.frame_width], repeatRows=1, hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # no stray Helvetica reference
                ("BACKGROUND", (0, 0), (-1, 0), INK),
                ("BOX", (0, 0), (-1, -1), 2.4, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 9),
                ("RIGHTPADDING", (0, 0), (-1, -1), 9),
                ("TOPPADDING", (0, 0), (-1, 0), 5),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 6),
                ("TOPPADDING", (0, 1), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ]
        )
    )
    box.spaceBefore = 6
    box.spaceAfter = 10
    return box


def contact_block(teams: list[TeamInfo | None], styles: Styles, tr: Translator) -> Flowable | None:
    """Whom a trainee calls with a question, in body-size type: the team, a contact and phone."""
    lines: list[str] = []
    for team in teams:
        if team is None:
            continue
        name = " ".join(p for p in (team.parent_union, team.name) if p)
        lines.append(f"<b>{esc(tr(TEAM).format(team=name))}</b>")
        # The contact and the phone on a line of their own, so a phone number never breaks.
        who = []
        if team.contact:
            who.append(esc(tr(CONTACT_PERSON).format(name=team.contact)))
        if team.contact_phone:
            who.append(f"<b>{esc(tr(CONTACT_PHONE).format(phone=team.contact_phone))}</b>")
        if who:
            lines.append("　".join(who))
    if not lines:
        return None
    body = styles.body.clone("contact", alignment=TA_LEFT, spaceAfter=1)
    content: list[Flowable] = [Paragraph(esc(tr(CONTACT_HEADING)), styles.box_heading)]
    content += [Paragraph(line, body) for line in lines]
    return Boxed(content, border=0.9, padding=8, background=WHITE, keep=len(content))


def _title_block(guide: GuideDoc, styles: Styles, tr: Translator, lang: str) -> list[Flowable]:
    kicker = tr(KICKER) + (f" · {guide.category}" if guide.category else "")
    block: list[Flowable] = [
        Paragraph(esc(kicker), styles.kicker),
        Spacer(2),
        Paragraph(esc(guide.title), styles.title),
    ]
    meta: list[str] = []
    if guide.team is not None:
        team = " ".join(p for p in (guide.team.parent_union, guide.team.name) if p)
        meta.append(esc(tr(TEAM).format(team=team)))
    if guide.authors:
        names = list_sep(lang).join(person_with_honours(a, lang) for a in guide.authors)
        meta.append(esc(tr(AUTHORS).format(names=names)))
    # The date it was last changed, not the internal revision counter (trainees compare dates).
    meta.append(esc(tr(UPDATED).format(date=format_date(guide.updated_at, lang))))
    block += [Paragraph(line, styles.meta) for line in meta]
    if guide.is_demo:
        block.append(Paragraph(f"<i>{esc(tr(DEMO))}</i>", styles.meta))
    block.append(Rule(thickness=2.2, color=INK, space=6))
    return block


def _recognition(
    guide: GuideDoc, styles: Styles, tr: Translator, planner: PhotoPlanner
) -> list[Flowable]:
    """The 识别图 across the top, as large as the frame allows within a third of its height,
    with what it shows under it (as Plantwise factsheets open with the symptom)."""
    ref = guide.recognition
    assert ref is not None
    layout = styles.layout
    caption = (
        tr(RECOGNITION).format(caption=ref.caption.strip())
        if ref.caption.strip()
        else tr(RECOGNITION_PLAIN)
    )
    height = layout.frame_height * RECOGNITION_HEIGHT[styles.compact]
    slot = planner.slot(ref, layout.frame_width, height, caption)
    return [Spacer(4), PhotoRow([slot], styles, columns=1), Spacer(4)]


def _paragraphs(text: str, styles: Styles) -> list[Flowable]:
    parts = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return [Paragraph(emphasise(p), styles.body) for p in parts]


def _steps(
    guide: GuideDoc,
    styles: Styles,
    planner: PhotoPlanner,
    lead: list[Flowable],
    tr: Translator,
) -> list[Flowable]:
    """The numbered steps; `lead` (the safety box and the heading) is kept with the first step."""
    layout = styles.layout
    indent = NumberedStep.badge_width + 8
    gap = 10.0
    columns = 2
    cell = (layout.frame_width - indent - gap * (columns - 1)) / columns
    box_height = min(cell * STEP_PHOTO_HEIGHT[styles.compact], layout.frame_height * 0.4)
    flow: list[Flowable] = []
    for n, step in enumerate(guide.steps, 1):
        para = step_paragraph(n, step.text, styles, risk=tr(RISKY) if step.risky else "")
        # The 识别图 is printed once, large at the top, not a second time beside its step.
        slots = [
            planner.slot(ref, cell, box_height, ref.caption)
            for ref in step.photos
            if ref != guide.recognition
        ]
        rows = [
            PhotoRow(
                slots[i : i + columns], styles, columns=columns, indent=indent, gap=gap, flow=True
            )
            for i in range(0, len(slots), columns)
        ]
        # ReportLab does not keep a flowable with a following KeepTogether (keepWithNext stops
        # at one), so the safety box and the heading go inside the first step's group.
        first: list[Flowable] = [*lead, para] if n == 1 else [para]
        if rows:
            first += [Spacer(5), rows[0]]
        flow.append(KeepTogether(first))
        flow += rows[1:]
        flow.append(Spacer(STEP_GAP[styles.compact]))
    return flow
