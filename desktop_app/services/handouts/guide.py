"""The guide handout (技能指南讲义): what trainees take home from a field session.

Order on the page, most important first: the title block; the 要点 box (key numbers in bold);
问题与识别; 适用时间; 材料与工具 (tick boxes); the numbered steps with their photos; 安全提示;
常见错误. A step never parts from its first row of photos.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether, Paragraph

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import GuideDoc
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
from desktop_app.services.handouts.photos import PhotoPlanner
from desktop_app.services.handouts.styles import INK, Styles
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
REVISION = N_("Revision {revision} · {date}")
DEMO = N_("Demo content: this guide was written for the demo library.")
KEY_POINTS = N_("Key points")
PROBLEM = N_("The problem and how to recognise it")
SEASON = N_("When to do it")
MATERIALS = N_("Materials and tools")
STEPS = N_("Step by step")
SAFETY = N_("Safety notes")
NO_SAFETY = N_("No safety notes have been written for this guide. Ask the team before you start.")
MISTAKES = N_("Common mistakes")

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
    story: list[Flowable] = [set_team_line(info, team_line(guide.team, tr))]
    if bookmark_key:
        # The contents and the outline get a short title: a 10,000-character title would not
        # fit a contents row on one page (and no viewer shows such a bookmark).
        short = guide.title if len(guide.title) <= 60 else guide.title[:59] + "…"
        story.append(Bookmark(short, bookmark_key, level=0))
    story += _title_block(guide, styles, tr, lang)

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
            [Paragraph(esc(m), styles.bullet, bulletText="□") for m in guide.materials],
        )

    if guide.steps:
        story += _steps(guide, styles, planner, SectionHeading(tr(STEPS), styles))

    safety_heading = SectionHeading(tr(SAFETY), styles, marker="⚠")
    if guide.safety_notes:
        notes = [
            Paragraph(
                emphasise(n),
                styles.key_point.clone("safety", fontSize=12, leading=20, bulletFontSize=12),
                bulletText="▲",
            )
            for n in guide.safety_notes
        ]
    else:
        notes = [Paragraph(esc(tr(NO_SAFETY)), styles.body)]
    story += section(safety_heading, [Boxed(notes, border=1.4, double=True)])

    if guide.common_mistakes:
        story += section(
            SectionHeading(tr(MISTAKES), styles),
            [Paragraph(emphasise(m), styles.bullet, bulletText="×") for m in guide.common_mistakes],
        )
    return story


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
    meta.append(
        esc(tr(REVISION).format(revision=guide.revision, date=format_date(guide.updated_at, lang)))
    )
    block += [Paragraph(line, styles.meta) for line in meta]
    if guide.is_demo:
        block.append(Paragraph(f"<i>{esc(tr(DEMO))}</i>", styles.meta))
    block.append(Rule(thickness=2.2, color=INK, space=6))
    return block


def _paragraphs(text: str, styles: Styles) -> list[Flowable]:
    parts = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return [Paragraph(emphasise(p), styles.body) for p in parts]


def _steps(
    guide: GuideDoc, styles: Styles, planner: PhotoPlanner, heading: Flowable
) -> list[Flowable]:
    layout = styles.layout
    indent = NumberedStep.badge_width + 8
    gap = 10.0
    columns = 2
    cell = (layout.frame_width - indent - gap * (columns - 1)) / columns
    box_height = min(cell * 0.75, layout.frame_height * 0.4)
    flow: list[Flowable] = []
    for n, step in enumerate(guide.steps, 1):
        para = step_paragraph(n, step.text, styles)
        slots = [planner.slot(ref, cell, box_height, ref.caption) for ref in step.photos]
        rows = [
            PhotoRow(
                slots[i : i + columns], styles, columns=columns, indent=indent, gap=gap, flow=True
            )
            for i in range(0, len(slots), columns)
        ]
        # ReportLab does not keep a heading with a following KeepTogether, so the heading goes
        # inside the first step's group.
        first: list[Flowable] = [heading, para] if n == 1 else [para]
        if rows:
            first += [Spacer(5), rows[0]]
        flow.append(KeepTogether(first))
        flow += rows[1:]
        flow.append(Spacer(10))
    return flow
