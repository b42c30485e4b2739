"""Every path the app uses is resolved here, and only here.

Order for the library folder: the `--library DIR` option, then `JIANGXIN_LIBRARY`, then a
portable `library/` folder next to a frozen executable (a USB stick), then the platform's
user data folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "Jiangxin"
LIBRARY_ENV = "JIANGXIN_LIBRARY"
CONFIG_ENV = "JIANGXIN_CONFIG_DIR"

DATABASE_NAME = "library.sqlite3"
LOCK_NAME = "library.lock"
LOCK_INFO_NAME = "library.lock.json"  # who holds the lock (see storage.library)
PHOTOS_DIR = "photos"
CACHE_DIR = "cache"
THUMBS_DIR = "cache/thumbs"
BACKUPS_DIR = "backups"
TMP_DIR = "tmp"


def resources_dir() -> Path:
    """The `resources/` folder: beside the package in a source tree, inside a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def executable_dir() -> Path | None:
    """Folder of the frozen executable, or None when running from Python."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return None


def portable_dir() -> Path | None:
    """The folder a portable `library/` sits in: the built program's folder, or on macOS the
    folder holding Jiangxin.app (the program itself is inside at Contents/MacOS/)."""
    exe_dir = executable_dir()
    if exe_dir is None:
        return None
    if exe_dir.parent.name == "Contents" and exe_dir.parents[1].suffix == ".app":
        return exe_dir.parents[2]
    return exe_dir


def default_library_dir() -> Path:
    """Where the library lives when nothing overrides it."""
    base = portable_dir()
    if base is not None and (base / "library").is_dir():
        return base / "library"
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)) / "library"


def resolve_library_dir(option: str | os.PathLike[str] | None = None) -> Path:
    """Apply the override order; the result is absolute but may not exist yet."""
    if option:
        return Path(option).expanduser().absolute()
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return default_library_dir()


def config_dir() -> Path:
    """Folder for app settings (not library data)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


def log_dir() -> Path:
    """Folder for the log file that records internal errors with their tracebacks."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser().absolute() / "logs"
    return Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))
