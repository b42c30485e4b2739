"""The page frame shared by every handout: margins, running footer, page X / Y, outline, write.

The footer carries the page number out of the total, the team a page belongs to (with its
captain and phone when known) and the library's name. A pack changes team from guide to guide,
so the team line is set by an invisible flowable at the start of each guide and drawn when the
page ends. The total page count is only known at the end, so every document is typeset twice
(ReportLab's multiBuild with a `PageCount` indexing flowable): the second pass prints the total
the first one found. (Keeping pages back until `save()`, the other usual recipe, breaks the
outline: every bookmark would point at page 1.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, NextPageTemplate, PageTemplate
from reportlab.platypus.doctemplate import IndexingFlowable
from reportlab.platypus.tableofcontents import TableOfContents
from reportlab.platypus.tables import TableStyle

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_writer
from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.services.handouts.flowables import Bookmark, Invisible
from desktop_app.services.handouts.fonts import BOLD, REGULAR
from desktop_app.services.handouts.styles import ACCENT, INK, MUTED, RULE, Styles


@dataclass
class PageInfo:
    """What the footer says; `team_line` changes as the document moves from guide to guide."""

    team_line: str = ""
    library_line: str = ""
    page_label: str = "{page} / {pages}"  # translated "Page {page} of {pages}"
    total_pages: int | None = None  # known from the second pass on
    pages_seen: int = 0


class PageCount(IndexingFlowable):  # type: ignore[misc]
    """Makes multiBuild typeset until the page total printed in the footers is the real one."""

    def __init__(self, info: PageInfo) -> None:
        super().__init__()
        self.info = info
        self.width = self.height = 0

    def beforeBuild(self) -> None:
        self.info.total_pages = self.info.pages_seen or None
        self.info.pages_seen = 0

    def isSatisfied(self) -> bool:
        return self.info.total_pages == self.info.pages_seen

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


def set_team_line(info: PageInfo, text: str) -> Flowable:
    def apply(_canvas: Any) -> None:
        info.team_line = text

    return Invisible(apply)


class HandoutDoc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(
        self,
        target: Any,
        styles: Styles,
        info: PageInfo,
        *,
        title: str,
        author: str,
        progress: Progress,
        total_flowables: int,
        progress_text: str,
        cover_first: bool = False,
    ) -> None:
        layout = styles.layout
        super().__init__(
            target,
            pagesize=(layout.page_width, layout.page_height),
            leftMargin=layout.left,
            rightMargin=layout.right,
            topMargin=layout.top,
            bottomMargin=layout.bottom,
            title=title,
            author=author,
            subject=title,
            creator="Jiangxin",
            initialFontName=REGULAR,
            initialFontSize=11,
            initialLeading=16,
            lang="zh-CN",
        )
        self.styles = styles
        self.info = info
        self.progress = progress
        self.total_flowables = max(1, total_flowables)
        self.progress_text = progress_text
        self._placed = 0
        frame = Frame(
            layout.left,
            layout.bottom,
            layout.frame_width,
            layout.frame_height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        cover = PageTemplate("cover", [frame], onPage=self._cover_page, onPageEnd=self._no_footer)
        body = PageTemplate("body", [frame], onPageEnd=self._footer)
        # The first template is the one page 1 uses.
        self.addPageTemplates([cover, body] if cover_first else [body, cover])

    @property
    def first_pass(self) -> bool:
        """The first of the passes only counts pages: photos need not be embedded yet."""
        return self.info.total_pages is None

    def _cover_page(self, canvas: Any, doc: Any) -> None:
        """A solid band across the top and the library's line at the foot of the cover."""
        layout = self.styles.layout
        # A pack or booklet opens with its outline (the guides) shown beside the pages.
        canvas.showOutline()
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        band = 16 * mm if layout.paper == "A4" else 11 * mm
        canvas.rect(0, layout.page_height - band, layout.page_width, band, stroke=0, fill=1)
        canvas.setFillColor(INK)
        canvas.rect(
            0, layout.page_height - band - 1.5 * mm, layout.page_width, 1.5 * mm, stroke=0, fill=1
        )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        y = layout.bottom - 8
        canvas.line(layout.left, y, layout.page_width - layout.right, y)
        canvas.setFillColor(MUTED)
        size = self.styles.footer.fontSize + 1
        canvas.setFont(REGULAR, size)
        canvas.drawString(layout.left, y - size - 4, self.info.library_line)
        canvas.restoreState()

    def _no_footer(self, canvas: Any, doc: Any) -> None:
        self.info.pages_seen = max(self.info.pages_seen, int(doc.page))

    def _footer(self, canvas: Any, doc: Any) -> None:
        layout = self.styles.layout
        left = layout.left
        right = layout.page_width - layout.right
        y_rule = layout.bottom - 8
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(left, y_rule, right, y_rule)
        canvas.setFillColor(MUTED)
        size = self.styles.footer.fontSize
        canvas.setFont(REGULAR, size)
        y1 = y_rule - size - 3
        team = _fit(canvas, self.info.team_line, REGULAR, size, right - left - 70)
        canvas.drawString(left, y1, team)
        canvas.drawString(
            left,
            y1 - size - 3,
            _fit(canvas, self.info.library_line, REGULAR, size, right - left - 70),
        )
        canvas.setFont(BOLD, size)
        total = self.info.total_pages
        label = self.info.page_label.format(page=doc.page, pages=total if total else "?")
        canvas.drawRightString(right, y1, label)
        canvas.restoreState()
        self.info.pages_seen = max(self.info.pages_seen, int(doc.page))

    def afterFlowable(self, flowable: Flowable) -> None:
        self._placed += 1
        if self._placed % 8 == 0:
            self.progress.step(
                min(self._placed, self.total_flowables), self.total_flowables, self.progress_text
            )
            self.progress.check_cancelled()
        if isinstance(flowable, Bookmark) and flowable.toc:
            self.notify("TOCEntry", (flowable.level, flowable.title, self.page, flowable.key))


def _fit(canvas: Any, text: str, font: str, size: float, width: float) -> str:
    """Cut a footer line with an ellipsis rather than letting it run into the page number."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def make_toc(styles: Styles) -> TableOfContents:
    toc = TableOfContents(
        dotsMinLevel=0,
        # The TOC is a Table: without this it leaves an unembedded Helvetica reference.
        tableStyle=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    toc.levelStyles = [
        styles.toc_entry.clone("toc0", firstLineIndent=0, leftIndent=0),
        styles.toc_entry.clone("toc1", fontSize=10.5, leading=17, leftIndent=18),
    ]
    return toc


class _LastWrite:
    """A file-like sink that keeps only the last PDF written: a multi-pass build (table of
    contents) saves once per pass, and only the final pass is the document."""

    name = "handout.pdf"

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> int:
        self.data = bytes(data)
        return len(data)


CANNOT_WRITE = N_("Cannot write {path}: {reason}")


def ordinary_file_mode() -> int:
    """The mode a newly created file gets from the user's umask (0644 under the usual 022).

    A PDF is made to be shared, printed and mailed: it must not keep the owner-only mode of
    the temporary file it is written through (`tempfile.mkstemp` creates 0600). The umask is
    read from /proc where there is one, because setting it to read it back is process-wide and
    a build runs on a worker thread while the window may be writing files.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_pdf(
    target: Path,
    story: list[Flowable],
    styles: Styles,
    info: PageInfo,
    *,
    title: str,
    author: str,
    progress: Progress,
    progress_text: str,
    cover_first: bool = False,
) -> int:
    """Typeset `story` into `target` atomically; returns the number of pages."""
    total = len(story)
    sink = _LastWrite()
    doc = HandoutDoc(
        sink,
        styles,
        info,
        title=title,
        author=author,
        progress=progress,
        total_flowables=total,
        progress_text=progress_text,
        cover_first=cover_first,
    )
    doc.multiBuild([PageCount(info), *story])
    pages = int(doc.page)
    progress.check_cancelled()
    try:
        with atomic_writer(Path(target)) as handle:
            handle.write(sink.data)
            if hasattr(os, "fchmod"):  # POSIX; Windows has no owner-only mode to undo
                os.fchmod(handle.fileno(), ordinary_file_mode())
    except OSError as exc:
        raise UserError(_(CANNOT_WRITE).format(path=target, reason=exc.strerror or exc)) from None
    return pages


def count_pages(story: list[Flowable], styles: Styles, info: PageInfo) -> int:
    """How many pages `story` takes, from one typesetting pass with no photo embedded and
    nothing written (to choose a layout before the real build)."""
    doc = HandoutDoc(
        _LastWrite(),
        styles,
        info,
        title="",
        author="",
        progress=NullProgress(),
        total_flowables=len(story),
        progress_text="",
    )
    doc.build(story)
    return int(doc.page)


__all__ = [
    "HandoutDoc",
    "NextPageTemplate",
    "PageInfo",
    "count_pages",
    "make_toc",
    "set_team_line",
    "write_pdf",
]
