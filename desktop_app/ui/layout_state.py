"""Where the window keeps its layout: size, splitter, section, column widths, last folders.

Qt's QSettings, stored as an INI file in the app's config folder (beside settings.json), so
`JIANGXIN_CONFIG_DIR` moves it too and a test or a second profile never touches the user's
real layout. Every key is declared here, once; app settings a user chooses (language, text
size, export size…) are `core/settings.py`'s.
"""

from __future__ import annotations

import json

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


LayoutSettings = QSettings  # for the type hints of modules that are given the layout file


def load_table_widths(settings: QSettings, kind: str) -> dict[str, float]:
    """The widths (in ems, per column key) the user dragged in a record list; {} when none,
    or when the line was damaged (the defaults apply)."""
    raw = settings.value(table_widths(kind))
    try:
        stored = json.loads(str(raw)) if raw else {}
    except ValueError:
        return {}
    if not isinstance(stored, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in stored.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 200
    }


def save_table_widths(settings: QSettings, kind: str, widths: dict[str, float]) -> None:
    settings.setValue(table_widths(kind), json.dumps(widths, sort_keys=True))


def layout_settings() -> QSettings:
    return QSettings(str(config_dir() / "layout.ini"), QSettings.Format.IniFormat)
