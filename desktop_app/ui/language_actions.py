"""Tools → Language: choose the interface language (remembered; applied at the next start).

Rebuilding every open form in place would risk losing unsaved edits, so the choice is stored
in the settings and takes effect when Jiangxin starts again; `--lang` still overrides it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.i18n import N_, _, current_language, translator_for

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

# Each language is named in itself, so a user can find theirs whatever the UI shows now.
LANGUAGE_NAMES = {"zh_CN": "中文（简体）", "en": "English"}


def install(ctx: WindowContext) -> dict[str, QAction]:
    """Tools → Language: one checkable entry per language; returns them by code."""
    window = ctx.window()
    menu = ctx.menus["tools"].addMenu(_("Language"))
    group = QActionGroup(window)
    group.setExclusive(True)
    actions: dict[str, QAction] = {}
    for code, name in LANGUAGE_NAMES.items():
        action = QAction(name, window)
        action.setCheckable(True)
        action.setChecked(code == current_language())
        action.setData(code)
        group.addAction(action)
        menu.addAction(action)
        action.triggered.connect(lambda _checked=False, c=code: choose_language(ctx, c))
        actions[code] = action
    return actions


RESTART_NOTICE = N_("The new language is used when Jiangxin is started again.")


def choose_language(ctx: WindowContext, code: str) -> None:
    ctx.settings.set("language", code)
    if code != current_language():
        # Said in the language chosen: the one the user reads, or is about to.
        in_new = translator_for(code)
        QMessageBox.information(ctx.window(), in_new("Language"), in_new(RESTART_NOTICE))
