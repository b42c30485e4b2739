"""The statistics chart's texts stay whole at every text size and in high contrast (issue 17).

The chart is painted by hand, so the dialog clipping check (which reads widgets' texts) cannot
see its labels: at 18 pt the slanted month labels ran off the chart's left edge. Here the chart
is painted at each text size, in both contrast modes and at the sizes the statistics window
gives it, and measured twice: by its pixels (nothing painted touches the widget's edges) and by
the places it reports for its texts (inside the widget, the axis labels apart from each other).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPolygonF
from PySide6.QtWidgets import QApplication

from desktop_app.ui import appearance
from desktop_app.ui.stats_chart import SESSIONS_COLOUR, BarChart

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
TEAMS = [
    "教育培训服务队",
    "焊接技术攻关小组",
    "李佳劳模创新工作室",
    "周宗宝数控加工服务队",
    "电工",
    "新能源汽车维修技能传承服务队",
    "安全生产宣讲团",
    "青年突击队",
    "装配钳工服务队",
    "质量检测服务队",
    "班组长培训队",
    "一",
    "机电一体化服务队",
    "化工操作服务队",
    "建筑施工服务队",
    "物流仓储服务队",
    "家政服务技能队",
    "餐饮服务技能队",
    "绿色能源服务队",
    "社区志愿服务队",
]
VALUES_12 = [3, 0, 5, 12, 7, 1, 0, 9, 4, 2, 11, 6]
SIZES = [(360, 220), (440, 300), (520, 240), (760, 320)]


@pytest.fixture(autouse=True)
def _restore_appearance(qapp: QApplication) -> Iterator[None]:
    """The application is shared by all tests: put its font, palette and sheet back."""
    font, palette = QApplication.font(), QApplication.palette()
    yield
    if appearance._state.filter is not None:
        qapp.removeEventFilter(appearance._state.filter)
    appearance._state = appearance._State()
    qapp.setStyleSheet("")
    QApplication.setPalette(palette)
    QApplication.setFont(font)


def _chart(qtbot: Any, labels: list[str], values: list[float], size: tuple[int, int]) -> BarChart:
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_data("每月活动次数", labels, values, SESSIONS_COLOUR)
    # The window's layout never makes the chart smaller than it asks for.
    least = chart.minimumSizeHint()
    chart.resize(max(size[0], least.width()), max(size[1], least.height()))
    return chart


def _ink_at_edges(image: QImage, background: QColor) -> list[str]:
    """Pixels on the widget's outermost rows and columns that are not background: a text (or
    anything else) that ran into the edge is cut off there."""
    w, h = image.width(), image.height()
    edges = [(0, y) for y in range(h)] + [(w - 1, y) for y in range(h)]
    edges += [(x, 0) for x in range(w)] + [(x, h - 1) for x in range(w)]
    return [f"({x},{y})" for x, y in edges if image.pixelColor(x, y) != background][:5]


CASES = [
    (size, contrast, labels, values)
    for size in (12, 18)
    for contrast in (False, True)
    for labels, values in (
        (MONTHS, VALUES_12),
        (TEAMS, [float(20 - i) for i in range(20)]),
        (MONTHS[:3], [4, 0, 2]),
    )
]


@pytest.mark.parametrize(("text_size", "contrast", "labels", "values"), CASES)
def test_chart_texts_stay_inside_and_apart(
    qtbot: Any, text_size: int, contrast: bool, labels: list[str], values: list[float]
) -> None:
    appearance.apply(text_size, contrast)
    for size in SIZES:
        chart = _chart(qtbot, labels, [float(v) for v in values], size)
        image = chart.grab().toImage()  # paints it
        where = f"{text_size} pt{' high contrast' if contrast else ''} {size} {labels[0]}"
        inked = _ink_at_edges(image, chart.palette().base().color())
        assert inked == [], f"{where}: painted on the edge at {inked}"
        inside = QRectF(chart.rect())
        texts = chart.text_rects()
        assert texts, where
        for name, rect in texts:
            assert inside.contains(rect), f"{where}: {name} {rect} is outside {inside}"
        # The numbers and the title apart from each other, and from every label.
        flat = [(name, rect) for name, rect in texts if not name.startswith("label")]
        for k, (name, rect) in enumerate(flat):
            for other, rect2 in flat[k + 1 :]:
                assert not rect.intersects(rect2), f"{where}: {name} overlaps {other}"
        shapes = chart.axis_labels()
        for i, shape in shapes:
            for name, rect in flat:
                assert not shape.intersects(QPolygonF(rect)), f"{where}: label {i} on {name}"
        assert shapes, f"{where}: no axis label"
        for (i, a), (j, b) in pairwise(shapes):
            assert i < j
            assert not a.intersects(b), f"{where}: labels {i} and {j} overlap"
        # Each bar's label either is shown or its bar is between two shown ones (thinned).
        shown = [i for i, _shape in shapes]
        assert shown[0] == 0
        gaps = [b - a for a, b in pairwise(shown)]
        assert len(set(gaps)) <= 1, f"{where}: labels thinned unevenly {shown}"
        assert len(chart.bar_rects()) == len(labels)


def test_labels_are_whole_when_they_fit_and_turned_or_thinned_when_not(qtbot: Any) -> None:
    appearance.apply(12, False)
    wide = _chart(qtbot, MONTHS, [float(v) for v in VALUES_12], (1400, 300))
    wide.grab()
    assert wide.label_angle == 0
    assert [i for i, _s in wide.axis_labels()] == list(range(12))
    appearance.apply(18, False)
    narrow = _chart(qtbot, MONTHS, [float(v) for v in VALUES_12], (360, 240))
    narrow.grab()
    assert narrow.label_angle != 0 or len(narrow.axis_labels()) < 12
