"""The take-home pack (学员手册) and the guide booklet: a cover, a table of contents, then one
guide handout after another, each a bookmark in the PDF outline (shown when the file opens).

Printed on both sides: every guide starts on a right-hand page (a page marked blank comes
before it where needed), so one guide can be pulled out of the stack. The pack's cover also
has whom to call, and after the contents the session's agenda and follow-ups; it ends with a
page for notes. The booklet's cover names its publisher (the organisation).
"""

from __future__ import annotations

from datetime import datetime

from reportlab.lib.enums import TA_CENTER
from reportlab.platypus import Flowable, NextPageTemplate, PageBreak, Paragraph
from reportlab.platypus.doctemplate import DocIf

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import GuideDoc, SessionDoc
from desktop_app.services.handouts.document import PageInfo, make_toc, set_team_line
from desktop_app.services.handouts.flowables import (
    Bookmark,
    Rule,
    SectionHeading,
    Spacer,
    esc,
    section,
)
from desktop_app.services.handouts.guide import contact_block, guide_story
from desktop_app.services.handouts.photos import PhotoPlanner
from desktop_app.services.handouts.styles import INK, Styles
from desktop_app.services.handouts.text import Translator, format_date, list_sep, session_date
from desktop_app.services.listing import DELETED

PACK_KICKER = N_("Trainee handbook")
BOOKLET_KICKER = N_("Guide booklet")
CONTENTS = N_("Contents")
COVER = N_("Cover")
GUIDE_COUNT = N_("{n} skill guides in this booklet")
DATE_VENUE = N_("{date} · {venue}")
HOSTS = N_("Hosted by {hosts}")
TEAMS = N_("Service teams: {teams}")
PRINTED = N_("Printed on {date}")
LEFT_OUT = N_(
    "Covered at the session but deleted from the guide library since, so not in this"
    " handbook: {titles}"
)
PUBLISHER = N_("Published by {organisation}")
BLANK = N_("This page is intentionally blank")
AGENDA = N_("Agenda")
FOLLOW_UPS = N_("Follow-ups")
NOTES = N_("My notes")


class RightHandStart(DocIf):  # type: ignore[misc]
    """Before a guide in a pack or booklet printed on both sides: when the guide would start
    on a left-hand (even) page, a page saying it is blank comes first. Every guide then starts
    on a right-hand page and can be pulled out of the stack on its own sheets."""

    def __init__(self, blank_page: list[Flowable]) -> None:
        super().__init__("", blank_page, [])

    def funcWrap(self, aW: float, aH: float) -> bool:
        return int(self._doctemplateAttr("page")) % 2 == 0


def _blank_page(styles: Styles, tr: Translator, info: PageInfo) -> list[Flowable]:
    style = styles.meta.clone("blank_page", alignment=TA_CENTER)
    return [
        set_team_line(info, ""),
        Spacer(styles.layout.frame_height * 0.42),
        Paragraph(esc(tr(BLANK)), style),
        PageBreak(),
    ]


def _contents_and_guides(
    guides: list[GuideDoc],
    styles: Styles,
    tr: Translator,
    lang: str,
    planner: PhotoPlanner,
    info: PageInfo,
) -> list[Flowable]:
    # The table of contents sits on the cover, under the title: one sheet less to copy for
    # every trainee. A long list simply runs on to the next page.
    story: list[Flowable] = [
        NextPageTemplate("body"),
        Spacer(28),
        Paragraph(esc(tr(CONTENTS)), styles.toc_heading),
        Rule(thickness=0.8, color=INK, space=3),
        Spacer(4),
        make_toc(styles),
    ]
    for i, guide in enumerate(guides):
        story += [PageBreak(), RightHandStart(_blank_page(styles, tr, info))]
        story += guide_story(guide, styles, tr, lang, planner, info, bookmark_key=f"guide-{i + 1}")
    return story


def _notes_page(styles: Styles, tr: Translator, info: PageInfo) -> list[Flowable]:
    """The last page: ruled lines for the trainee's own notes."""
    from desktop_app.services.handouts.sheets import WritingLines

    lines = int((styles.layout.frame_height - 60) // (9 * 2.835))
    return [
        PageBreak(),
        set_team_line(info, ""),
        Bookmark(tr(NOTES), "notes", level=0, toc=False),
        SectionHeading(tr(NOTES), styles),
        Spacer(6),
        WritingLines(lines),
    ]


def _session_extras(session: SessionDoc, styles: Styles, tr: Translator) -> list[Flowable]:
    """The agenda and the follow-ups of the session, after the contents on the cover."""
    extras: list[Flowable] = []
    if session.agenda:
        items = [
            Paragraph(
                esc(" ".join(p for p in (time, title) if p))
                + (f"<font color='#595959'>　{esc(leader)}</font>" if leader else ""),
                styles.bullet,
                bulletText="·",
            )
            for time, title, leader in session.agenda
        ]
        extras += section(SectionHeading(tr(AGENDA), styles), items)
    if session.follow_ups:
        extras += section(
            SectionHeading(tr(FOLLOW_UPS), styles),
            [Paragraph(esc(f), styles.bullet, bulletText="□") for f in session.follow_ups],
        )
    return extras


def _cover(
    kicker: str, title: str, lines: list[str], styles: Styles, tr: Translator
) -> list[Flowable]:
    top = styles.layout.frame_height * 0.12
    story: list[Flowable] = [
        Bookmark(tr(COVER), "cover", level=0, toc=False),
        Spacer(top),
        Paragraph(esc(kicker), styles.cover_kicker),
        Spacer(8),
        Paragraph(esc(title), styles.cover_title),
        Rule(thickness=3, color=INK, space=10),
    ]
    story += [Paragraph(esc(line), styles.cover_meta) for line in lines if line.strip()]
    return story


def session_pack_story(
    session: SessionDoc,
    styles: Styles,
    tr: Translator,
    lang: str,
    planner: PhotoPlanner,
    info: PageInfo,
) -> list[Flowable]:
    sep = list_sep(lang)
    day = session_date(session.starts_at, lang, session.time_zone)  # the date at the place
    lines = [tr(DATE_VENUE).format(date=day, venue=session.venue) if session.venue else day]
    if session.host_organisations:
        lines.append(tr(HOSTS).format(hosts=sep.join(session.host_organisations)))
    if session.teams:
        lines.append(tr(TEAMS).format(teams=sep.join(t.name for t in session.teams)))
    title = session.theme or session.venue
    cover = _cover(tr(PACK_KICKER), title, lines, styles, tr)
    left_out = session.deleted_guides
    if left_out:
        # Trainees were taught these and would look for them: say why they are missing
        # rather than print a guide the team has withdrawn.
        titles = sep.join(ref.name if ref.state == DELETED else ref.label(tr) for ref in left_out)
        cover += [Spacer(10), Paragraph(esc(tr(LEFT_OUT).format(titles=titles)), styles.body)]
    # Whom to call, on the cover trainees keep: the session's teams and their contacts.
    contact = contact_block(list(session.teams), styles, tr)
    if contact is not None:
        cover += [Spacer(14), contact]
    body = _contents_and_guides(session.guides, styles, tr, lang, planner, info)
    # The session's agenda and follow-ups follow the contents, before the first guide.
    first_guide = next(i for i, f in enumerate(body) if isinstance(f, PageBreak))
    body[first_guide:first_guide] = _session_extras(session, styles, tr)
    return cover + body + _notes_page(styles, tr, info)


def booklet_story(
    title: str,
    guides: list[GuideDoc],
    styles: Styles,
    tr: Translator,
    lang: str,
    planner: PhotoPlanner,
    info: PageInfo,
    now: datetime,
    organisation: str = "",
) -> list[Flowable]:
    lines = [
        tr(GUIDE_COUNT).format(n=len(guides)),
        tr(PUBLISHER).format(organisation=organisation) if organisation else "",
        tr(PRINTED).format(date=format_date(now, lang)),
    ]
    cover = _cover(tr(BOOKLET_KICKER), title, lines, styles, tr)
    return cover + _contents_and_guides(guides, styles, tr, lang, planner, info)
