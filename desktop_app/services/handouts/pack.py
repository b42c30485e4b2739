"""The take-home pack (学员手册) and the guide booklet: a cover, a table of contents, then one
guide handout after another, each on a new page and each a bookmark in the PDF outline."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable, NextPageTemplate, PageBreak, Paragraph

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import GuideDoc, SessionDoc
from desktop_app.services.handouts.document import PageInfo, make_toc
from desktop_app.services.handouts.flowables import Bookmark, Rule, Spacer, esc
from desktop_app.services.handouts.guide import contact_block, guide_story
from desktop_app.services.handouts.photos import PhotoPlanner
from desktop_app.services.handouts.styles import INK, Styles
from desktop_app.services.handouts.text import Translator, format_date, list_sep, session_date

PACK_KICKER = N_("Trainee handbook")
BOOKLET_KICKER = N_("Guide booklet")
CONTENTS = N_("Contents")
COVER = N_("Cover")
GUIDE_COUNT = N_("{n} skill guides in this booklet")
DATE_VENUE = N_("{date} · {venue}")
HOSTS = N_("Hosted by {hosts}")
TEAMS = N_("Service teams: {teams}")
PRINTED = N_("Printed on {date}")


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
        story.append(PageBreak())
        story += guide_story(guide, styles, tr, lang, planner, info, bookmark_key=f"guide-{i + 1}")
    return story


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
    lines = [
        tr(DATE_VENUE).format(date=session_date(session.starts_at, lang), venue=session.venue)
        if session.venue
        else session_date(session.starts_at, lang),
    ]
    if session.host_organisations:
        lines.append(tr(HOSTS).format(hosts=sep.join(session.host_organisations)))
    if session.teams:
        lines.append(tr(TEAMS).format(teams=sep.join(t.name for t in session.teams)))
    title = session.theme or session.venue
    cover = _cover(tr(PACK_KICKER), title, lines, styles, tr)
    # Whom to call, on the cover trainees keep: the session's teams and their contacts.
    contact = contact_block(list(session.teams), styles, tr)
    if contact is not None:
        cover += [Spacer(14), contact]
    return cover + _contents_and_guides(session.guides, styles, tr, lang, planner, info)


def booklet_story(
    title: str,
    guides: list[GuideDoc],
    styles: Styles,
    tr: Translator,
    lang: str,
    planner: PhotoPlanner,
    info: PageInfo,
    now: datetime,
) -> list[Flowable]:
    lines = [
        tr(GUIDE_COUNT).format(n=len(guides)),
        tr(PRINTED).format(date=format_date(now, lang)),
    ]
    return _cover(tr(BOOKLET_KICKER), title, lines, styles, tr) + _contents_and_guides(
        guides, styles, tr, lang, planner, info
    )
