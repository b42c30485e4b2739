"""Record list columns at large text sizes (issue 17): widths follow the font, and only the
widths the user drags are remembered (ui/column_widths.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetrics, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView

from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library
from desktop_app.ui import appearance
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner
from tests.ui.clipping import clipped_texts

SECTIONS = ("team", "member", "guide", "session")


@pytest.fixture(autouse=True)
def _restore_font(qapp: QApplication) -> Iterator[None]:
    font, palette = QApplication.font(), QApplication.palette()
    yield
    if appearance._state.filter is not None:
        qapp.removeEventFilter(appearance._state.filter)
    appearance._state = appearance._State()
    qapp.setStyleSheet("")
    QApplication.setPalette(palette)
    QApplication.setFont(font)


def _window(library: Library, qtbot: Any) -> MainWindow:
    window = MainWindow(library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window


def _widths(window: MainWindow) -> dict[str, list[int]]:
    out = {}
    for kind in SECTIONS:
        header = window.tables[kind].horizontalHeader()
        # The last column stretches to fill the list: its width is the list's, not its own.
        out[kind] = [header.sectionSize(c) for c in range(header.count() - 1)]
    return out


def _table(window: MainWindow, kind: str) -> QTableView:
    window.sidebar.setCurrentRow(SECTIONS.index(kind))
    window.current_table().selectRow(0)
    return window.tables[kind]


def test_widths_follow_the_text_size_and_headers_fit_at_18_pt(
    demo_library: Library, qtbot: Any
) -> None:
    appearance.apply(12, False)
    window = _window(demo_library, qtbot)
    at_12 = _widths(window)
    sessions = _table(window, "session")
    when = str(sessions.model().index(0, 0).data())
    assert len(when) >= 16  # "2025-08-15 09:30"

    def date_fits() -> bool:
        needed = QFontMetrics(sessions.font()).horizontalAdvance(when) + 8
        return sessions.horizontalHeader().sectionSize(0) >= needed

    assert date_fits()
    appearance.apply(18, False)
    qtbot.wait(50)
    at_18 = _widths(window)
    for kind in SECTIONS:
        for column, (small, large) in enumerate(zip(at_12[kind], at_18[kind], strict=True)):
            assert large >= small * 1.35, (kind, column, small, large)
    assert date_fits()
    problems = []
    for kind in SECTIONS:
        _table(window, kind)
        qtbot.wait(10)
        problems += [p for p in clipped_texts(window) if "QHeaderView" in p]
    assert problems == []


def test_a_trip_to_18_pt_and_back_leaves_the_columns_as_they_were(
    demo_library: Library, qtbot: Any
) -> None:
    appearance.apply(12, False)
    window = _window(demo_library, qtbot)
    before = _widths(window)
    appearance.apply(18, False)
    qtbot.wait(50)
    appearance.apply(12, False)
    qtbot.wait(50)
    assert _widths(window) == before
    window.save_state()
    again = _window(demo_library, qtbot)
    assert _widths(again) == before  # nothing the window set itself was remembered


def _drag_edge(header: QHeaderView, section: int, by: int) -> None:
    """Drag the right edge of a column with the mouse, as a user does."""
    viewport = header.viewport()
    x = header.sectionViewportPosition(section) + header.sectionSize(section) - 1
    y = header.height() // 2
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    for step in range(1, 5):
        pos = QPointF(x + by * step / 4, y)
        move = QMouseEvent(
            QEvent.Type.MouseMove,
            pos,
            QPointF(viewport.mapToGlobal(pos.toPoint())),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, move)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(x + by, y))


def test_a_width_the_user_drags_is_remembered_at_every_text_size(
    demo_library: Library, qtbot: Any
) -> None:
    appearance.apply(12, False)
    window = _window(demo_library, qtbot)
    header = _table(window, "guide").horizontalHeader()
    default = header.sectionSize(1)
    _drag_edge(header, 1, 80)
    dragged = header.sectionSize(1)
    assert dragged >= default + 70
    window.save_state()
    again = _window(demo_library, qtbot)
    columns = again.tables["guide"].horizontalHeader()
    assert abs(columns.sectionSize(1) - dragged) <= 2
    assert abs(columns.sectionSize(0) - header.sectionSize(0)) <= 2  # not dragged: default
    appearance.apply(18, False)
    qtbot.wait(50)
    assert columns.sectionSize(1) >= dragged * 1.35  # the user's width follows the text too
