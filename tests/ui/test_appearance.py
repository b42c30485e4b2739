"""View → text size and high contrast, and Qt's own dialogs in the UI language.

The offscreen tests run everywhere (CI); the real-X one drives the keyboard on a 1366×768
Xvfb screen (tests/ui/appearance_session.py) and is skipped where xvfb-run is missing.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QFileInfo, QLocale, QRect, QTranslator
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDateEdit,
    QFileDialog,
    QFileIconProvider,
    QLabel,
    QMessageBox,
)

from desktop_app.app import QT_EXTRA_CATALOG, install_qt_translations, set_qt_locale
from desktop_app.core.i18n import set_language, translator_for
from desktop_app.core.settings import SETTINGS, Settings
from desktop_app.storage.library import Library
from desktop_app.ui import appearance
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner
from tests.fresh_python import run_json
from tests.ui.clipping import clipped_texts

SECTIONS = ("team", "member", "guide", "session")


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
    QLocale.setDefault(QLocale("en_US"))


def _window(library: Library, qtbot: Any) -> MainWindow:
    window = MainWindow(library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window


def _problems_in_every_section(window: MainWindow, qtbot: Any) -> list[str]:
    problems = []
    for row, kind in enumerate(SECTIONS):
        window.sidebar.setCurrentRow(row)
        window.current_table().selectRow(0)
        qtbot.wait(10)
        problems += [f"{kind}: {p}" for p in clipped_texts(window)]
    return problems


# --- the colours -----------------------------------------------------------------------------


def test_contrast_ratio_follows_wcag() -> None:
    black, white = QColor("#000000"), QColor("#ffffff")
    assert appearance.contrast_ratio(black, white) == pytest.approx(21.0)
    assert appearance.contrast_ratio(white, white) == pytest.approx(1.0)
    # WCAG's own example: #777 on white is just under 4.5:1.
    assert appearance.contrast_ratio(QColor("#777777"), white) == pytest.approx(4.48, abs=0.01)


def test_high_contrast_status_colours_reach_7_to_1() -> None:
    backgrounds = [QColor(appearance.HC_BACKGROUND), QColor(appearance.HC_ALTERNATE)]
    for field in dataclasses.fields(appearance.Colours):
        colour = QColor(getattr(appearance.HIGH_CONTRAST, field.name))
        for background in backgrounds:
            ratio = appearance.contrast_ratio(colour, background)
            assert ratio >= 7.0, (field.name, background.name(), round(ratio, 2))
    # The normal colours of the deleted marker and hints do not reach it: that is the point.
    assert appearance.contrast_ratio(QColor(appearance.NORMAL.deleted), backgrounds[0]) < 7


def test_high_contrast_palette_pairs_reach_7_to_1() -> None:
    palette = appearance.high_contrast_palette()
    Role, Group = QPalette.ColorRole, QPalette.ColorGroup
    pairs = [
        (Role.Text, Role.Base),
        (Role.Text, Role.AlternateBase),
        (Role.WindowText, Role.Window),
        (Role.ButtonText, Role.Button),
        (Role.HighlightedText, Role.Highlight),
        (Role.PlaceholderText, Role.Base),
        (Role.ToolTipText, Role.ToolTipBase),
        (Role.Link, Role.Base),
    ]
    for group in (Group.Active, Group.Inactive):
        for fore, back in pairs:
            fore_colour, back_colour = palette.color(group, fore), palette.color(group, back)
            ratio = appearance.contrast_ratio(fore_colour, back_colour)
            assert ratio >= 7.0, (group, fore, back, round(ratio, 2))
    for role in (Role.Text, Role.WindowText, Role.ButtonText):
        disabled = palette.color(Group.Disabled, role)
        assert appearance.contrast_ratio(disabled, palette.color(Role.Base)) >= 7.0, role


# --- text size ------------------------------------------------------------------------------


class _Screen:
    def __init__(self, width: int, height: int) -> None:
        self._geometry = QRect(0, 0, width, height)

    def availableGeometry(self) -> QRect:
        return self._geometry


def test_first_start_picks_a_comfortable_size() -> None:
    assert appearance.default_text_size(_Screen(1366, 728)) == 12  # 1366×768 less a task bar
    assert appearance.default_text_size(_Screen(1024, 560)) == 11
    assert appearance.default_text_size(None) == 12
    assert SETTINGS[appearance.TEXT_SIZE_KEY].default == 0  # "not chosen": the above applies
    assert appearance.saved_text_size(Settings()) >= 11


def test_steps_are_clamped() -> None:
    assert appearance.step_text_size(12, +1) == 13
    assert appearance.step_text_size(12, -1) == 11
    assert appearance.step_text_size(18, +1) == 18
    assert appearance.step_text_size(10, -1) == 10
    assert appearance.step_text_size(15, +1) == 16  # off the steps: the next one up
    assert appearance.step_text_size(15, -1) == 14
    assert appearance.step_text_size(12, +2) == 14
    assert appearance.step_text_size(12, 0) == 12


def test_view_menu_changes_the_text_size_everywhere_and_remembers_it(
    demo_library: Library, qtbot: Any, tmp_path: Path
) -> None:
    appearance.apply_saved(Settings())
    window = _window(demo_library, qtbot)
    actions = window.view_actions  # type: ignore[attr-defined]
    assert actions.larger in window.menus["view"].actions()
    keys = {k.toString() for k in actions.larger.shortcuts()}
    assert {"Ctrl+=", "Ctrl++"} <= keys
    assert QKeySequence("Ctrl+-") in actions.smaller.shortcuts()
    assert actions.reset.shortcut() == QKeySequence("Ctrl+0")

    window.sidebar.setCurrentRow(SECTIONS.index("guide"))
    window.current_table().selectRow(0)
    form = window.shown_form()
    assert form is not None
    start = QApplication.font().pointSize()
    row_before = window.current_table().verticalHeader().defaultSectionSize()
    actions.larger.trigger()
    qtbot.wait(10)
    assert QApplication.font().pointSize() == start + 1
    assert Settings().get(appearance.TEXT_SIZE_KEY) == start + 1
    # The settings file is in the config folder the environment names (JIANGXIN_CONFIG_DIR).
    assert Settings().path.parent == Path(__import__("os").environ["JIANGXIN_CONFIG_DIR"])
    # Scaled texts follow: the heading, a hint coloured by a style sheet, the table rows.
    assert form.heading.font().pointSizeF() == pytest.approx((start + 1) * 1.25)
    assert form.revision_label.font().pointSize() == start + 1
    for _ in range(10):
        actions.larger.trigger()
    qtbot.wait(10)
    assert QApplication.font().pointSize() == appearance.TEXT_SIZES[-1]
    rows = window.current_table().verticalHeader().defaultSectionSize()
    assert rows > row_before
    assert rows >= window.current_table().fontMetrics().height() + appearance.ROW_PADDING
    assert not actions.larger.isEnabled()
    actions.reset.trigger()
    assert QApplication.font().pointSize() == appearance.default_text_size(window.screen())
    assert Settings().get(appearance.TEXT_SIZE_KEY) == 0


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_nothing_is_clipped_at_any_size_at_1366x768(
    demo_library: Library, qtbot: Any, lang: str
) -> None:
    set_language(lang)
    appearance.apply(appearance.DEFAULT_TEXT_SIZE, False)
    window = _window(demo_library, qtbot)
    qtbot.wait(50)
    problems = []
    for size, contrast in ((12, False), (14, False), (18, False), (18, True)):
        appearance.apply(size, contrast)
        qtbot.wait(100)  # the status bar and tool bar lay out again
        assert window.size().width() <= 1366 and window.size().height() <= 768
        problems += [f"{size} pt: {p}" for p in _problems_in_every_section(window, qtbot)]
    assert problems == [], "\n".join(problems)


def test_the_clipping_check_finds_clipped_text(qtbot: Any) -> None:
    label = QLabel("劳模工匠服务队的活动")
    qtbot.addWidget(label)
    label.resize(40, 30)
    label.show()
    assert clipped_texts(label)
    label.resize(400, 60)
    assert clipped_texts(label) == []


# --- high contrast --------------------------------------------------------------------------


def test_high_contrast_switches_palette_outlines_and_status_colours(
    demo_library: Library, qtbot: Any
) -> None:
    appearance.apply(12, False)
    window = _window(demo_library, qtbot)
    window.sidebar.setCurrentRow(SECTIONS.index("guide"))
    window.current_table().selectRow(0)
    form = window.shown_form()
    assert form is not None
    normal_base = QApplication.palette().color(QPalette.ColorRole.Base)
    assert appearance.NORMAL.hint in form.revision_label.styleSheet()

    window.view_actions.contrast.trigger()  # type: ignore[attr-defined]
    assert appearance.high_contrast()
    palette = QApplication.palette()
    assert palette.color(QPalette.ColorRole.Text) == QColor("#000000")
    assert palette.color(QPalette.ColorRole.Base) == QColor("#ffffff")
    assert "border: 2px solid #000000" in QApplication.instance().styleSheet()  # type: ignore[union-attr]
    assert appearance.HIGH_CONTRAST.hint in form.revision_label.styleSheet()
    assert appearance.colour("deleted") == QColor(appearance.HIGH_CONTRAST.deleted)
    assert Settings().get(appearance.HIGH_CONTRAST_KEY) == "on"

    window.view_actions.contrast.trigger()  # type: ignore[attr-defined]
    assert not appearance.high_contrast()
    assert QApplication.palette().color(QPalette.ColorRole.Base) == normal_base
    assert QApplication.instance().styleSheet() == ""  # type: ignore[union-attr]
    assert appearance.NORMAL.hint in form.revision_label.styleSheet()
    # Off is what the system asks for (no preference here): it is followed again.
    assert Settings().get(appearance.HIGH_CONTRAST_KEY) == "auto"


def test_high_contrast_follows_the_system_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(appearance, "system_prefers_high_contrast", lambda: True)
    settings = Settings()
    assert settings.get(appearance.HIGH_CONTRAST_KEY) == "auto"
    assert appearance.saved_high_contrast(settings)
    settings.set(appearance.HIGH_CONTRAST_KEY, "off")
    assert not appearance.saved_high_contrast(settings)
    monkeypatch.setattr(appearance, "system_prefers_high_contrast", lambda: False)
    settings.set(appearance.HIGH_CONTRAST_KEY, "on")
    assert appearance.saved_high_contrast(settings)


def test_a_change_of_the_system_preference_is_followed_unless_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    appearance.apply(12, False)
    monkeypatch.setattr(appearance, "system_prefers_high_contrast", lambda: True)
    appearance._follow_system(settings)  # what contrastPreferenceChanged calls
    assert appearance.high_contrast()
    settings.set(appearance.HIGH_CONTRAST_KEY, "off")
    appearance.apply(12, False)
    appearance._follow_system(settings)
    assert not appearance.high_contrast()


def test_system_contrast_preference_is_read_from_qt_when_it_reports_one() -> None:
    # Qt 6.10+ reports it; older Qt has no accessibility hints and "no preference" is assumed.
    hints = QApplication.styleHints()
    if hasattr(hints, "accessibility"):
        from PySide6.QtCore import Qt

        expected = hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
        assert appearance.system_prefers_high_contrast() == expected
    else:
        assert appearance.system_prefers_high_contrast() is False


# --- Chinese everywhere ---------------------------------------------------------------------


@pytest.fixture
def chinese_qt(qapp: QApplication) -> Iterator[list[QTranslator]]:
    set_qt_locale("zh_CN")
    translators = install_qt_translations(qapp, "zh_CN")
    yield translators
    for translator in translators:
        qapp.removeTranslator(translator)


def test_file_dialog_labels_are_chinese(chinese_qt: list[QTranslator], qtbot: Any) -> None:
    assert len(chinese_qt) == 2, "qtbase and our extra Qt strings"
    dialog = QFileDialog(None, "?")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dialog)
    labels = sorted(label.text() for label in dialog.findChildren(QLabel))
    assert labels == ["文件名称(&N)：", "文件类型(&T)：", "查找范围(&L)："]


def test_extra_qt_strings_compile_from_their_source() -> None:
    """The shipped .qm holds every translation in the .ts beside it (recompile after edits)."""
    import xml.etree.ElementTree as ET

    folder = Path(__file__).resolve().parents[2] / "resources" / "translations" / "qt"
    translator = QTranslator()
    assert translator.load(str(folder / f"{QT_EXTRA_CATALOG}_zh_CN.qm"))
    root = ET.parse(folder / f"{QT_EXTRA_CATALOG}_zh_CN.ts").getroot()
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            comment = message.findtext("comment")
            assert translator.translate(name, source, comment) == message.findtext("translation")


def test_file_dialog_types_are_chinese(chinese_qt: list[QTranslator], tmp_path: Path) -> None:
    """The file dialog's Type column: a folder is 文件夹, not "Folder"."""
    provider = QFileIconProvider()
    assert provider.type(QFileInfo(str(tmp_path))) == "文件夹"


def test_standard_buttons_and_calendar_are_chinese(
    chinese_qt: list[QTranslator], qtbot: Any
) -> None:
    Button = QMessageBox.StandardButton
    box = QMessageBox(
        QMessageBox.Icon.Question, "?", "?", Button.Save | Button.Discard | Button.Cancel
    )
    qtbot.addWidget(box)
    assert sorted(b.text() for b in box.buttons()) == ["丢弃", "保存", "取消"]
    edit = QDateEdit(QDate(2026, 8, 3))
    edit.setCalendarPopup(True)
    qtbot.addWidget(edit)
    calendar = edit.calendarWidget()
    assert calendar.locale().name() == "zh_CN"
    days = [calendar.locale().dayName(d, QLocale.FormatType.ShortFormat) for d in range(1, 8)]
    assert days == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert calendar.locale().monthName(8) == "八月"


def test_language_notice_is_in_the_language_switched_to(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args[1:3]))
    window = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(window)
    window.language_actions["zh_CN"].trigger()  # type: ignore[attr-defined]
    zh = translator_for("zh_CN")
    assert shown == [
        (zh("Language"), zh("The new language is used when Jiangxin is started again."))
    ]
    assert "重新启动" in shown[0][1]


def test_window_title_names_the_library_not_the_app_twice(
    demo_library: Library, qtbot: Any
) -> None:
    window = MainWindow(demo_library, runner=SynchronousRunner())
    qtbot.addWidget(window)
    assert window.windowTitle() == f"{demo_library.name}[*]"


# --- on a real X server ---------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (make test has it)")
def test_keyboard_text_size_and_contrast_on_a_1366x768_screen(
    demo_dir: Path, tmp_path: Path
) -> None:
    result = run_json(
        ["-m", "tests.ui.appearance_session", str(demo_dir)],
        {"QT_QPA_PLATFORM": "xcb", "JIANGXIN_CONFIG_DIR": str(tmp_path / "config")},
        drop_env=["QT_QPA_PLATFORM", "DISPLAY"],
        launcher=["xvfb-run", "-a", "-s", "-screen 0 1366x768x24"],
    )
    assert result["active"] and result["screen"] == [1366, 768]
    assert result["problems"] == []
    assert all(size == [1366, 768] for size in result["window"].values())
    assert result["first_size"] == 12
    assert result["ctrl_equal"] == [13, 14]
    assert result["ctrl_plus"] == [16, 18, 18]
    assert result["ctrl_minus"] == 16
    assert result["ctrl_0"] == 12
    assert result["saved"] == {"view.text_size": 0, "view.high_contrast": "on"}
    assert result["weekdays"] == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert result["month_button"].endswith("月")
    assert result["message_buttons"] == ["丢弃", "保存", "取消", "否(&N)", "是(&Y)"]
    assert result["file_dialog_labels"] == ["文件名称(&N)：", "文件类型(&T)：", "查找范围(&L)："]
