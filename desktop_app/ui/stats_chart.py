"""A bar chart widget drawn with QPainter: months (or groups) along the bottom, a value on top.

No QtCharts (deprecated, and not in PySide6-Essentials) and no matplotlib: a few rectangles,
lines and labels painted in the window's own font, so Chinese labels look like the rest of the
app. Clicking a bar emits `barClicked(index)`; the statistics window then lists the sessions
behind it. The widget paints whatever it is given and keeps no link to the library.

Everything is laid out from the font's metrics, so the chart reads the same at every text size
(issue 17: at 18 pt its slanted month labels ran off the left edge). The value axis is as wide
as its widest number; the labels under the bars stand upright when they fit their bars, are
turned (45°, then 90°) when they do not, and when even that is too crowded only every second
(third, …) bar is labelled, evenly; a label too long for the room is shortened with "…" (the
tooltip and the sessions list give it whole). The chart reports where it put its texts
(`text_rects`, `axis_labels`) so a test can measure what a user would see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop_app.ui import appearance

SESSIONS_COLOUR = QColor(158, 28, 23)  # the handouts' accent
TRAINEES_COLOUR = QColor(41, 84, 140)

EDGE = 4.0  # nothing is painted nearer the widget's edge than this (px)
ANGLES = (0, 45, 90)  # label angles tried, upright first
LABEL_SHARE = 0.4  # the labels under the bars take at most this share of the chart's height
MIN_LABEL_EMS = 2.0  # a label is not shortened below this many ems ("教育…")


def nice_top(value: float) -> tuple[float, float]:
    """An axis maximum and a step giving round tick labels (the PDFs' charts use the same)."""
    top = max(value, 1.0)
    for tick in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / tick <= 5:
            return tick * -(-top // tick), float(tick)
    step = float(10 ** len(str(int(top // 5))))
    return step * -(-top // step), step


@dataclass
class _Label:
    index: int
    text: str
    transform: QTransform  # from the label's own box (right end at the origin) to the widget
    box: QRectF  # the text's box before `transform`

    def shape(self) -> QPolygonF:
        return self.transform.map(QPolygonF(self.box))


@dataclass
class _Layout:
    """Where each part of the chart goes, for one size, font and data."""

    title: QRectF
    title_text: str
    plot: QRectF
    angle: int = 0
    ticks: list[tuple[float, str, QRectF]] = field(default_factory=list)  # y, text, box
    bars: list[QRectF] = field(default_factory=list)
    values: list[tuple[str, QRectF]] = field(default_factory=list)
    labels: list[_Label] = field(default_factory=list)


class BarChart(QWidget):
    barClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stats_chart")
        self.title = ""
        self.labels: list[str] = []
        self.values: list[float] = []
        self.colour = SESSIONS_COLOUR
        self.selected: int | None = None
        self._layout: _Layout | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- size -------------------------------------------------------------------------------

    def _em_line(self) -> tuple[float, float]:
        metrics = QFontMetricsF(self.font())
        return metrics.horizontalAdvance("中"), metrics.height()

    def sizeHint(self) -> QSize:
        em, line = self._em_line()
        return QSize(int(26 * em), int(12 * line))

    def minimumSizeHint(self) -> QSize:
        # A title, a value row, a plot a few lines high and the labels under it.
        em, line = self._em_line()
        return QSize(int(14 * em), int(8 * line))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()  # the size hints follow the text size
        super().changeEvent(event)

    # --- data -------------------------------------------------------------------------------

    def set_data(
        self, title: str, labels: list[str], values: Sequence[float], colour: QColor
    ) -> None:
        self.title = title
        self.labels = list(labels)
        self.values = [float(v) for v in values]
        self.colour = colour
        self.selected = None
        self._layout = None
        self.update()

    # --- what was painted where (for clicks, tooltips and tests) ----------------------------

    def bar_rects(self) -> list[QRectF]:
        """Where each bar was painted last."""
        return list(self._layout.bars) if self._layout else []

    @property
    def label_angle(self) -> int:
        """How far the labels under the bars were turned when last painted (degrees)."""
        return self._layout.angle if self._layout else 0

    def axis_labels(self) -> list[tuple[int, QPolygonF]]:
        """The bar labels painted last: the bar's index and the label's outline (turned)."""
        return [(lb.index, lb.shape()) for lb in self._layout.labels] if self._layout else []

    def text_rects(self) -> list[tuple[str, QRectF]]:
        """Every text painted last, named, with the rectangle that holds it."""
        out = []
        if self._layout is None:
            return []
        if self._layout.title_text:
            out.append(("title", self._layout.title))
        out += [(f"tick {text}", box) for _y, text, box in self._layout.ticks if text]
        out += [(f"value {text}", box) for text, box in self._layout.values]
        out += [(f"label {lb.text}", lb.shape().boundingRect()) for lb in self._layout.labels]
        return out

    def bar_at(self, point: QPoint) -> int | None:
        for i, rect in enumerate(self.bar_rects()):
            # The whole column above a bar counts, so a bar of 0 can be clicked too.
            column = QRectF(rect.left(), 0, rect.width(), rect.bottom())
            if column.contains(point.toPointF()):
                return i
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position().toPoint())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.selected = index
            self.update()
            self.barClicked.emit(index)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position().toPoint())
        if index is None:
            QToolTip.hideText()
        else:
            text = f"{self.labels[index]}: {self.values[index]:g}"
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        super().mouseMoveEvent(event)

    # --- layout -----------------------------------------------------------------------------

    def _title_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def layout_chart(self) -> _Layout:
        """Lay the chart out for the widget's present size, font and data."""
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        gap = max(2.0, round(line / 4))
        width, height = float(self.width()), float(self.height())
        title_metrics = QFontMetricsF(self._title_font())
        title_text = title_metrics.elidedText(
            self.title, Qt.TextElideMode.ElideRight, max(0.0, width - 2 * EDGE)
        )
        title = QRectF(EDGE, EDGE, width - 2 * EDGE, title_metrics.height())
        top_y = title.bottom() + gap + line  # a row for the number over the tallest bar
        empty = _Layout(title, title_text, QRectF(EDGE, top_y, 0, 0))
        if not self.values:
            return empty
        top, step = nice_top(max(self.values))
        ticks = [f"{step * k:g}" for k in range(int(top / step) + 1)]
        axis_w = max(metrics.horizontalAdvance(t) for t in ticks)
        # The bottom tick's number reaches half a line under the axis: the labels start below.
        labels_top_gap = line / 2 + gap
        band_room = max(line, height * LABEL_SHARE)
        base_left = EDGE + axis_w + gap
        placed = self._place_labels(metrics, base_left, width, band_room)
        if placed is None:
            return empty
        left, right, angle, band, labels = placed
        plot = QRectF(left, top_y, right - left, height - EDGE - band - labels_top_gap - top_y)
        if plot.height() < line + 2 or plot.width() < len(self.values):
            return empty
        out = _Layout(title, title_text, plot, angle)
        # Every grid line is drawn; where they are closer than a line of text, only every
        # second (…) one is numbered.
        spacing = plot.height() / max(1, len(ticks) - 1)
        numbered = math.ceil((line + 2) / spacing)
        for k, text in enumerate(ticks):
            y = plot.bottom() - spacing * k
            shown = text if k % numbered == 0 else ""
            out.ticks.append((y, shown, QRectF(EDGE, y - line / 2, axis_w, line)))
        slot = plot.width() / len(self.values)
        bar_w = max(2.0, slot * 0.7)
        for i, value in enumerate(self.values):
            bar_h = plot.height() * value / top
            x = plot.left() + slot * i + (slot - bar_w) / 2
            bar = QRectF(x, plot.bottom() - bar_h, bar_w, bar_h)
            out.bars.append(bar)
            text = f"{value:g}"
            text_w = metrics.horizontalAdvance(text)
            if value and text_w <= slot - 2:
                centre = x + bar_w / 2
                out.values.append(
                    (text, QRectF(centre - text_w / 2, bar.top() - line, text_w, line))
                )
        label_y = plot.bottom() + labels_top_gap
        for lb in labels:
            centre = plot.left() + slot * (lb.index + 0.5)
            lb.transform = lb.transform * QTransform.fromTranslate(centre, label_y)
        out.labels = labels
        return out

    def _place_labels(
        self,
        metrics: QFontMetricsF,
        base_left: float,
        width: float,
        band_room: float,
    ) -> tuple[float, float, int, float, list[_Label]] | None:
        """The plot's left and right edges, the labels' angle, the height they take and the
        labels themselves (each placed relative to its bar's centre on the axis line).

        Tried in order: every label whole at 0°, 45°, 90°, then every label with the long
        ones shortened; then the same for every second label, and so on: a label for each
        bar matters more than a whole one (the tooltip has it whole)."""
        n = len(self.labels)
        line = metrics.height()
        gap = max(2.0, round(line / 4))
        for every in range(1, n + 1):
            for shorten in (False, True):
                for angle in ANGLES:
                    placed = self._try(
                        metrics, base_left, width, band_room, every, angle, shorten, gap
                    )
                    if placed is not None:
                        return placed
        return None

    def _try(
        self,
        metrics: QFontMetricsF,
        base_left: float,
        width: float,
        band_room: float,
        every: int,
        angle: int,
        shorten: bool,
        gap: float,
    ) -> tuple[float, float, int, float, list[_Label]] | None:
        n = len(self.labels)
        line = metrics.height()
        sin, cos = math.sin(math.radians(angle)), math.cos(math.radians(angle))
        # How long a label may be: a turned one as long as the band allows.
        longest = math.inf if angle == 0 else (band_room - line * cos) / sin
        if angle and longest < MIN_LABEL_EMS * metrics.horizontalAdvance("中"):
            return None
        labels: list[_Label] = []
        for i in range(0, n, every):
            text = self.labels[i]
            if metrics.horizontalAdvance(text) > longest:
                if not shorten:
                    return None
                text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, longest)
            text_w = metrics.horizontalAdvance(text)
            # Upright: centred under the bar; turned: its right end at the bar's centre.
            box = QRectF(-text_w if angle else -text_w / 2, -line / 2, text_w, line)
            turn = QTransform().rotate(-angle)
            lift = turn.map(QPolygonF(box)).boundingRect().top()
            labels.append(_Label(i, text, turn * QTransform.fromTranslate(0, -lift), box))
        extents = [lb.shape().boundingRect() for lb in labels]
        band = max(r.height() for r in extents)
        if band > band_room:
            return None
        # Widen the margins until the first and last labels stay inside the widget.
        left, right = base_left, width - EDGE
        for _round in range(8):
            slot = (right - left) / n
            if slot <= 0:
                return None
            left = max(
                [base_left]
                + [
                    EDGE - slot * (lb.index + 0.5) - r.left()
                    for lb, r in zip(labels, extents, strict=True)
                ]
            )
            right = min(
                [width - EDGE]
                + [
                    width - EDGE - r.right() + slot * (n - lb.index - 0.5)
                    for lb, r in zip(labels, extents, strict=True)
                ]
            )
        slot = (right - left) / n
        if slot <= 0:
            return None
        for lb, r in zip(labels, extents, strict=True):
            centre = left + slot * (lb.index + 0.5)
            if centre + r.left() < EDGE - 0.5 or centre + r.right() > width - EDGE + 0.5:
                return None
        # Neighbours apart: side by side when upright, parallel strips when turned.
        spacing = slot * every
        for a, b in pairwise(labels):
            if angle == 0:
                if spacing < a.box.width() / 2 + b.box.width() / 2 + gap:
                    return None
            elif spacing * sin < line + 1:
                return None
        return left, right, angle, band, labels

    # --- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        layout = self._layout = self.layout_chart()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.windowText().color()
        # In high contrast the grid is as dark as the text (the palette's Mid is black) and
        # every bar has an outline, so nothing is grey on grey in the sun.
        strong = appearance.high_contrast()
        grid_pen = QPen(palette.mid().color(), 1.0 if strong else 0.6)
        painter.fillRect(self.rect(), palette.base())
        painter.setFont(self._title_font())
        painter.setPen(text_colour)
        painter.drawText(layout.title, Qt.AlignmentFlag.AlignLeft, layout.title_text)
        painter.setFont(self.font())
        plot = layout.plot
        for y, text, box in layout.ticks:
            painter.setPen(grid_pen)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text_colour)
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        for i, bar in enumerate(layout.bars):
            colour = self.colour.darker(140) if i == self.selected else self.colour
            painter.fillRect(bar, colour)
            if strong and bar.height() > 0:
                painter.setPen(QPen(text_colour, 3 if i == self.selected else 1))
                painter.drawRect(bar)
        painter.setPen(text_colour)
        for text, box in layout.values:
            painter.drawText(
                box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, text
            )
        for lb in layout.labels:
            painter.save()
            painter.setTransform(lb.transform, combine=True)
            painter.drawText(lb.box, Qt.AlignmentFlag.AlignCenter, lb.text)
            painter.restore()
        if layout.bars:
            painter.setPen(QPen(text_colour, 1))
            painter.drawLine(
                QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom())
            )
        painter.end()
