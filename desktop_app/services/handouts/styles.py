"""Paper sizes, margins and paragraph styles for every handout.

Chosen for trainees reading on paper, outdoors, often from a black-and-white photocopy: body
text 11 pt and steps 12 pt with generous leading, headings set apart by weight and rules rather
than by colour alone, one restrained accent colour that turns into a mid grey on a copier.
A compact level (`make_styles(compact=1|2)`) tightens leading and spacing, never type sizes, so
a guide that spills a few lines onto a third page fits both sides of one sheet instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    # 0: the usual spacing; 1 and 2: tighter lines, spaces and photos, to save a sheet of
    # paper (a guide fitted to both sides of one A4 sheet). Type sizes never change.
    compact: int = 0


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


# Per compact level: leading as a share of the usual one (never under MIN_LEADING × the type
# size), and space before and after paragraphs as a share of the usual.
LEADING_SHARE = (1.0, 0.9, 0.84)
SPACE_SHARE = (1.0, 0.6, 0.4)
MIN_LEADING = 1.4  # lines stay easy to follow: 11 pt type on 15.4 pt lines at the tightest
COMPACT_LEVELS = len(LEADING_SHARE)


def make_styles(paper: str = "A4", *, landscape: bool = False, compact: int = 0) -> Styles:
    styles = _make_styles(paper, landscape=landscape)
    if not compact:
        return styles
    lead, space = LEADING_SHARE[compact], SPACE_SHARE[compact]
    tightened: dict[str, object] = {"compact": compact}
    for name in ("body", "bullet", "step", "key_point", "h1", "h2", "meta", "box_heading"):
        style: ParagraphStyle = getattr(styles, name)
        tightened[name] = style.clone(
            f"{name}_c{compact}",
            leading=max(style.leading * lead, style.fontSize * MIN_LEADING),
            spaceBefore=style.spaceBefore * space,
            spaceAfter=style.spaceAfter * space,
        )
    return replace(styles, **tightened)  # type: ignore[arg-type]


def _make_styles(paper: str = "A4", *, landscape: bool = False) -> Styles:
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
