"""App settings, each declared once with its type, default and description.

Stored as JSON in the config folder. The window's layout (size, splitters, column widths,
last folders) is the UI layer's own (`ui/layout_state.py`, an INI file in the same folder).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.fsutil import atomic_write_text
from desktop_app.core.i18n import N_
from desktop_app.core.paths import config_dir


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    description: str


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("language", str, "", N_("UI language (zh_CN or en); empty follows the system")),
        Setting("backups.keep", int, 10, N_("How many automatic backups to keep per library")),
        Setting("handout.paper", str, "A4", N_("Paper size for handouts (A4 or A5)")),
        Setting("handout.language", str, "zh_CN", N_("Language handouts are printed in")),
        Setting("photos.export_long_edge", int, 1600, N_("Long edge of exported photos, pixels")),
        Setting("view.text_size", int, 0, N_("Text size in points; 0 picks one for the screen")),
        Setting(
            "view.high_contrast",
            str,
            "auto",
            N_("High contrast: on, off, or auto (follows the system)"),
        ),
    )
}


class Settings:
    """Typed access to the declared settings, persisted to `settings.json`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or (config_dir() / "settings.json")
        self._values: dict[str, Any] = {}
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if isinstance(loaded, dict):
                self._values = loaded
        except (OSError, ValueError):
            self._values = {}  # a missing or broken file means defaults

    def get(self, name: str) -> Any:
        setting = SETTINGS[name]
        value = self._values.get(name, setting.default)
        if not isinstance(value, setting.type) or isinstance(value, bool) != (setting.type is bool):
            return setting.default
        return value

    def set(self, name: str, value: Any) -> None:
        setting = SETTINGS[name]
        if not isinstance(value, setting.type):
            raise TypeError(f"{name} expects {setting.type.__name__}")
        self._values[name] = value
        # Settings are a convenience: an unwritable config folder must not stop work.
        with contextlib.suppress(OSError):
            atomic_write_text(self.path, json.dumps(self._values, ensure_ascii=False, indent=2))
