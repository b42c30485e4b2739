"""Paper sizes, margins and paragraph styles for every handout.

Chosen for trainees reading on paper, outdoors, often from a black-and-white photocopy: body
text 11 pt and steps 12 pt with generous leading, headings set apart by weight and rules rather
than by colour alone, one restrained accent colour that turns into a mid grey on a copier.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from desktop_app.services.handouts.fonts import BOLD, REGULAR, register_fonts

PAPERS: dict[str, tuple[float, float]] = {"A4": A4, "A5": A5}

INK = colors.Color(0.10, 0.10, 0.10)
MUTED = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.55, 0.55, 0.55)
ACCENT = colors.Color(0.62, 0.11, 0.09)  # a deep vermilion: prints as dark grey in B/W
TINT = colors.Color(0.94, 0.94, 0.94)  # box backgrounds: light enough to photocopy cleanly
WHITE = colors.white


@dataclass(frozen=True)
class Layout:
    paper: str
    page_width: float
    page_height: float
    left: float
    right: float
    top: float
    bottom: float
    landscape: bool = False

    @property
    def frame_width(self) -> float:
        return self.page_width - self.left - self.right

    @property
    def frame_height(self) -> float:
        return self.page_height - self.top - self.bottom


def layout_for(paper: str, *, landscape: bool = False) -> Layout:
    """Page and margins; a landscape page (the sign-in sheet) keeps the portrait margins'
    sizes for its sides and its foot, so the footer sits where it always does."""
    width, height = PAPERS[paper]
    if landscape:
        width, height = height, width
    if paper == "A5":
        return Layout(paper, width, height, 14 * mm, 14 * mm, 14 * mm, 20 * mm, landscape)
    return Layout(paper, width, height, 20 * mm, 20 * mm, 18 * mm, 24 * mm, landscape)


@dataclass(frozen=True)
class Styles:
    layout: Layout
    title: ParagraphStyle
    subtitle: ParagraphStyle
    kicker: ParagraphStyle
    meta: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    bullet: ParagraphStyle
    step: ParagraphStyle
    step_number: ParagraphStyle
    key_point: ParagraphStyle
    box_heading: ParagraphStyle
    caption: ParagraphStyle
    quote: ParagraphStyle
    quote_source: ParagraphStyle
    table_head: ParagraphStyle
    table_cell: ParagraphStyle
    table_num: ParagraphStyle
    footer: ParagraphStyle
    cover_kicker: ParagraphStyle
    cover_title: ParagraphStyle
    cover_meta: ParagraphStyle
    toc_heading: ParagraphStyle
    toc_entry: ParagraphStyle
    placeholder: ParagraphStyle


def _style(name: str, size: float, leading: float, **kw: object) -> ParagraphStyle:
    base: dict[str, object] = {
        "fontName": REGULAR,
        "fontSize": size,
        "leading": leading,
        "textColor": INK,
        "wordWrap": "CJK",
        "alignment": TA_LEFT,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


def make_styles(paper: str = "A4", *, landscape: bool = False) -> Styles:
    register_fonts()
    layout = layout_for(paper, landscape=landscape)
    small = paper == "A5"
    title_size = 20 if small else 24
    return Styles(
        layout=layout,
        title=_style("title", title_size, title_size * 1.3, fontName=BOLD, spaceAfter=4),
        subtitle=_style("subtitle", 13, 19, textColor=MUTED),
        kicker=_style("kicker", 10.5, 15, fontName=BOLD, textColor=ACCENT),
        meta=_style("meta", 10.5, 16, textColor=MUTED),
        h1=_style("h1", 15, 21, fontName=BOLD, spaceBefore=12, spaceAfter=6),
        h2=_style("h2", 12.5, 18, fontName=BOLD, spaceBefore=8, spaceAfter=3),
        body=_style("body", 11, 18.5, alignment=TA_JUSTIFY, spaceAfter=4),
        bullet=_style(
            "bullet",
            11,
            18.5,
            alignment=TA_JUSTIFY,
            leftIndent=15,
            bulletIndent=1,
            bulletFontName=BOLD,
            bulletFontSize=11,
            spaceAfter=2,
        ),
        step=_style("step", 12, 20.5, alignment=TA_JUSTIFY),
        step_number=_style(
            "step_number", 15, 18, fontName=BOLD, textColor=WHITE, alignment=TA_CENTER
        ),
        key_point=_style(
            "key_point",
            12.5,
            21,
            leftIndent=20,
            bulletIndent=1,
            bulletFontName=BOLD,
            bulletFontSize=12.5,
            spaceAfter=2,
        ),
        box_heading=_style("box_heading", 13, 18, fontName=BOLD, spaceAfter=5),
        caption=_style("caption", 9.5, 13.5, textColor=MUTED, alignment=TA_CENTER),
        quote=_style("quote", 11.5, 19.5, alignment=TA_JUSTIFY, leftIndent=14),
        quote_source=_style(
            "quote_source", 10.5, 16, textColor=MUTED, alignment=TA_RIGHT, spaceAfter=6
        ),
        table_head=_style("table_head", 10.5, 15, fontName=BOLD),
        table_cell=_style("table_cell", 10.5, 15.5),
        table_num=_style("table_num", 10.5, 15.5, alignment=TA_RIGHT),
        footer=_style("footer", 8.5, 11, textColor=MUTED),
        cover_kicker=_style(
            "cover_kicker", 14, 20, fontName=BOLD, textColor=ACCENT, alignment=TA_LEFT
        ),
        cover_title=_style(
            "cover_title", 26 if small else 34, (26 if small else 34) * 1.3, fontName=BOLD
        ),
        cover_meta=_style("cover_meta", 12, 20, textColor=INK),
        toc_heading=_style("toc_heading", 18, 24, fontName=BOLD, spaceAfter=10),
        toc_entry=_style("toc_entry", 12, 22),
        placeholder=_style("placeholder", 9.5, 13, textColor=MUTED, alignment=TA_CENTER),
    )
