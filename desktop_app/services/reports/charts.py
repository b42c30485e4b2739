"""Bar charts for the printed reports, drawn with ReportLab's vector graphics.

Vector drawings print sharp at any size and keep their Chinese labels as text (searchable,
and checked by the tests with pdftotext). Every string uses the bundled Noto Sans SC, so no
unembedded Helvetica reference is left in the PDF. One restrained colour per figure, dark
enough to stay readable on a black-and-white photocopy, with the value printed on each bar so
the chart does not depend on colour at all.
"""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from desktop_app.services.handouts.fonts import BOLD, REGULAR, register_fonts
from desktop_app.services.handouts.styles import INK, MUTED, RULE

SESSIONS_COLOUR = colors.Color(0.62, 0.11, 0.09)  # the handouts' accent
TRAINEES_COLOUR = colors.Color(0.16, 0.33, 0.55)
TITLE_SIZE = 10.5
LABEL_SIZE = 7.5


def _nice_max(value: float) -> tuple[float, float]:
    """An axis maximum and step that give round tick labels (0, 5, 10... or 0, 200, 400...)."""
    top = max(value, 1.0)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 6:
            return step * -(-top // step), float(step)
    step = 10 ** len(str(int(top // 6)))
    return step * -(-top // step), float(step)


def _style_axes(chart: VerticalBarChart | HorizontalBarChart, top: float, step: float) -> None:
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontSize = LABEL_SIZE
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = colors.Color(0.85, 0.85, 0.85)
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.labelTextFormat = "%d"
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.strokeColor = RULE
    chart.barLabels.fontName = REGULAR
    chart.barLabels.fontSize = LABEL_SIZE - 0.5
    chart.barLabels.fillColor = INK
    chart.barLabelFormat = _value_label


def _value_label(value: float) -> str:
    return f"{value:g}" if value else ""


def _drawing(width: float, height: float) -> Drawing:
    # The renderer starts every drawing in its initial font: Helvetica unless told otherwise,
    # which would leave an unembedded font reference in the PDF.
    return Drawing(width, height, initialFontName=REGULAR, initialFontSize=LABEL_SIZE)


def _title(drawing: Drawing, text: str, width: float, height: float) -> None:
    drawing.add(
        String(0, height - TITLE_SIZE, text, fontName=BOLD, fontSize=TITLE_SIZE, fillColor=INK)
    )


def column_chart(
    title: str,
    labels: list[str],
    values: list[float],
    *,
    width: float,
    height: float,
    colour: colors.Color = SESSIONS_COLOUR,
) -> Drawing:
    """Vertical bars, one per label (months of a period), the value on each bar."""
    register_fonts()
    drawing = _drawing(width, height)
    _title(drawing, title, width, height)
    chart = VerticalBarChart()
    slanted = len(labels) > 8
    chart.x = 30
    chart.y = 30 if slanted else 16
    chart.width = width - chart.x - 6
    chart.height = height - chart.y - TITLE_SIZE - 14
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = list(labels) or [""]
    top, step = _nice_max(max(values, default=0))
    _style_axes(chart, top, step)
    if slanted:
        chart.categoryAxis.labels.angle = 40
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx = 4
    chart.barLabels.nudge = 6
    widest = max(
        (stringWidth(_value_label(v), REGULAR, LABEL_SIZE - 0.5) for v in values), default=0
    )
    if widest > chart.width / max(1, len(values)) - 2:
        # Values wider than their bars would run into each other: the axis says enough.
        chart.barLabelFormat = None
    chart.bars[0].fillColor = colour
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 6 if len(labels) < 15 else 3
    drawing.add(chart)
    return drawing


def bar_chart(
    title: str,
    labels: list[str],
    values: list[float],
    *,
    width: float,
    colour: colors.Color = SESSIONS_COLOUR,
    row_height: float = 14,
) -> Drawing:
    """Horizontal bars, first label on top (teams, longest names fit on the left)."""
    register_fonts()
    names = list(labels) or [""]
    label_width = max(stringWidth(n, REGULAR, LABEL_SIZE) for n in names) + 6
    height = TITLE_SIZE + 14 + 16 + row_height * len(names)
    drawing = _drawing(width, height)
    _title(drawing, title, width, height)
    chart = HorizontalBarChart()
    chart.x = min(label_width, width * 0.45)
    chart.y = 16
    chart.width = width - chart.x - 24
    chart.height = row_height * len(names)
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.reverseDirection = 1
    top, step = _nice_max(max(values, default=0))
    _style_axes(chart, top, step)
    chart.barLabels.nudge = 8
    chart.bars[0].fillColor = colour
    chart.bars[0].strokeColor = None
    chart.barSpacing = 1
    chart.groupSpacing = 4
    drawing.add(chart)
    return drawing
