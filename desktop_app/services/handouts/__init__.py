"""PDF handouts: the guide handout, the session report, the take-home pack, guide booklets, and
the sign-in sheet and feedback form that are printed blank and come back filled in.

This module is the light façade the UI and the CLI call: it checks the request, loads the
records and only then imports the ReportLab builders (`build.py`), so nothing heavy is loaded
when the app starts. Every build writes its PDF atomically (a failed or cancelled build leaves
no file at the target) and reports progress through `core.progress.Progress`.

Handouts are printed in their own language (setting `handout.language`, Chinese by default),
not in the UI language. A guide without safety notes is refused with `SafetyNotesMissing`
unless the caller confirms (`HandoutOptions.confirm_missing_safety`): the GUI asks the user, the
CLI wants `--force`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import check_destination
from desktop_app.core.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library

if TYPE_CHECKING:
    from desktop_app.services.handouts.data import PhotoRef, SessionDoc, TeamInfo

PAPER_SIZES = ("A4", "A5")


class SafetyNotesMissing(UserError):
    """One or more guides have no 安全提示; printing them needs the user's confirmation."""

    def __init__(self, titles: list[str]) -> None:
        self.titles = list(titles)
        names = "、".join(f"“{t}”" for t in self.titles)
        super().__init__(
            _("{guides} has no safety notes; add them, or confirm to print without them.").format(
                guides=names
            )
        )


@dataclass(frozen=True)
class HandoutOptions:
    paper: str = "A4"
    language: str = DEFAULT_LANGUAGE
    confirm_missing_safety: bool = False

    def checked(self) -> HandoutOptions:
        if self.paper not in PAPER_SIZES:
            raise UserError(
                _("Unknown paper size “{paper}”; use A4 or A5.").format(paper=self.paper)
            )
        if self.language not in SUPPORTED_LANGUAGES:
            return HandoutOptions(self.paper, DEFAULT_LANGUAGE, self.confirm_missing_safety)
        return self


@dataclass(frozen=True)
class HandoutResult:
    path: Path
    pages: int
    size: int  # bytes


def options_from_settings(
    settings: Settings, *, paper: str | None = None, confirm_missing_safety: bool = False
) -> HandoutOptions:
    """Paper and language from the settings; an explicit paper (the CLI's --paper) wins."""
    return HandoutOptions(
        paper=(paper or str(settings.get("handout.paper"))).upper(),
        language=str(settings.get("handout.language")) or DEFAULT_LANGUAGE,
        confirm_missing_safety=confirm_missing_safety,
    ).checked()


ORGANISATION_KEY = "organisation"
ORGANISATION_MAX = 100


def organisation_name(library: Library) -> str:
    """The organisation the library's handouts are printed for (单位名称, e.g. 丰台区总工会);
    empty until the user sets it."""
    return library.meta(ORGANISATION_KEY).strip()


def set_organisation_name(library: Library, name: str) -> None:
    """Store the organisation's name in the library (library_meta); empty clears it."""
    from desktop_app.storage.models import LibraryMeta

    cleaned = " ".join(name.split())
    if len(cleaned) > ORGANISATION_MAX:
        raise UserError(
            _("The organisation's name is too long (at most {n} characters).").format(
                n=ORGANISATION_MAX
            )
        )
    with library.transaction() as s:
        s.merge(LibraryMeta(key=ORGANISATION_KEY, value=cleaned))


def organisation_for(library: Library, teams: Sequence[TeamInfo | None]) -> str:
    """Who a handout names in its footer and as the PDF's author: the organisation set for the
    library, else the union the teams belong to (上级工会), else nothing — never the library's
    folder name (a default install is called "library")."""
    chosen = organisation_name(library)
    if chosen:
        return chosen
    unions = [t.parent_union for t in teams if t is not None and t.parent_union.strip()]
    return "、".join(dict.fromkeys(unions))


def guides_missing_safety(library: Library, guide_ids: list[str]) -> list[str]:
    """Titles of the given guides that have no safety notes (in the given order)."""
    from desktop_app.services.handouts.data import load_guide_docs

    return [g.title for g in load_guide_docs(library, guide_ids) if not g.safety_notes]


def session_guide_ids(library: Library, session_id: str) -> list[str]:
    """The live guides a session covered, in the session's order."""
    from desktop_app.services.handouts.data import load_session_doc

    return [g.id for g in load_session_doc(library, session_id).guides]


FAR_FROM_SESSION_DAYS = 2  # a session photo taken further from the session's day is pointed out
PHOTO_ID_PREFIX = 8  # the shortest prefix of a photo id the CLI accepts (as for record ids)


@dataclass(frozen=True)
class PhotoChoice:
    """A photo a session's report can print, as the window lists it for choosing."""

    id: str
    label: str  # the caption, else the file name
    taken: str  # when it was taken, as a wall time at the session's place ("" if unknown)
    days_off: int | None  # days between it and the session when that is more than FAR_…


def session_photos(library: Library, session_id: str) -> list[PhotoChoice]:
    """The photos a session's report can print, in the session's (grid) order."""
    from desktop_app.core.timezones import in_zone
    from desktop_app.services.handouts.data import load_session_doc

    session = load_session_doc(library, session_id)
    out = []
    for ref in session.photos:
        taken, days_off = "", None
        if ref.taken_at is not None:
            taken = in_zone(ref.taken_at, session.time_zone).strftime("%Y-%m-%d %H:%M")
            days = abs((ref.taken_at - session.starts_at).total_seconds()) / 86400
            days_off = round(days) if days > FAR_FROM_SESSION_DAYS else None
        out.append(PhotoChoice(ref.id, ref.caption or ref.name, taken, days_off))
    return out


def choose_photos(session: SessionDoc, photo_ids: Sequence[str] | None) -> SessionDoc:
    """The session with only the chosen photos, in the order given (None: all, in grid order).

    An id may be shortened to a unique prefix of 8 or more characters; an id that is not one of
    the session's live photos is refused with a sentence naming it. A photo named twice prints
    once, where it was first named.
    """
    import dataclasses

    if photo_ids is None:
        return session
    chosen: dict[str, PhotoRef] = {}
    for raw in photo_ids:
        wanted = raw.strip()
        if not wanted:
            continue
        matches = [
            p
            for p in session.photos
            if p.id == wanted or (len(wanted) >= PHOTO_ID_PREFIX and p.id.startswith(wanted))
        ]
        if len(matches) != 1:
            raise UserError(
                _("“{id}” is not one of this session's photos.").format(id=wanted)
                if not matches
                else _("“{id}” matches several of this session's photos; give more of it.").format(
                    id=wanted
                )
            )
        chosen.setdefault(matches[0].id, matches[0])
    return dataclasses.replace(session, photos=list(chosen.values()))


def photo_warnings(
    library: Library,
    kind: str,
    ids: list[str],
    options: HandoutOptions | None = None,
    *,
    title: str = "",
    photo_ids: Sequence[str] | None = None,
) -> list[str]:
    """What to point out before printing (one plain sentence each, in the UI language).

    `kind` is "guide", "report", "pack" or "booklet" (as the window and the CLI name them).
    A photo that would print below 150 ppi (it will look blurred) is named with its printed
    resolution; in a session report, a photo taken more than two days from the session's date
    (perhaps attached to the wrong session) is named with the day it was taken. `photo_ids`
    is a report's choice of photos (`choose_photos`): only those are checked.
    """
    from desktop_app.services.handouts.build import planned_photos
    from desktop_app.services.handouts.data import load_guide_docs, load_session_doc
    from desktop_app.services.handouts.photos import LOW_PPI
    from desktop_app.services.handouts.text import format_date

    opts = (options or HandoutOptions()).checked()
    warnings: list[str] = []
    if kind in ("report", "pack"):
        session = load_session_doc(library, ids[0])
        if kind == "report":
            session = choose_photos(session, photo_ids)
        slots = planned_photos(kind, session, paper=opts.paper, lang=opts.language)
        if kind == "report":
            day = session.starts_at
            for ref in session.photos:
                if ref.taken_at is None:
                    continue
                days = abs((ref.taken_at - day).total_seconds()) / 86400
                if days > FAR_FROM_SESSION_DAYS:
                    warnings.append(
                        _(
                            "“{name}” was taken on {date}, {days} days from the session: "
                            "is it this session's photo?"
                        ).format(
                            name=ref.caption or ref.name,
                            date=format_date(ref.taken_at, opts.language),
                            days=round(days),
                        )
                    )
    else:
        guides = load_guide_docs(library, list(dict.fromkeys(ids)))
        slots = planned_photos(kind, guides, paper=opts.paper, lang=opts.language, title=title)
    seen: set[Path] = set()
    for slot in slots:
        ppi = slot.printed_ppi()
        if ppi is None or ppi >= LOW_PPI or slot.ref.path in seen:
            continue
        seen.add(slot.ref.path)
        warnings.append(
            _(
                "“{name}” will print at {ppi} ppi, less than {low}: it may look blurred on paper."
            ).format(name=slot.ref.caption or slot.ref.name, ppi=round(ppi), low=LOW_PPI)
        )
    return warnings


def _result(target: Path, pages: int) -> HandoutResult:
    return HandoutResult(Path(target), pages, Path(target).stat().st_size)


def _check_safety(titles_missing: list[str], options: HandoutOptions) -> None:
    if titles_missing and not options.confirm_missing_safety:
        raise SafetyNotesMissing(titles_missing)


def build_guide_handout(
    library: Library,
    guide_id: str,
    target: Path,
    options: HandoutOptions | None = None,
    progress: Progress | None = None,
) -> HandoutResult:
    from desktop_app.services.handouts.data import load_guide_docs

    opts = (options or HandoutOptions()).checked()
    check_destination(Path(target), libraries=[library.root])
    (guide,) = load_guide_docs(library, [guide_id])
    _check_safety([] if guide.safety_notes else [guide.title], opts)
    from desktop_app.services.handouts.build import render_guide

    pages = render_guide(
        guide,
        Path(target),
        paper=opts.paper,
        lang=opts.language,
        organisation=organisation_for(library, [guide.team]),
        progress=progress or NullProgress(),
    )
    return _result(target, pages)


def build_session_report(
    library: Library,
    session_id: str,
    target: Path,
    options: HandoutOptions | None = None,
    progress: Progress | None = None,
    *,
    photo_ids: Sequence[str] | None = None,
) -> HandoutResult:
    """The union's record of a session (no safety check: trainees do not work from it).

    `photo_ids` chooses the photos it prints and their order (None: all, in grid order)."""
    return _build_from_session(
        library, session_id, target, options, progress, "report", photo_ids=photo_ids
    )


def _build_from_session(
    library: Library,
    session_id: str,
    target: Path,
    options: HandoutOptions | None,
    progress: Progress | None,
    kind: str,
    *,
    photo_ids: Sequence[str] | None = None,
) -> HandoutResult:
    """A handout made of one session's facts: the report, the sign-in sheet, the feedback form."""
    from desktop_app.services.handouts import build
    from desktop_app.services.handouts.data import load_session_doc

    opts = (options or HandoutOptions()).checked()
    check_destination(Path(target), libraries=[library.root])
    session = choose_photos(load_session_doc(library, session_id), photo_ids)
    render = {
        "report": build.render_session_report,
        "signin": build.render_signin_sheet,
        "feedback": build.render_feedback_form,
    }[kind]
    pages = render(
        session,
        Path(target),
        paper=opts.paper,
        lang=opts.language,
        organisation=organisation_for(library, session.teams),
        progress=progress or NullProgress(),
    )
    return _result(target, pages)


def build_signin_sheet(
    library: Library,
    session_id: str,
    target: Path,
    options: HandoutOptions | None = None,
    progress: Progress | None = None,
) -> HandoutResult:
    """The sign-in sheet (签到表) of a planned or past session: landscape, the expected people
    written in, blank numbered rows to the foot of the last page, the session's code and QR."""
    return _build_from_session(library, session_id, target, options, progress, "signin")


def build_feedback_form(
    library: Library,
    session_id: str,
    target: Path,
    options: HandoutOptions | None = None,
    progress: Progress | None = None,
) -> HandoutResult:
    """The trainees' feedback form (学员反馈表), with the session's code and QR."""
    return _build_from_session(library, session_id, target, options, progress, "feedback")


def build_session_pack(
    library: Library,
    session_id: str,
    target: Path,
    options: HandoutOptions | None = None,
    progress: Progress | None = None,
) -> HandoutResult:
    from desktop_app.services.handouts.data import load_session_doc

    opts = (options or HandoutOptions()).checked()
    check_destination(Path(target), libraries=[library.root])
    session = load_session_doc(library, session_id)
    if not session.guides and session.deleted_guides:
        raise UserError(
            _(
                "The guides this session covered have all been deleted since, so there is no"
                " pack to print. Undo the deletion to print them."
            )
        )
    if not session.guides:
        raise UserError(_("This session covered no guides, so there is no pack to print."))
    _check_safety([g.title for g in session.guides if not g.safety_notes], opts)
    from desktop_app.services.handouts.build import render_session_pack

    pages = render_session_pack(
        session,
        Path(target),
        paper=opts.paper,
        lang=opts.language,
        organisation=organisation_for(library, session.teams),
        progress=progress or NullProgress(),
    )
    return _result(target, pages)


def build_booklet(
    library: Library,
    guide_ids: list[str],
    title: str,
    target: Path,
    options: HandoutOptions | None = None,
    progress: Progress | None = None,
) -> HandoutResult:
    """A booklet of the given guides in the given order, under the given title."""
    from desktop_app.services.handouts.data import load_guide_docs

    opts = (options or HandoutOptions()).checked()
    check_destination(Path(target), libraries=[library.root])
    if not title.strip():
        raise UserError(_("Give the booklet a title."))
    ids = list(dict.fromkeys(guide_ids))
    if not ids:
        raise UserError(_("Choose at least one guide for the booklet."))
    guides = load_guide_docs(library, ids)
    _check_safety([g.title for g in guides if not g.safety_notes], opts)
    from desktop_app.services.handouts.build import render_booklet

    pages = render_booklet(
        title.strip(),
        guides,
        Path(target),
        paper=opts.paper,
        lang=opts.language,
        organisation=organisation_for(library, [g.team for g in guides]),
        progress=progress or NullProgress(),
    )
    return _result(target, pages)
