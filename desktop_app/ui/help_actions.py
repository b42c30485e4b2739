"""The Help menu: the bundled user guide (F1), the list of keyboard shortcuts, and About.

A feature module like the others (`install(ctx)`); the guide and the shortcut list live in
`help_window`, imported when first opened so start-up does not pay for them.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from desktop_app import __version__
from desktop_app.core.i18n import _

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext
    from desktop_app.ui.help_window import HelpWindow, ShortcutsDialog


class HelpActions(QObject):
    """Help → User guide, Keyboard shortcuts, About Jiangxin."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.help_window: HelpWindow | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.guide_action = QAction(_("User guide"), self.window)
        self.guide_action.setObjectName("help_guide")
        self.guide_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.guide_action.triggered.connect(lambda _checked=False: self.show_guide())
        self.shortcuts_action = QAction(_("Keyboard shortcuts"), self.window)
        self.shortcuts_action.setObjectName("help_shortcuts")
        self.shortcuts_action.triggered.connect(lambda _checked=False: self.show_shortcuts())
        self.about_action = QAction(_("About Jiangxin"), self.window)
        self.about_action.triggered.connect(self.show_about)
        for action in (self.guide_action, self.shortcuts_action):
            ctx.add_shortcut(action)  # F1 works with the menus closed
        menu = ctx.menus["help"]
        menu.addAction(self.guide_action)
        menu.addAction(self.shortcuts_action)
        menu.addSeparator()
        menu.addAction(self.about_action)

    def show_guide(self) -> None:
        from desktop_app.ui.help_window import HelpWindow

        self.help_window = HelpWindow(self.window)
        self.help_window.show()

    def show_shortcuts(self) -> None:
        from desktop_app.ui.help_window import ShortcutsDialog

        window = self.window
        if not isinstance(window, QMainWindow):  # the list is read from the menu bar
            return
        self.shortcuts_dialog = ShortcutsDialog(window)
        self.shortcuts_dialog.show()

    def show_about(self) -> None:
        QMessageBox.about(
            self.window,
            _("About Jiangxin"),
            "<h3>{}</h3><p>{}</p><p>{}</p>".format(
                html.escape(_("Jiangxin Classroom")),
                html.escape(_("Version {version}").format(version=__version__)),
                html.escape(_("Library: {path}").format(path=self.ctx.library.root)),
            ),
        )


def install(ctx: WindowContext) -> HelpActions:
    return HelpActions(ctx)
