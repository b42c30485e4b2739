"""Feature modules that add their menus and actions to the main window.

Each listed module has `install(window: MainWindow) -> None`. It adds actions to
`window.menus[...]` ("file", "edit", "record", "view", "tools", "help") or `window.toolbar`, uses
`window.runner` for background work, `window.current_selection()` for what is selected, and
`window.refresh()` after it changed the library.
"""

from __future__ import annotations

INSTALLERS: list[str] = [
    "desktop_app.ui.appearance",
    "desktop_app.ui.handout_actions",
    "desktop_app.ui.language_actions",
    "desktop_app.ui.pack_actions",
    "desktop_app.ui.photo_actions",
    "desktop_app.ui.search_panel",
    "desktop_app.ui.report_actions",
    "desktop_app.ui.version_history",
    "desktop_app.ui.hub_actions",
]
