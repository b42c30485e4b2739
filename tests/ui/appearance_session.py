"""Run by test_appearance.py in a fresh interpreter on a real X server (xvfb-run, a 1366×768
screen): the main window in Chinese, its text size changed with the keyboard (Ctrl+=, Ctrl++,
Ctrl+-, Ctrl+0) and high contrast switched on, every section checked for clipped text at each
step; then the calendar popup, a question and the file dialog, for the language Qt speaks.
Prints one JSON line of what it found.

`python -m tests.ui.appearance_session LIBRARY_DIR [SHOTS_DIR]` also saves a screenshot of each
section at each step into SHOTS_DIR (the README's, see docs/screenshots/).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCalendarWidget,
    QFileDialog,
    QLabel,
    QMessageBox,
    QTableView,
    QToolButton,
)

from desktop_app.app import create_application, install_qt_translations, set_qt_locale
from desktop_app.core.i18n import set_language
from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library
from desktop_app.ui import appearance
from tests.ui.clipping import clipped_texts

CTRL = Qt.KeyboardModifier.ControlModifier
Select = QItemSelectionModel.SelectionFlag
SECTIONS = ("team", "member", "guide", "session")


def save_small_png(image: Any, path: Path) -> None:
    """A screenshot as a small PNG: 64 colours are plenty for a window of text."""
    from PIL import Image

    image.save(str(path))
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(library_dir: str, shots: str | None) -> dict[str, Any]:
    settings = Settings()
    set_language("zh_CN")
    set_qt_locale("zh_CN")
    app = create_application()
    install_qt_translations(app, "zh_CN")
    appearance.apply_saved(settings)
    from desktop_app.ui.main_window import MainWindow

    out: dict[str, Any] = {"first_size": QApplication.font().pointSize()}
    library = Library.open(Path(library_dir), write=True)
    window = MainWindow(library, settings=settings)
    window.resize(1366, 768)
    window.move(0, 0)
    window.show()
    window.activateWindow()
    out["active"] = QTest.qWaitForWindowActive(window, 5000)
    screen = window.screen().geometry()
    out["screen"] = [screen.width(), screen.height()]
    QTest.qWait(200)

    def check(step: str) -> None:
        problems: list[str] = []
        for row, kind in enumerate(SECTIONS):
            window.sidebar.setCurrentRow(row)
            table = window.current_table()
            table.selectionModel().setCurrentIndex(
                table.model().index(0, 0), Select.ClearAndSelect | Select.Rows
            )
            QTest.qWait(50)
            window.shown_form().scroll.verticalScrollBar().setValue(0)  # type: ignore[union-attr]
            QTest.qWait(50)
            problems += [f"{step}/{kind}: {p}" for p in clipped_texts(window)]
            if shots:
                save_small_png(window.grab(), Path(shots) / f"{step}-{kind}.png")
        out.setdefault("problems", []).extend(problems)
        out.setdefault("window", {})[step] = [window.width(), window.height()]

    def press(key: Qt.Key) -> int:
        QTest.keyClick(window.current_table(), key, CTRL)
        QTest.qWait(50)
        return QApplication.font().pointSize()

    check("normal")
    out["ctrl_equal"] = [press(Qt.Key.Key_Equal), press(Qt.Key.Key_Equal)]
    check("larger")
    out["ctrl_plus"] = [press(Qt.Key.Key_Plus) for _ in range(3)]
    check("largest")
    out["ctrl_minus"] = press(Qt.Key.Key_Minus)
    out["ctrl_0"] = press(Qt.Key.Key_0)
    window.view_actions.contrast.trigger()  # type: ignore[attr-defined]
    QTest.qWait(50)
    check("contrast")
    out["saved"] = {
        key: Settings().get(key) for key in (appearance.TEXT_SIZE_KEY, appearance.HIGH_CONTRAST_KEY)
    }
    window.view_actions.contrast.trigger()  # type: ignore[attr-defined]

    # The calendar popup of the session's start, opened with a click on its arrow.
    window.sidebar.setCurrentRow(SECTIONS.index("session"))
    window.current_table().selectRow(0)
    QTest.qWait(50)
    starts = window.forms["session"].starts_edit  # type: ignore[attr-defined]
    QTest.mouseClick(starts, Qt.MouseButton.LeftButton, pos=QPoint(starts.width() - 8, 8))
    QTest.qWait(200)
    popup = QApplication.activePopupWidget()
    calendar = popup.findChild(QCalendarWidget) if popup is not None else None
    if isinstance(popup, QCalendarWidget):
        calendar = popup
    if calendar is not None:
        days = calendar.findChild(QTableView, "qt_calendar_calendarview")
        model = days.model() if days is not None else None
        out["weekdays"] = (
            [str(model.data(model.index(0, c)) or "") for c in range(model.columnCount())]
            if model is not None
            else []
        )
        month = calendar.findChild(QToolButton, "qt_calendar_monthbutton")
        out["month_button"] = month.text() if month is not None else ""
        popup.close()  # type: ignore[union-attr]
    else:
        out["weekdays"] = []

    Button = QMessageBox.StandardButton
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "?",
        "?",
        Button.Save | Button.Discard | Button.Cancel | Button.Yes | Button.No,
        window,
    )
    box.show()
    QTest.qWait(50)
    out["message_buttons"] = sorted(b.text() for b in box.buttons())
    box.close()

    dialog = QFileDialog(window, "?")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.show()
    QTest.qWait(50)
    out["file_dialog_labels"] = sorted(label.text() for label in dialog.findChildren(QLabel))
    dialog.close()
    window.close()
    library.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)))
