"""Building blocks shared by the guide handout, the session report and the packs.

Everything the user typed goes through `esc()` (or `emphasise()`) before it reaches a
`Paragraph`, so `<`, `&`, `<b>` or `</para>` print literally instead of being read as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Paragraph
from reportlab.platypus.flowables import _listWrapOn

from desktop_app.services.handouts.fonts import BOLD
from desktop_app.services.handouts.photos import PhotoSlot
from desktop_app.services.handouts.styles import INK, MUTED, RULE, TINT, WHITE, Styles

# A number, a range (3到5, 0.5至1, 3∶1, 6–9) and its unit or measure word: the figures a trainee
# must remember. They are set in bold so they survive a grey photocopy.
_NUMBER = r"\d+(?:\.\d+)?"
_UNITS = (
    r"个|根|株|枝|片|次|遍|倍|度|°|℃|%|％|‰|厘米|毫米|公分|米|cm|mm|kg|mg|ml|mL|m|g|L|克|千克|"
    r"公斤|毫升|升|天|日|周|个月|月|年|小时|分钟|秒|头|只|管|人|级"
)
_DIGITS = rf"{_NUMBER}(?:\s*(?:到|至|~|～|-|–|—|∶|:|/|比)\s*{_NUMBER})?\s*(?:{_UNITS})?"
# The same figures written in Chinese (两周, 三到五个, 三分之一, 第一或第二片, 半个月). A Chinese
# numeral counts only with a unit after it (or as a fraction): 一 alone is in too many words
# (一般, 统一) to be a figure.
_CN = r"[零〇一二两三四五六七八九十百千万半]"
_CN_UNITS = (
    r"个月|个|根|株|枝|片|次|遍|倍|度|厘米|毫米|公分|米|克|千克|公斤|毫升|升|天|日|周|月|年|"
    r"小时|分钟|秒|头|只|管|人|级|芽|节|刀"
)
_CN_FIGURE = (
    rf"{_CN}+分之{_CN}+"  # 三分之一
    rf"|第{_CN}+(?:\s*(?:或|到|至|、|和)\s*第?{_CN}+)*(?:{_CN_UNITS})"  # 第一或第二片
    # 两周, 三到五个; not 上一年 / 这一次 / 同一天, where 一 is no amount.
    rf"|(?<![上下前去同这那哪每])"
    rf"{_CN}+(?:\s*(?:到|至|或|、)\s*{_CN}+)?(?:{_CN_UNITS})"
)
_KEY_NUMBER = re.compile(rf"{_CN_FIGURE}|{_DIGITS}")


def esc(text: str) -> str:
    """User text made safe for a Paragraph; line breaks are kept."""
    return escape(text.strip()).replace("\r\n", "\n").replace("\n", "<br/>")


def emphasise(text: str) -> str:
    """Escaped text with its key numbers in bold."""
    return _KEY_NUMBER.sub(lambda m: f"<b>{m.group(0)}</b>", esc(text))


class Spacer(Flowable):  # type: ignore[misc]
    """Vertical space that shrinks to what is left at the foot of a page.

    ReportLab's own Spacer, when it does not fit, moves whole to the top of the next page and
    pushes the content down there.
    """

    def __init__(self, height: float) -> None:
        super().__init__()
        self.height = height
        self.width = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, min(self.height, availHeight)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return []

    def draw(self) -> None:
        pass


class Rule(Flowable):  # type: ignore[misc]
    """A horizontal line across the frame."""

    def __init__(self, thickness: float = 0.6, color: Any = RULE, space: float = 4) -> None:
        super().__init__()
        self.thickness = thickness
        self.color = color
        self.space = space

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, self.thickness + 2 * self.space

    def draw(self) -> None:
        self.canv.setStrokeColor(self.color)
        self.canv.setLineWidth(self.thickness)
        y = self.space + self.thickness / 2
        self.canv.line(0, y, self.width, y)


class SectionHeading(Flowable):  # type: ignore[misc]
    """A section title with a short heavy bar before it; never left alone at a page bottom."""

    def __init__(self, text: str, styles: Styles, *, marker: str = "") -> None:
        super().__init__()
        self.styles = styles
        label = f"{marker} {escape(text)}" if marker else escape(text)
        self.para = Paragraph(label, styles.h1)
        self.keepWithNext = True
        self.text = text

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        _w, h = self.para.wrap(availWidth - 10, availHeight)
        self.width = availWidth
        self.height = h + 4
        return availWidth, self.height

    def getSpaceBefore(self) -> float:
        return float(self.styles.h1.spaceBefore)

    def getSpaceAfter(self) -> float:
        return float(self.styles.h1.spaceAfter)

    def draw(self) -> None:
        c = self.canv
        size = self.styles.h1.fontSize
        c.setFillColor(INK)
        c.rect(0, 4 + (self.height - 4 - size) / 2 - 1, 4, size + 2, stroke=0, fill=1)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(10, 0.5, self.width, 0.5)
        self.para.drawOn(c, 10, 4)


class Boxed(Flowable):  # type: ignore[misc]
    """Flowables inside a bordered, tinted box that can continue on the next page.

    Used for 要点 and 安全提示: the border (not the colour) marks the box, so it still stands
    out on a black-and-white copy. `left_bar` draws only a grey bar at the left (quotes);
    `framed=False` draws nothing and only keeps its content together (`with_heading`). `keep`
    is how many leading items may not end a page alone.
    """

    def __init__(
        self,
        content: Sequence[Flowable],
        *,
        border: float = 1.6,
        padding: float = 9,
        background: Any = TINT,
        double: bool = False,
        left_bar: bool = False,
        framed: bool = True,
        keep: int = 0,
    ) -> None:
        super().__init__()
        self.left_bar = left_bar
        self.framed = framed
        # How many leading items may not end a page on their own (a heading: 1).
        self.keep = keep
        self.content = list(content)
        self.border = border
        self.padding = padding
        self.background = background
        self.double = double
        self._heights: list[float] = []

    def _inner(self, availWidth: float) -> float:
        return availWidth - 2 * (self.padding + self.border)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        inner = self._inner(availWidth)
        _w, h = _listWrapOn(self.content, inner, self.canv)
        self.width = availWidth
        self.height = h + 2 * (self.padding + self.border)
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        inner_w = self._inner(availWidth)
        room = availHeight - 2 * (self.padding + self.border)
        if room <= 30:
            return []
        first: list[Flowable] = []
        used = 0.0
        partial = False
        rest = list(self.content)
        while rest:
            f = rest[0]
            _w, h = f.wrapOn(self.canv, inner_w, room - used)
            gap = f.getSpaceBefore() if first else 0
            if used + gap + h <= room:
                first.append(f)
                used += gap + h + f.getSpaceAfter()
                rest.pop(0)
                continue
            parts = f.splitOn(self.canv, inner_w, room - used - gap)
            if parts and len(parts) > 1:
                first.append(parts[0])
                rest = list(parts[1:]) + rest[1:]
                partial = True
            break
        if not first or not rest or (len(first) <= self.keep and not partial):
            return []
        return [
            self._copy(first, first_part=True),
            self._copy(rest, first_part=False),
        ]

    def _copy(self, content: list[Flowable], *, first_part: bool) -> Boxed:
        return Boxed(
            content,
            border=self.border,
            padding=self.padding,
            background=self.background,
            double=self.double,
            left_bar=self.left_bar,
            framed=self.framed,
            # The rest of a split box may start a page with whatever it holds.
            keep=self.keep if first_part else 0,
        )

    def getSpaceBefore(self) -> float:
        if not self.framed and self.content:
            return float(self.content[0].getSpaceBefore())
        return float(super().getSpaceBefore())

    def getSpaceAfter(self) -> float:
        if not self.framed and self.content:
            return float(self.content[-1].getSpaceAfter())
        return float(super().getSpaceAfter())

    def draw(self) -> None:
        c = self.canv
        if not self.framed:
            self._draw_content()
            return
        if self.left_bar:
            c.saveState()
            c.setFillColor(RULE)
            c.rect(0, 0, self.border, self.height, stroke=0, fill=1)
            c.restoreState()
            self._draw_content()
            return
        c.saveState()
        c.setFillColor(self.background)
        c.setStrokeColor(INK)
        c.setLineWidth(self.border)
        half = self.border / 2
        c.roundRect(
            half, half, self.width - self.border, self.height - self.border, 3, stroke=1, fill=1
        )
        if self.double:
            c.setLineWidth(0.5)
            inset = self.border + 2.2
            c.roundRect(
                inset, inset, self.width - 2 * inset, self.height - 2 * inset, 2, stroke=1, fill=0
            )
        c.restoreState()
        self._draw_content()

    def _draw_content(self) -> None:
        c = self.canv
        inner = self._inner(self.width)
        y = self.height - self.border - self.padding
        for i, f in enumerate(self.content):
            _w, h = f.wrapOn(c, inner, y)
            if i:
                y -= f.getSpaceBefore()
            y -= h
            f.drawOn(c, self.border + self.padding, y)
            y -= f.getSpaceAfter()


def with_heading(heading: Flowable, first: Flowable) -> Boxed:
    """A heading and the start of what follows it: they move to the next page together, but
    a long text after the heading still begins on this page and runs on (orphan control that,
    unlike ReportLab's keepWithNext, does not push a very long section to a new page)."""
    return Boxed([heading, first], border=0, padding=0, framed=False, keep=1)


def section(heading: Flowable, body: list[Flowable]) -> list[Flowable]:
    """A heading followed by its flowables, the heading never alone at the foot of a page."""
    if not body:
        return [heading]
    return [with_heading(heading, body[0]), *body[1:]]


class NumberedStep(Paragraph):  # type: ignore[misc]
    """A step paragraph whose number sits in a dark badge in the left margin."""

    badge_width = 22.0

    def draw(self) -> None:
        if self.bulletText:
            c = self.canv
            c.saveState()
            c.setFillColor(INK)
            # ReportLab puts the first baseline one font size below the top; the badge is
            # centred on the digits' height around it.
            size = self.style.fontSize
            baseline = self.height - size
            c.roundRect(
                0, baseline - 0.35 * size, self.badge_width, 1.4 * size, 3, stroke=0, fill=1
            )
            c.restoreState()
        super().draw()


def risk_label(label: str) -> str:
    """The ⚠ mark of a risky step: white on a black band, a warning on a grey photocopy too."""
    nbsp = "\u00a0"
    mark = f"{nbsp}⚠{nbsp}{escape(label)}{nbsp}"
    return f'<font backColor="#000000" color="#ffffff"><b>{mark}</b></font>'


def step_paragraph(number: int, text: str, styles: Styles, *, risk: str = "") -> NumberedStep:
    """A numbered step; `risk` (a translated label, e.g. 危险作业) marks it risky with ⚠."""
    style = styles.step.clone(
        "step_n",
        leftIndent=NumberedStep.badge_width + 8,
        bulletIndent=NumberedStep.badge_width / 2,
        bulletAnchor="middle",
        bulletFontName=BOLD,
        bulletFontSize=12,
        bulletColor=WHITE,
    )
    body = emphasise(text)
    if risk:
        body = risk_label(risk) + " " + body
    return NumberedStep(body, style, bulletText=str(number))


class PhotoRow(Flowable):  # type: ignore[misc]
    """Up to N photos side by side, captions underneath.

    `flow=False` (the report's grid): each photo centred in a cell of fixed width.
    `flow=True` (a step's photos): photos one after the other from the left with a fixed gap,
    so a portrait next to a landscape photo does not leave a hole in the middle.
    """

    def __init__(
        self,
        slots: Sequence[PhotoSlot],
        styles: Styles,
        *,
        columns: int,
        indent: float = 0,
        gap: float = 8,
        captions: bool = True,
        flow: bool = False,
    ) -> None:
        super().__init__()
        self.slots = list(slots)
        self.styles = styles
        self.columns = columns
        self.indent = indent
        self.gap = gap
        self.captions = captions
        self.flow = flow
        self._caption_paras: list[Paragraph | None] = []

    def cell_width(self, availWidth: float) -> float:
        return (availWidth - self.indent - self.gap * (self.columns - 1)) / self.columns

    def _places(self, availWidth: float) -> list[tuple[float, float, float, float]]:
        """(left of the caption cell, caption width, photo width, photo height) per photo."""
        cell = self.cell_width(availWidth)
        places = []
        x = self.indent
        for i, slot in enumerate(self.slots):
            w, h = slot.display_size(cell)
            if self.flow:
                places.append((x, w, w, h))
                x += w + self.gap
            else:
                places.append((self.indent + i * (cell + self.gap), cell, w, h))
        return places

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._caption_paras = []
        height = 0.0
        for slot, (_x, cap_w, _w, h) in zip(self.slots, self._places(availWidth), strict=True):
            cap_h = 0.0
            cap: Paragraph | None = None
            text = slot.caption_text() if self.captions else ""
            if text:
                cap = Paragraph(esc(text), self.styles.caption)
                _cw, cap_h = cap.wrap(cap_w, availHeight)
                cap_h += 3
            self._caption_paras.append(cap)
            height = max(height, h + cap_h)
        self.width = availWidth
        self.height = height + 4
        return availWidth, self.height

    def draw(self) -> None:
        c = self.canv
        for i, (slot, (x0, cap_w, w, h)) in enumerate(
            zip(self.slots, self._places(self.width), strict=True)
        ):
            x = x0 + (cap_w - w) / 2
            y = self.height - h
            if slot.prepared is not None and slot.prepared.jpeg is not None:
                doc = getattr(c, "_doctemplate", None)
                if not getattr(doc, "first_pass", False):
                    c.drawImage(ImageReader(BytesIO(slot.prepared.jpeg)), x, y, w, h)
                c.setStrokeColor(RULE)
                c.setLineWidth(0.4)
                c.rect(x, y, w, h, stroke=1, fill=0)
            else:
                self._placeholder(x, y, w, h, slot)
            cap = self._caption_paras[i] if i < len(self._caption_paras) else None
            if cap is not None:
                _cw, ch = cap.wrap(cap_w, self.height)
                cap.drawOn(c, x0, y - 3 - ch)

    def _placeholder(self, x: float, y: float, w: float, h: float, slot: PhotoSlot) -> None:
        c = self.canv
        c.saveState()
        c.setFillColor(WHITE)
        c.setStrokeColor(MUTED)
        c.setLineWidth(1)
        c.setDash(4, 3)
        c.rect(x, y, w, h, stroke=1, fill=1)
        c.setDash()
        c.line(x, y, x + w, y + h)
        c.line(x, y + h, x + w, y)
        c.restoreState()
        label = Paragraph(
            f"<b>{escape(slot.missing_label)}</b><br/>{escape(slot.ref.name)}",
            self.styles.placeholder.clone("ph", backColor=WHITE),
        )
        _lw, lh = label.wrap(w - 16, h)
        label.drawOn(c, x + 8, y + (h - lh) / 2)


class Invisible(Flowable):  # type: ignore[misc]
    """A zero-size flowable that runs a callback with the canvas when it is placed."""

    def __init__(self, on_draw: Any) -> None:
        super().__init__()
        self.on_draw = on_draw
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.on_draw(self.canv)


class Bookmark(Flowable):  # type: ignore[misc]
    """An outline (bookmark) entry pointing at this place; also feeds the table of contents."""

    def __init__(self, title: str, key: str, level: int = 0, toc: bool = True) -> None:
        super().__init__()
        self.title = title
        self.key = key
        self.level = level
        self.toc = toc
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        c = self.canv
        c.bookmarkHorizontal(self.key, 0, 20)
        c.addOutlineEntry(self.title, self.key, level=self.level, closed=self.level > 0)
