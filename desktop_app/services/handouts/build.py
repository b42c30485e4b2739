"""Typesetting entry points (ReportLab is imported here and below, never at app start-up).

Each build loads its records, plans its photos, prepares them on two threads, typesets, and
writes the PDF atomically. `desktop_app.services.handouts` is the light façade that the UI and
the CLI call; it imports this module only when a handout is actually built.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reportlab.platypus import Flowable

from desktop_app.core.i18n import N_, _, translator_for
from desktop_app.core.progress import Progress
from desktop_app.services.handouts.data import GuideDoc, SessionDoc
from desktop_app.services.handouts.document import PageInfo, count_pages, write_pdf
from desktop_app.services.handouts.guide import guide_story
from desktop_app.services.handouts.pack import booklet_story, session_pack_story
from desktop_app.services.handouts.photos import PhotoPlanner, PhotoSlot
from desktop_app.services.handouts.session import session_story
from desktop_app.services.handouts.sheets import (
    FEEDBACK_TITLE,
    SIGNIN_TITLE,
    feedback_story,
    signin_story,
)
from desktop_app.services.handouts.styles import COMPACT_LEVELS, Styles, make_styles
from desktop_app.services.handouts.text import Translator, format_date

PAGE_LABEL = N_("Page {page} of {pages}")
LIBRARY_LINE = N_("{library} · printed on {date}")
PRINTED_ON = N_("Printed on {date}")
TYPESETTING = N_("Typesetting…")

StoryMaker = Callable[[Styles, Translator, PhotoPlanner, PageInfo], list[Flowable]]


def _render(
    target: Path,
    *,
    paper: str,
    lang: str,
    organisation: str,
    title: str,
    author: str,
    make_story: StoryMaker,
    progress: Progress,
    cover_first: bool = False,
    landscape: bool = False,
    compact: int = 0,
) -> int:
    tr = translator_for(lang)
    styles = make_styles(paper, landscape=landscape, compact=compact)
    now = datetime.now(UTC)
    # The footer names the organisation (单位名称), never the library's folder name.
    date = format_date(now, lang)
    line = (
        tr(LIBRARY_LINE).format(library=organisation, date=date)
        if organisation
        else tr(PRINTED_ON).format(date=date)
    )
    info = PageInfo(library_line=line, page_label=tr(PAGE_LABEL))
    planner = PhotoPlanner(tr)
    story = make_story(styles, tr, planner, info)
    progress.check_cancelled()
    planner.prepare_all(progress)
    # Progress is shown in the window: the UI language, not the handout's.
    progress.step(0, 1, _(TYPESETTING))
    return write_pdf(
        target,
        story,
        styles,
        info,
        title=title,
        author=author,
        progress=progress,
        progress_text=_(TYPESETTING),
        cover_first=cover_first,
    )


def fit_guide(guide: GuideDoc, *, paper: str, lang: str) -> int:
    """The compact level a guide handout is printed at: the usual spacing, unless tighter
    spacing and smaller photos (never smaller type) save a sheet of paper printed on both
    sides, e.g. three pages (two sheets) that fit on two (one sheet). Each level is tried with
    one typesetting pass, before any photo is decoded."""
    tr = translator_for(lang)
    sheets: list[int] = []
    for level in range(COMPACT_LEVELS):
        styles, info = make_styles(paper, compact=level), PageInfo()
        story = guide_story(guide, styles, tr, lang, PhotoPlanner(tr), info)
        pages = count_pages(story, styles, info)
        sheets.append((pages + 1) // 2)
        if pages <= 2 and level == 0:
            break  # one sheet already: nothing to save
    return sheets.index(min(sheets))


def planned_photos(
    kind: str,
    docs: list[GuideDoc] | SessionDoc,
    *,
    paper: str,
    lang: str,
    title: str = "",
) -> list[PhotoSlot]:
    """The photos a handout will print and the boxes they get, without decoding any: the
    story is laid out as for printing, so the checks before printing see the real sizes."""
    tr = translator_for(lang)
    compact = 0
    if kind == "guide" and not isinstance(docs, SessionDoc):
        compact = fit_guide(docs[0], paper=paper, lang=lang)
    styles = make_styles(paper, compact=compact)
    info = PageInfo()
    planner = PhotoPlanner(tr)
    if isinstance(docs, SessionDoc):
        if kind == "report":
            session_story(docs, styles, tr, lang, planner, info)
        else:
            session_pack_story(docs, styles, tr, lang, planner, info)
    elif kind == "guide":
        guide_story(docs[0], styles, tr, lang, planner, info)
    else:
        booklet_story(title, docs, styles, tr, lang, planner, info, datetime.now(UTC))
    return planner.slots


def render_guide(
    guide: GuideDoc, target: Path, *, paper: str, lang: str, organisation: str, progress: Progress
) -> int:
    def make(
        styles: Styles, tr: Translator, planner: PhotoPlanner, info: PageInfo
    ) -> list[Flowable]:
        return guide_story(guide, styles, tr, lang, planner, info)

    author = organisation or (guide.team.name if guide.team else "")
    return _render(
        target,
        paper=paper,
        lang=lang,
        organisation=organisation,
        title=guide.title,
        author=author,
        make_story=make,
        progress=progress,
        compact=fit_guide(guide, paper=paper, lang=lang),
    )


def render_session_report(
    session: SessionDoc,
    target: Path,
    *,
    paper: str,
    lang: str,
    organisation: str,
    progress: Progress,
) -> int:
    def make(
        styles: Styles, tr: Translator, planner: PhotoPlanner, info: PageInfo
    ) -> list[Flowable]:
        return session_story(session, styles, tr, lang, planner, info)

    return _render(
        target,
        paper=paper,
        lang=lang,
        organisation=organisation,
        title=session.theme or session.venue,
        author=organisation or "、".join(t.name for t in session.teams),
        make_story=make,
        progress=progress,
    )


def render_signin_sheet(
    session: SessionDoc,
    target: Path,
    *,
    paper: str,
    lang: str,
    organisation: str,
    progress: Progress,
) -> int:
    return _render_sheet(
        session, target, signin_story, SIGNIN_TITLE, True, paper, lang, organisation, progress
    )


def render_feedback_form(
    session: SessionDoc,
    target: Path,
    *,
    paper: str,
    lang: str,
    organisation: str,
    progress: Progress,
) -> int:
    return _render_sheet(
        session, target, feedback_story, FEEDBACK_TITLE, False, paper, lang, organisation, progress
    )


def _render_sheet(
    session: SessionDoc,
    target: Path,
    story: Callable[[SessionDoc, Styles, Translator, str, PageInfo], list[Flowable]],
    title: str,
    landscape: bool,
    paper: str,
    lang: str,
    organisation: str,
    progress: Progress,
) -> int:
    """A sheet that comes back filled in (sign-in, feedback): one session's facts on it."""

    def make(
        styles: Styles, tr: Translator, _planner: PhotoPlanner, info: PageInfo
    ) -> list[Flowable]:
        return story(session, styles, tr, lang, info)

    tr = translator_for(lang)
    return _render(
        target,
        paper=paper,
        lang=lang,
        organisation=organisation,
        title=tr(title) + " " + (session.theme or session.venue),
        author=organisation or "、".join(t.name for t in session.teams),
        make_story=make,
        progress=progress,
        landscape=landscape,
    )


def render_session_pack(
    session: SessionDoc,
    target: Path,
    *,
    paper: str,
    lang: str,
    organisation: str,
    progress: Progress,
) -> int:
    def make(
        styles: Styles, tr: Translator, planner: PhotoPlanner, info: PageInfo
    ) -> list[Flowable]:
        return session_pack_story(session, styles, tr, lang, planner, info)

    return _render(
        target,
        paper=paper,
        lang=lang,
        organisation=organisation,
        title=session.theme or session.venue,
        author=organisation or "、".join(t.name for t in session.teams),
        make_story=make,
        progress=progress,
        cover_first=True,
    )


def render_booklet(
    title: str,
    guides: list[GuideDoc],
    target: Path,
    *,
    paper: str,
    lang: str,
    organisation: str,
    progress: Progress,
) -> int:
    now = datetime.now(UTC)

    def make(
        styles: Styles, tr: Translator, planner: PhotoPlanner, info: PageInfo
    ) -> list[Flowable]:
        return booklet_story(title, guides, styles, tr, lang, planner, info, now, organisation)

    return _render(
        target,
        paper=paper,
        lang=lang,
        organisation=organisation,
        title=title,
        author=organisation,
        make_story=make,
        progress=progress,
        cover_first=True,
    )
