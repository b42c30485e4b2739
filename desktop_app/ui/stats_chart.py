"""A bar chart widget drawn with QPainter: months (or groups) along the bottom, a value on top.

No QtCharts (deprecated, and not in PySide6-Essentials) and no matplotlib: a few rectangles,
lines and labels painted in the window's own font, so Chinese labels look like the rest of the
app. Clicking a bar emits `barClicked(index)`; the statistics window then lists the sessions
behind it. The widget paints whatever it is given and keeps no link to the library.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

SESSIONS_COLOUR = QColor(158, 28, 23)  # the handouts' accent
TRAINEES_COLOUR = QColor(41, 84, 140)


def nice_top(value: float) -> tuple[float, float]:
    """An axis maximum and a step giving round tick labels (the PDFs' charts use the same)."""
    top = max(value, 1.0)
    for tick in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / tick <= 5:
            return tick * -(-top // tick), float(tick)
    step = float(10 ** len(str(int(top // 5))))
    return step * -(-top // step), step


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
        self._bars: list[QRectF] = []
        self.setMouseTracking(True)
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(520, 240)

    def set_data(
        self, title: str, labels: list[str], values: Sequence[float], colour: QColor
    ) -> None:
        self.title = title
        self.labels = list(labels)
        self.values = [float(v) for v in values]
        self.colour = colour
        self.selected = None
        self.update()

    def bar_rects(self) -> list[QRectF]:
        """Where each bar was painted last (for clicks, tooltips and tests)."""
        return list(self._bars)

    def bar_at(self, point: QPoint) -> int | None:
        for i, rect in enumerate(self._bars):
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

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.windowText().color()
        grid_colour = palette.mid().color()
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        painter.fillRect(self.rect(), palette.base())
        title_font = self.font()
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(text_colour)
        painter.drawText(
            QRectF(8, 4, self.width() - 16, line + 4), Qt.AlignmentFlag.AlignLeft, self.title
        )
        painter.setFont(self.font())
        self._bars = []
        if not self.values:
            painter.end()
            return
        top, step = nice_top(max(self.values))
        axis_w = metrics.horizontalAdvance(f"{top:g}") + 12
        slanted = any(
            metrics.horizontalAdvance(lb) > self.width() / max(1, len(self.labels)) - 4
            for lb in self.labels
        )
        label_h = line * (2 if slanted else 1) + 6
        plot = QRectF(
            axis_w + 4, line + 14, self.width() - axis_w - 12, self.height() - line - 20 - label_h
        )
        if plot.height() < 20 or plot.width() < 20:
            painter.end()
            return
        # Grid lines and their values.
        painter.setPen(QPen(grid_colour, 0.6))
        ticks = int(top / step)
        for k in range(ticks + 1):
            y = plot.bottom() - plot.height() * k / max(1, ticks)
            painter.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(0, y - line / 2, axis_w, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{step * k:g}",
            )
            painter.setPen(QPen(grid_colour, 0.6))
        slot = plot.width() / len(self.values)
        bar_w = max(2.0, slot * 0.7)
        for i, value in enumerate(self.values):
            height = plot.height() * value / top
            x = plot.left() + slot * i + (slot - bar_w) / 2
            rect = QRectF(x, plot.bottom() - height, bar_w, height)
            self._bars.append(rect)
            colour = self.colour.darker(140) if i == self.selected else self.colour
            painter.fillRect(rect, colour)
            painter.setPen(text_colour)
            if value and slot >= metrics.horizontalAdvance(f"{value:g}"):
                painter.drawText(
                    QRectF(x - slot, rect.top() - line - 1, bar_w + 2 * slot, line),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                    f"{value:g}",
                )
            label = self.labels[i]
            if slanted:
                painter.save()
                painter.translate(x + bar_w / 2, plot.bottom() + 4)
                painter.rotate(-35)
                painter.drawText(
                    QRectF(
                        -metrics.horizontalAdvance(label) - 2,
                        0,
                        metrics.horizontalAdvance(label) + 2,
                        line,
                    ),
                    Qt.AlignmentFlag.AlignRight,
                    label,
                )
                painter.restore()
            else:
                painter.drawText(
                    QRectF(plot.left() + slot * i, plot.bottom() + 3, slot, line),
                    Qt.AlignmentFlag.AlignHCenter,
                    label,
                )
        painter.setPen(QPen(text_colour, 1))
        painter.drawLine(
            int(plot.left()), int(plot.bottom()), int(plot.right()), int(plot.bottom())
        )
        painter.end()
