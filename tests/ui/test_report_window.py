"""Tools ▸ Statistics… and Tools ▸ News draft… in the window (offscreen, work run inline)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.core.settings import Settings
from desktop_app.services.reports.period import Period
from desktop_app.storage.library import Library
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.stats_window import StatsTableModel
from desktop_app.ui.workers import SynchronousRunner

AUGUST = Period(date(2025, 8, 1), date(2025, 8, 31))


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    return w


def _session_id(library: Library) -> str:
    return str(library.reader().execute("SELECT id FROM field_session").fetchone()[0])


def test_actions_are_in_the_tools_menu(window: MainWindow) -> None:
    names = {a.objectName() for a in window.menus["tools"].actions()}
    assert {"report_stats", "report_news"} <= names


def test_statistics_window_counts_charts_and_lists_sessions(
    window: MainWindow, qtbot: Any, qtmodeltester: Any
) -> None:
    sw = window.report_actions.show_statistics()
    qtbot.addWidget(sw)
    sw.set_period(AUGUST, "member")
    qtmodeltester.check(sw.model)
    model: StatsTableModel = sw.model
    assert model.rowCount() == 3  # 李佳, 周宗宝, total
    cells = [[model.index(r, c).data() for c in range(7)] for r in range(3)]
    assert cells[0] == ["李佳", "1", "2.0", "—", "2", "4", "0"]
    assert cells[2][:2] == ["Total", "1"]
    assert "1 sessions have no head counts" in sw.notes.text()
    # The chart shows August's one session; a click on its bar lists it.
    sw.resize(1000, 600)
    QApplication.processEvents()
    sw.chart.grab()  # paints the chart
    bars = sw.chart.bar_rects()
    assert sw.chart.labels == ["2025-08"] and sw.chart.values == [1.0] and len(bars) == 1
    qtbot.mouseClick(sw.chart, Qt.MouseButton.LeftButton, pos=bars[0].center().toPoint())
    assert sw.sessions.count() == 1 and "园博园" in sw.sessions.item(0).text()
    # A row lists its sessions too; a double-click opens the session in the main window.
    sw.sessions.clear()
    sw.show_row_sessions(1)
    assert sw.sessions.count() == 1
    sw._open_session(sw.sessions.item(0))
    assert window.current_kind == "session"
    assert window.current_selection()[1] == [_session_id(window.library)]


def test_chart_is_painted_with_bars(window: MainWindow, qtbot: Any) -> None:
    sw = window.report_actions.show_statistics()
    qtbot.addWidget(sw)
    sw.set_period(Period(date(2025, 1, 1), date(2025, 12, 31)), "team")
    sw.resize(1000, 600)
    QApplication.processEvents()
    image: QImage = sw.chart.grab().toImage()
    august = sw.chart.bar_rects()[7]
    colour = image.pixelColor(QPoint(int(august.center().x()), int(august.center().y())))
    assert (colour.red(), colour.green(), colour.blue()) == (158, 28, 23)
    assert sw.chart.bar_rects()[6].height() == 0  # July: no session, no bar


def test_statistics_exports(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sw = window.report_actions.show_statistics()
    qtbot.addWidget(sw)
    sw.set_period(AUGUST, "team")
    sw.export("xlsx", tmp_path / "a.xlsx")
    sw.export("pdf", tmp_path / "a.pdf")
    sw.export("csv", tmp_path / "a.csv")
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames[0] == "汇总"
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "a.csv" in sw.sessions_title.text()
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    sw.export("zip", tmp_path / "a.zip")  # the demo session has no photos
    assert shown == ["No session of this period has photos."]
    assert not (tmp_path / "a.zip").exists()


def test_a_bad_period_says_so_and_counts_nothing(window: MainWindow, qtbot: Any) -> None:
    sw = window.report_actions.show_statistics()
    qtbot.addWidget(sw)
    sw.preset_box.setCurrentIndex(sw.preset_box.findData("custom"))
    sw.from_edit.setDate(sw.to_edit.date().addDays(5))
    assert sw.model.rowCount() == 0
    assert "before it starts" in sw.notes.text()


def test_news_draft_dialog_copies_and_saves_the_edited_text(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    assert window.report_actions.show_news() is None  # nothing selected yet
    assert shown == ["Select a session in the sessions list first."]
    assert window.select_record("session", _session_id(window.library))
    dialog = window.report_actions.show_news()
    qtbot.addWidget(dialog)
    assert dialog.text().startswith("丰台区劳模工匠走进园博园")
    assert dialog.default_name.endswith("园博园-News draft.txt")
    dialog.editor.appendPlainText("（通讯员 王明）")
    dialog.copy()
    assert QGuiApplication.clipboard().text().endswith("（通讯员 王明）")
    saved = dialog.save(tmp_path / "稿.txt")
    assert saved is not None
    assert saved.read_text(encoding="utf-8-sig").replace("\r\n", "\n").endswith("（通讯员 王明）")


def test_saving_the_news_draft_can_export_its_photos_beside_it(
    window: MainWindow, qtbot: Any, tmp_path: Path
) -> None:
    from desktop_app.services import photos
    from tests.services.photo_fixtures import distinct_jpeg

    sid = _session_id(window.library)
    files = [distinct_jpeg(tmp_path / "in" / f"{i}.jpg", i) for i in range(2)]
    photos.import_photos(window.library, files, photos.ImportTarget(session_id=sid))
    window.refresh()
    assert window.select_record("session", sid)
    dialog = window.report_actions.show_news()
    qtbot.addWidget(dialog)
    assert dialog.photos_box.isChecked() and "2 photos" in dialog.photos_box.text()
    saved = dialog.save(tmp_path / "out" / "稿.txt")
    assert saved is not None
    exported = sorted((tmp_path / "out" / "稿_photos").iterdir())
    assert len(exported) == 2 and all(p.suffix == ".jpg" for p in exported)
    assert "Exported 2 photos" in dialog.status.text()
    # Unticked: only the text is written.
    dialog.photos_box.setChecked(False)
    dialog.save(tmp_path / "out2" / "稿.txt")
    assert not (tmp_path / "out2" / "稿_photos").exists()


def test_at_18_pt_every_statistics_column_shows_without_scrolling(
    demo_library: Library, qtbot: Any, qapp: QApplication
) -> None:
    """At 18 pt the table's last columns hid behind a scroll bar while the chart (whose
    labels turn and thin out) kept room it could do without."""
    from desktop_app.ui import appearance

    font, palette = QApplication.font(), QApplication.palette()
    try:
        appearance.apply(18, False)
        window = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
        qtbot.addWidget(window)
        window.show()
        sw = window.report_actions.show_statistics()
        qtbot.addWidget(sw)
        sw.resize(1366, 700)  # the team leaders' laptop screen
        sw.set_period(Period(date(2025, 1, 1), date(2025, 12, 31)), "team")
        qtbot.wait(100)  # the window fits its table once shown
        QApplication.processEvents()
        header = sw.table.horizontalHeader()
        for column in range(sw.model.columnCount()):
            wanted = max(header.sectionSizeHint(column), sw.table.sizeHintForColumn(column))
            assert header.sectionSize(column) >= wanted, sw.model.headerData(
                column, Qt.Orientation.Horizontal
            )
        assert sw.table.horizontalScrollBar().maximum() == 0  # nothing to scroll to
    finally:
        if appearance._state.filter is not None:
            qapp.removeEventFilter(appearance._state.filter)
        appearance._state = appearance._State()
        qapp.setStyleSheet("")
        QApplication.setPalette(palette)
        QApplication.setFont(font)
