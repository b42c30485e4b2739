"""Where the window keeps its layout: size, splitter, section, column widths, last folders.

Qt's QSettings, stored as an INI file in the app's config folder (beside settings.json), so
`JIANGXIN_CONFIG_DIR` moves it too and a test or a second profile never touches the user's
real layout. Every key is declared here, once; app settings a user chooses (language, text
size, export size…) are `core/settings.py`'s.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from desktop_app.core.paths import config_dir

WINDOW_GEOMETRY = "window/geometry"
WINDOW_SPLITTER = "window/splitter"
WINDOW_SECTION = "window/section"
HANDOUTS_LAST_DIR = "handouts/last_dir"
PACKS_LAST_DIR = "packs/last_dir"
PHOTOS_EXPORT_DIR = "photos/export_dir"


def table_header(kind: str) -> str:
    """The key of a record list's column layout."""
    return f"tables/{kind}"


def table_widths(kind: str) -> str:
    """The key of the column widths the user dragged in a record list (ui/column_widths.py)."""
    return f"tables/{kind}_widths"


def layout_settings() -> QSettings:
    return QSettings(str(config_dir() / "layout.ini"), QSettings.Format.IniFormat)
