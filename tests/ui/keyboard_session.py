"""Run by test_real_keyboard.py in a fresh interpreter on a real X server (xvfb-run, xcb): the
main window driven by key presses only, as a user at the keyboard would. Prints one JSON line
of what each key did. (Offscreen windows never become active, so shortcuts cannot be tested
there.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.app import create_application
from desktop_app.core.i18n import set_language
from desktop_app.storage.library import Library

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def answer_next_question(button: QMessageBox.StandardButton) -> None:
    """Press a button of the message box that is about to open (it runs its own loop)."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(button).click()
        else:
            QTimer.singleShot(50, press)

    QTimer.singleShot(50, press)


def main(library_dir: str) -> dict[str, Any]:
    set_language("en")
    app = create_application()
    from desktop_app.ui.main_window import MainWindow

    library = Library.open(Path(library_dir))
    window = MainWindow(library)
    window.resize(1280, 720)
    window.show()
    window.activateWindow()
    out: dict[str, Any] = {"active": QTest.qWaitForWindowActive(window, 5000)}

    def key(target: Any, k: Qt.Key, mods: Any = Qt.KeyboardModifier.NoModifier) -> None:
        QTest.keyClick(target, k, mods)
        app.processEvents()
        window.writer.wait_for(None, 10000)  # saves, deletes and undo run on the writer

    key(window, Qt.Key.Key_3, CTRL)
    out["ctrl_3"] = window.current_kind
    key(window, Qt.Key.Key_2, CTRL)
    out["ctrl_2"] = window.current_kind
    members_before = window.current_model().total_count()

    key(window.current_table(), Qt.Key.Key_N, CTRL)
    form = window.shown_form()
    out["ctrl_n_new_form"] = form is not None and form.is_new()
    focus = QApplication.focusWidget()
    QTest.keyClicks(focus, "Zhang Keyboard")  # the name field has the focus
    app.processEvents()
    key(focus, Qt.Key.Key_S, CTRL)
    model = window.current_model()
    out["ctrl_s_saved"] = model.total_count() == members_before + 1
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    out["saved_name_listed"] = "Zhang Keyboard" in names

    table = window.current_table()
    table.setFocus()
    table.selectRow(names.index("Zhang Keyboard"))
    app.processEvents()
    answer_next_question(QMessageBox.StandardButton.Yes)
    key(table, Qt.Key.Key_Delete)
    out["del_deleted"] = window.current_model().total_count() == members_before
    # Xvfb has no window manager to give the focus back when the question closes.
    window.activateWindow()
    QTest.qWaitForWindowActive(window, 5000)

    key(table, Qt.Key.Key_Z, CTRL)
    out["ctrl_z_restored"] = window.current_model().total_count() == members_before + 1
    key(table, Qt.Key.Key_Z, CTRL | SHIFT)
    out["ctrl_shift_z_deleted_again"] = window.current_model().total_count() == members_before

    key(table, Qt.Key.Key_F, CTRL)
    out["ctrl_f_focus"] = QApplication.focusWidget() is window.search_box
    window.close()
    library.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
