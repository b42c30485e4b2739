"""Run by test_papercuts.py in a fresh interpreter on a real X server (xvfb-run, xcb): which of
the main window's shortcuts a focused text field takes for itself (X11's key bindings give
line edits Ctrl+E, Ctrl+U…; offscreen has none of them). Prints one JSON line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QDateEdit, QLineEdit, QPlainTextEdit, QSpinBox

from desktop_app.app import create_application
from desktop_app.core.i18n import set_language
from desktop_app.storage.library import Library

# A text field's own undo and redo come first there, by design (Help says so).
TEXT_UNDO = {"Ctrl+Z", "Ctrl+Shift+Z"}


def main(library_dir: str) -> dict[str, list[str]]:
    set_language("en")
    app = create_application()
    from desktop_app.ui.main_window import MainWindow

    library = Library.open(Path(library_dir), write=True)
    window = MainWindow(library)
    window.show()
    fields = [QLineEdit(), QSpinBox(), QDateEdit(), QPlainTextEdit()]
    swallowed: dict[str, list[str]] = {}
    for action in window.findChildren(QAction):
        # Del on the record lists only (WidgetWithChildrenShortcut): a field's Del is its own.
        if action.shortcutContext() != Qt.ShortcutContext.WindowShortcut:
            continue
        what = action.text()
        for sequence in action.shortcuts():
            if sequence.isEmpty() or sequence.toString() in TEXT_UNDO:
                continue
            combined = sequence[0]
            for field in fields:
                event = QKeyEvent(
                    QEvent.Type.ShortcutOverride, combined.key(), combined.keyboardModifiers()
                )
                event.ignore()
                app.sendEvent(field, event)
                if event.isAccepted():
                    swallowed.setdefault(sequence.toString(), []).append(
                        f"{what} ({type(field).__name__})"
                    )
    window.close()
    library.close()
    return swallowed


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
