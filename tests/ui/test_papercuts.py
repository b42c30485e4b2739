"""Papercuts of issue 17, each reproduced before it was fixed: the photo preview's keys, the
Help menu's guide and shortcut list, scroll positions, filters, pickers and clipped texts."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence, QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox

from desktop_app.core.settings import Settings
from desktop_app.services import listing, photos
from desktop_app.storage.library import Library
from desktop_app.ui.help_window import PAGES, help_dir
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.photo_preview import PhotoPreviewDialog
from desktop_app.ui.workers import SynchronousRunner
from tests.fresh_python import run_json
from tests.services.photo_fixtures import new_session


@pytest.fixture
def three_photos(empty_library: Library, testdata: Path) -> tuple[Library, list[str]]:
    session_id = new_session(empty_library)
    files = [testdata / "landscape_1.jpg", testdata / "canon_hdr_NO.jpg", testdata / "arrow.heic"]
    results = photos.import_photos(empty_library, files, photos.ImportTarget(session_id=session_id))
    return empty_library, [r.photo_id or "" for r in results]


def test_preview_arrows_work_while_a_button_has_focus(
    qtbot: Any, three_photos: tuple[Library, list[str]]
) -> None:
    library, ids = three_photos
    dialog = PhotoPreviewDialog(library, ids, 1, runner=SynchronousRunner())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    dialog.next_button.setFocus()
    qtbot.keyClick(dialog.next_button, Qt.Key.Key_Left)
    assert dialog.counter.text() == "1 of 3"
    dialog.right_button.setFocus()
    qtbot.keyClick(dialog.right_button, Qt.Key.Key_Right)
    assert dialog.counter.text() == "2 of 3"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (make test has it)")
def test_no_window_shortcut_is_taken_by_text_fields_on_x11(demo_dir: Path, tmp_path: Path) -> None:
    swallowed = run_json(
        ["-m", "tests.ui.shortcut_clash_session", str(demo_dir)],
        {"QT_QPA_PLATFORM": "xcb", "JIANGXIN_CONFIG_DIR": str(tmp_path / "config")},
        drop_env=["QT_QPA_PLATFORM", "DISPLAY"],
        launcher=["xvfb-run", "-a"],
    )
    assert swallowed == {}


# --- Help ------------------------------------------------------------------------------------


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> Iterator[MainWindow]:
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    yield w
    # A test that failed half-way must not leave a question ("Save the changes?") open.
    form = w.shown_form()
    if form is not None and form.is_dirty():
        form.revert()


def test_help_lists_every_shortcut_from_the_actions(window: MainWindow, qtbot: Any) -> None:
    names = [a.objectName() for a in window.menus["help"].actions()]
    assert names.index("help_guide") < names.index("help_shortcuts")
    window.shortcuts_action.trigger()
    dialog = window.shortcuts_dialog
    qtbot.addWidget(dialog)
    listed = {keys for _what, keys in dialog.rows}
    listed_keys = {k for keys in listed for k in keys.split(" / ")}
    wanted = {
        s.toString(QKeySequence.SequenceFormat.NativeText)
        for a in window.findChildren(QAction)
        for s in a.shortcuts()
        if not s.isEmpty()
    }
    assert wanted <= listed_keys
    # An action a feature module adds later is listed the next time: nothing is hard-coded.
    extra = QAction("Brand new command", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.addAction(extra)
    window.shortcuts_action.trigger()
    assert ("Brand new command", "Ctrl+Alt+J") in window.shortcuts_dialog.rows
    texts = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "Export PDF" in texts and "Go to Skill guides" in texts
    assert any(t.startswith("Photo preview: ") for t in texts)
    window.shortcuts_dialog.close()


def test_user_guide_pages_open_offline_with_their_pictures(window: MainWindow, qtbot: Any) -> None:
    window.guide_action.trigger()
    guide = window.help_window
    qtbot.addWidget(guide)
    assert guide.pages.count() == len(PAGES) >= 5
    for row, (name, _title) in enumerate(PAGES):
        guide.pages.setCurrentRow(row)
        assert Path(guide.browser.source().toLocalFile()).name == name
        html = (help_dir() / name).read_text(encoding="utf-8")
        assert "http" not in html  # no network: nothing to fetch
        for image in re.findall(r'src="([^"]+)"', html):
            assert (help_dir() / image).is_file(), image
            assert (help_dir() / image).stat().st_size < 80_000  # small PNGs
    # Links between the pages are followed inside the window.
    guide.browser.anchorClicked.emit(QUrl("backups.html"))
    assert guide.pages.currentRow() == [n for n, _t in PAGES].index("backups.html")
    guide.close()


# --- photos in the session form ---------------------------------------------------------------


def gps_jpeg(path: Path, lat: float, lon: float) -> Path:
    """A JPEG whose EXIF says where it was taken."""
    from PIL import Image

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (degrees, minutes, round((value - degrees - minutes / 60) * 3600, 2))

    image = Image.new("RGB", (320, 240), (30, 120, 60))
    exif = image.getexif()
    exif[0x8825] = {
        1: "N" if lat >= 0 else "S",
        2: dms(lat),
        3: "E" if lon >= 0 else "W",
        4: dms(lon),
    }
    image.save(path, exif=exif)
    return path


def session_on_screen(window: MainWindow) -> tuple[str, Any]:
    session_id = str(listing.list_rows(window.library, "session")[0]["id"])
    assert window.select_record("session", session_id)
    return session_id, window.forms["session"]


def test_gps_from_photos_near_the_place_is_filled_far_is_asked(
    window: MainWindow, tmp_path: Path
) -> None:
    session_id, form = session_on_screen(window)
    form.lat_edit.setText("")
    form.lon_edit.setText("")
    assert form.save()
    asked: list[tuple[float, float]] = []
    form.ask_far_gps = lambda position: asked.append(position) or False
    near = gps_jpeg(tmp_path / "near.jpg", 39.95, 116.40)  # Beijing; the session is there
    photos.import_photos(window.library, [near], photos.ImportTarget(session_id=session_id))
    window.refresh()
    assert form.fill_gps_from_photos() is True and asked == []
    assert form.lat_edit.text().startswith("39.95")
    form.revert()
    photos.remove_from_session(window.library, session_id, form.photo_ids[0])
    far = gps_jpeg(tmp_path / "far.jpg", 40.71, -74.0)  # New York
    photos.import_photos(window.library, [far], photos.ImportTarget(session_id=session_id))
    window.refresh()
    assert form.fill_gps_from_photos() is False  # asked, and the user said no
    assert len(asked) == 1 and round(asked[0][1]) == -74
    assert form.lat_edit.text() == "" and not form.is_dirty()


def test_photo_grid_has_room_keeps_the_wheel_and_shows_the_selection(
    window: MainWindow, qtbot: Any, testdata: Path
) -> None:
    session_id, form = session_on_screen(window)
    files = [testdata / f"landscape_{n}.jpg" for n in range(1, 9)]
    files += [testdata / name for name in ("Canon_40D.jpg", "DSCN0010.jpg", "no_exif.jpg")]
    files += [testdata / name for name in ("canon_hdr_NO.jpg", "image01551.jpg")]
    photos.import_photos(window.library, files, photos.ImportTarget(session_id=session_id))
    window.refresh()
    grid = form.photo_grid
    view = grid.view
    form.scroll.ensureWidgetVisible(grid)
    qtbot.waitUntil(lambda: grid.model.rowCount() == len(files))
    # Room for two rows of photos before the grid scrolls.
    assert view.height() >= 2 * view.gridSize().height()
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # the view lays its items out when idle
    form_bar = form.scroll.verticalScrollBar()
    form_bar.setValue(form_bar.maximum() // 2)
    before = form_bar.value()
    centre = QPointF(view.viewport().rect().center())
    # At the grid's end, the wheel does not scroll the form instead (either way).
    for end, delta in ((bar.maximum(), -120), (0, 120)):
        bar.setValue(end)
        event = QWheelEvent(
            centre,
            QPointF(view.viewport().mapToGlobal(centre.toPoint())),
            QPoint(0, 0),
            QPoint(0, delta),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view.viewport(), event)
        assert form_bar.value() == before
    # The selected photo has a strong frame: its blue is plain in a screenshot.
    view.setCurrentIndex(grid.model.index(0))
    view.scrollToTop()
    image = view.viewport().grab().toImage()
    rect = view.visualRect(grid.model.index(0))
    blue = sum(
        1
        for x in range(rect.left(), rect.right())
        for y in (rect.top() + 1, rect.bottom() - 1)
        if image.pixelColor(x, y).name() == "#0b57d0"
    )
    assert blue > rect.width()  # top and bottom edges framed


def test_removing_a_photo_says_so_with_undo_and_the_list_count_follows(
    window: MainWindow, qtbot: Any, testdata: Path
) -> None:
    session_id, form = session_on_screen(window)
    grid = form.photo_grid
    model = window.models["session"]
    column = [c.key for c in model.columns].index("photos")
    row = model.row_of(session_id)

    def listed() -> str:
        return str(model.data(model.index(row, column)))

    grid.import_files([testdata / "landscape_1.jpg", testdata / "landscape_2.jpg"])
    assert listed() == "2"  # the list follows at once, not at the next save
    form.scroll.ensureWidgetVisible(grid)
    at = form.scroll.verticalScrollBar().value()
    assert at > 0
    grid.view.setCurrentIndex(grid.model.index(0))
    grid.remove_selected()
    assert listed() == "1"
    assert form.scroll.verticalScrollBar().value() == at  # still at the photos, not the top
    assert "Removed 1 photo" in window.statusBar().currentMessage()
    assert grid.undo_button.isVisibleTo(grid)
    grid.undo_button.click()
    assert len(photos.session_photos(window.library, session_id)) == 2
    assert listed() == "2" and not grid.undo_button.isVisibleTo(grid)


# --- forms: scroll positions, templates, filters --------------------------------------------


def test_new_guide_form_opens_at_the_top_and_records_reset_the_scroll(
    window: MainWindow, qtbot: Any
) -> None:
    window.sidebar.setCurrentRow(2)  # guides
    window.current_table().selectRow(0)
    form: Any = window.shown_form()
    bar = form.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())
    window.current_table().selectRow(1)  # another record: from the top
    qtbot.wait(50)
    assert bar.value() == 0
    bar.setValue(bar.maximum())
    window.new_action.trigger()  # Ctrl+N
    qtbot.wait(50)
    assert window.shown_form() is form and form.is_new()
    assert bar.value() == 0
    title = form.field_widgets["title"]
    assert title.visibleRegion().boundingRect().height() == title.height()


def test_session_template_carries_the_hosts_and_discarding_goes_back(
    window: MainWindow, qtbot: Any
) -> None:
    session_id, form = session_on_screen(window)
    hosts = form.hosts.values()
    assert hosts  # the demo session has hosts
    window.template_action.trigger()
    assert form.is_new() and form.is_dirty()
    assert form.hosts.values() == hosts  # same hosts, as a rule, like the venue and teams
    assert window.current_selection()[1] == []
    form.revert_button.click()  # "Discard changes"
    assert window.shown_form() is form and form.record_id() == session_id
    assert not form.is_dirty()
    assert window.current_selection() == ("session", [session_id])


def test_a_record_filtered_out_of_the_list_leaves_the_form(window: MainWindow, qtbot: Any) -> None:
    window.sidebar.setCurrentRow(2)  # guides
    window.current_table().selectRow(0)
    form = window.shown_form()
    assert form is not None and form.record_id() is not None
    window.search_box.setText("没有这样的指南zzz")
    qtbot.waitUntil(lambda: window.current_model().rowCount() == 0)
    assert window.shown_form() is None  # not a record the list no longer shows
    # With unsaved edits it stays (nothing is lost) and the status bar says why.
    window.search_box.clear()
    qtbot.waitUntil(lambda: window.current_model().rowCount() > 0)
    window.current_table().selectRow(0)
    form = window.shown_form()
    assert form is not None
    form.field_widgets["title"].setText("改过的标题")  # type: ignore[attr-defined]
    window.search_box.setText("没有这样的指南zzz")
    qtbot.waitUntil(lambda: window.current_model().rowCount() == 0)
    assert window.shown_form() is form and form.is_dirty()
    assert "hidden by the filter" in window.statusBar().currentMessage()
    form.revert()


def test_enter_in_the_search_panel_searches_and_does_not_open(
    window: MainWindow, qtbot: Any
) -> None:
    panel = window.search_panel  # type: ignore[attr-defined]
    panel.search_for("修剪")
    first = panel.hits
    assert first
    panel.query_box.setText("天牛")
    panel.query_box.returnPressed.emit()  # Enter before the debounce: searches now
    assert panel.hits != first and panel.isVisible()
    # Enter once the results are there (the first one highlighted): searches again, does
    # not open the first result behind the user's back.
    qtbot.waitUntil(lambda: not panel._timer.isActive())
    assert panel.results.currentItem() is not None
    panel.query_box.returnPressed.emit()
    assert panel.isVisible() and window.shown_form() is None


def test_picker_enter_after_filtering_takes_the_highlighted_item(qtbot: Any) -> None:
    from desktop_app.ui.forms.widgets import PickDialog

    dialog = PickDialog("Pick", {"a": "张伟", "b": "李娜", "c": "王芳"})
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.filter_box.setFocus()
    dialog.filter_box.setText("李")  # as typed (QTest cannot type Chinese)
    assert dialog.proxy.rowCount() == 1
    qtbot.keyClick(dialog.filter_box, Qt.Key.Key_Return)
    assert dialog.result() == 1  # accepted
    assert dialog.selected_ids() == ["b"]


def test_member_form_shows_the_teams_of_the_member(window: MainWindow) -> None:
    from desktop_app.services import catalog

    teams = [catalog.load_team(window.library, i) for i in listing.list_ids(window.library, "team")]
    team = next(t for t in teams if t.members)
    member_id = team.members[0].member_id
    window.select_record("member", member_id)
    form: Any = window.shown_form()
    assert team.name in form.teams_label.text()
    window.record_actions.new_record()
    assert form.teams_label.text() == "Not in a team yet"


def test_import_preview_lists_records_before_photos_sorted(qtbot: Any) -> None:
    from types import SimpleNamespace

    from desktop_app.ui.pack_actions import ImportPreviewDialog

    def change(kind: str, label: str) -> Any:
        return SimpleNamespace(kind=kind, label=label, reason="")

    report: Any = SimpleNamespace(
        created_at="2026-12-01T09:30:00",
        source_name="另一台电脑",
        added=[
            change("photo", "b.jpg"),
            change("session", "2025-08-15 绿色养护"),
            change("photo", "a.jpg"),
            change("member", "王芳"),
            change("guide", "月季修剪"),
            change("member", "李娜"),
            change("team", "专业技术服务2队"),
        ],
        updated=[],
        conflicts=[],
        deleted=[],
        unchanged=0,
        new_photo_files=2,
        new_photo_bytes=2048,
        notes=[],
        changes=True,
    )
    dialog = ImportPreviewDialog(None, report, Path("x.jxpack"))
    qtbot.addWidget(dialog)
    group = dialog.groups["added"]
    listed = [group.child(i).text(0) for i in range(group.childCount())]
    assert listed == [
        "专业技术服务2队",
        "李娜",  # li before wang: pinyin order
        "王芳",
        "月季修剪",
        "2025-08-15 绿色养护",
        "a.jpg",
        "b.jpg",
    ]


def arrow_points_down(header: Any, section: int) -> bool:
    """Whether the sort arrow drawn in a header section is ▼ (wide at the top)."""
    image = header.grab().toImage()
    left = header.sectionViewportPosition(section)
    right = left + header.sectionSize(section)
    base = image.pixelColor(left + 3, 3).lightness()
    dark = [
        (x, y)
        for x in range(left + 2, right - 2)
        for y in range(2, image.height() - 2)
        if image.pixelColor(x, y).lightness() < base - 60
    ]
    # The arrow: the dark pixels right of the centred label's text, away from the title.
    xs = sorted({x for x, _y in dark})
    columns = [x for x in xs if x > right - 24]
    arrow = [(x, y) for x, y in dark if x in columns]
    assert arrow, "no sort arrow drawn"
    top, bottom = min(y for _x, y in arrow), max(y for _x, y in arrow)
    middle = (top + bottom) / 2
    upper = sum(1 for _x, y in arrow if y < middle)
    lower = sum(1 for _x, y in arrow if y > middle)
    return upper > lower


def test_date_column_sort_arrow_points_the_right_way(window: MainWindow) -> None:
    window.sidebar.setCurrentRow(3)  # sessions: newest first
    header = window.current_table().horizontalHeader()
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert header.sortIndicatorSection() == 0
    assert arrow_points_down(header, 0)  # ▼ newest first
    header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    try:
        assert not arrow_points_down(header, 0)  # ▲ oldest first
    finally:
        # The window remembers its lists' order (QSettings, per process): leave it as found.
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)


def test_attendee_names_and_the_role_editor_are_not_clipped(window: MainWindow, qtbot: Any) -> None:
    from desktop_app.services import catalog

    session_id, form = session_on_screen(window)
    attendees = form.attendees
    member = catalog.MemberData(name="欧阳志峰德")  # a long name, added after the form opened
    member_id = catalog.save_member(window.library, member)
    form.load(session_id)
    attendees._on_add = lambda: [{"member_id": member_id, "role": "", "note": ""}]
    attendees.add()
    keys = [c.key for c in attendees.model.columns]
    row = attendees.model.rowCount() - 1
    view = attendees.view
    name = str(attendees.model.index(row, keys.index("member_id")).data())
    assert name == "欧阳志峰德"
    needed = view.fontMetrics().horizontalAdvance(name)
    assert view.columnWidth(keys.index("member_id")) > needed  # not "欧…"
    role = attendees.model.index(0, keys.index("role"))
    view.setCurrentIndex(role)
    view.edit(role)
    editor = view.indexWidget(role) or view.findChild(QComboBox)
    assert editor is not None
    assert editor.width() >= editor.sizeHint().width()  # not "讲|"
    form.revert()


def test_photo_export_proposes_a_folder_that_exists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtCore import QStandardPaths

    from desktop_app.ui import layout_state, photo_actions

    missing = tmp_path / "Pictures-not-there"
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _loc: str(missing))
    layout_state.layout_settings().remove(photo_actions.EXPORT_DIR_KEY)
    proposed = Path(photo_actions._start_dir())
    assert proposed.is_dir() and proposed != missing


def test_guide_filter_drops_down_wide_enough_for_the_titles(window: MainWindow) -> None:
    from desktop_app.services import catalog

    title = "行道树春季修剪与病虫害综合防治现场操作要点"
    catalog.save_guide(window.library, catalog.GuideData(title=title))
    window.refresh()
    window.sidebar.setCurrentRow(3)
    combo = window.session_filters.guide_combo
    metrics = combo.view().fontMetrics()
    widest = max(metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    assert widest > combo.width() - 40  # the demo's titles do not fit the box itself
    assert combo.view().minimumWidth() >= widest
    combo.setCurrentIndex(combo.findText(title))
    assert combo.toolTip() == title  # the whole title, where the box shows “行道树春季…”


def test_pack_progress_dialog_is_wide_enough_for_its_title(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions = window.pack_actions  # type: ignore[attr-defined]
    held: list[Any] = []
    # The op does not finish during the test: the dialog stays to be measured.
    monkeypatch.setattr(actions.window.runner, "run", lambda op, **kw: held.append(kw) or None)
    title = "Importing the knowledge pack…"
    actions.run(title, lambda _p: None, lambda _r: None, "x", via=window.runner)
    dialog = actions.job.dialog
    assert dialog is not None
    assert dialog.minimumWidth() >= dialog.fontMetrics().horizontalAdvance(title) + 120
    dialog.close()
