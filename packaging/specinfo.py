"""Facts the PyInstaller spec needs, computed from the source tree so they follow the app.

Kept out of `jiangxin.spec` so that tests can check them without running a build:

- the version (one source of truth: `pyproject.toml`),
- which Qt modules the app imports (every other PySide6 module is excluded from the bundle),
- which Qt plugins and translations are worth shipping,
- the Windows version resource.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "desktop_app"

APP_ID = "cn.jiangxin.Jiangxin"  # reverse-DNS id shared by the .desktop file and metainfo
DISPLAY_NAME = "匠心课堂"

# Qt platform plugins: offscreen (tests, smoke test, headless), X11, Wayland, Windows, macOS.
# eglfs/linuxfb/vnc/vkkhrdisplay are for kiosks and embedded boards.
KEEP_PLATFORMS = ("qoffscreen", "qxcb", "qwayland", "qwindows", "qcocoa", "qminimal.")
# Image formats Qt itself may need to read (icons, pasted images); photos go through Pillow.
# qsvg (with the qsvgicon icon engine) draws the desktop's SVG theme icons in standard dialogs;
# qpdf would pull in the 8 MB Qt PDF library for nothing.
KEEP_IMAGEFORMATS = ("qgif", "qico", "qjpeg", "qwebp", "qtiff", "qsvg")
# Plugin folders of other Qt modules the app does not use, or of features it has no use for.
DROP_PLUGIN_DIRS = (
    "designer",
    "qmltooling",
    "sqldrivers",
    "networkinformation",
    "tls",
    "vectorimageformats",
    "printsupport",
    "egldeviceintegrations",
    "generic",  # evdev/tuio input, for the kiosk platforms above
    "wayland-graphics-integration-server",
)
# The GTK theme plugin loads the system's GTK 3 next to the bundled GLib, which breaks on
# mismatched versions, and without GTK it drags in 20 MB of cairo/pango/gdk: Qt's own style
# (and the XDG portal theme for file dialogs) is used instead.
DROP_PLATFORMTHEMES = ("qgtk3",)
# Qt libraries that only plugins dropped above load, by the Qt module they belong to: dropped
# unless the app imports that module itself.
PLUGIN_ONLY_QT_LIBS = {
    "QtPdf": "Qt6Pdf",
    "QtQml": "Qt6Qml",
    "QtQuick": "Qt6Quick",
    "QtNetwork": "Qt6Network",
}
# Qt's own catalog the app needs; the same file also ships in resources/translations/qt/.
KEEP_QT_TRANSLATIONS = ("qtbase_zh_CN.qm",)
# Babel formats dates in handouts, in Chinese or English only: its data for the other 700
# locales is 30 MB. Parents of the kept locales (root) must stay.
BABEL_LOCALES = ("root", "zh", "en")

# Standard-library and third-party modules the app never uses at run time.
PYTHON_EXCLUDES = [
    "tkinter",
    "_tkinter",
    "PIL.ImageTk",
    "turtle",
    "turtledemo",
    "idlelib",
    "pydoc_data",
    "lib2to3",
    "test",
    "unittest",
    "doctest",
    "pytest",
    "_pytest",
    "pytestqt",
    "mypy",
    "setuptools",
    "pkg_resources",
    "pip",
    "numpy",
    "IPython",
    "fontTools",
    # The district hub's server side (desktop_app/hub, `pip install .[hub]`): never imported by
    # the laptop app (tests/packaging checks), so none of it belongs in the bundle.
    "desktop_app.hub",
    "starlette",
    "uvicorn",
    "argon2",
]


def bundled_module(name: str) -> bool:
    """Whether a module of the app goes into the laptop bundle (see `jiangxin.spec`)."""
    return ".migrations" not in name and not name.startswith("desktop_app.hub")


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The app's version, read from pyproject.toml."""
    with pyproject.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    version = data["project"]["version"]
    if not isinstance(version, str):
        raise ValueError("project.version in pyproject.toml is not a string")
    return version


def _python_files(source: Path) -> list[Path]:
    return [p for p in source.rglob("*.py") if "__pycache__" not in p.parts]


def qt_modules_used(source: Path = SOURCE) -> set[str]:
    """Names like `QtWidgets` of every PySide6 module imported anywhere under `source`."""
    used: set[str] = set()
    dotted = re.compile(r"\bPySide6\.(Qt\w+)")
    from_import = re.compile(r"^\s*from\s+PySide6\s+import\s+\(?([^)\n]*)", re.M)
    for path in _python_files(source):
        text = path.read_text("utf-8")
        used.update(dotted.findall(text))
        for names in from_import.findall(text):
            used.update(n.strip() for n in names.split(",") if n.strip().startswith("Qt"))
    return used


def qt_modules_available() -> set[str]:
    """Every Qt module of the installed PySide6 (from its extension file names)."""
    import PySide6

    package = Path(PySide6.__file__).parent
    names = set()
    for path in package.iterdir():
        if path.name.startswith("Qt") and path.suffix in (".so", ".pyd"):
            names.add(path.name.split(".")[0])
    return names


def qt_excludes(source: Path = SOURCE) -> list[str]:
    """PySide6 modules to leave out of the bundle: all the app does not import."""
    used = qt_modules_used(source)
    return sorted(f"PySide6.{name}" for name in qt_modules_available() - used)


def imports_module(module: str, source: Path = SOURCE) -> bool:
    """Whether any file under `source` imports `module` (e.g. `babel`)."""
    pattern = re.compile(rf"^\s*(?:import|from)\s+{re.escape(module)}\b", re.M)
    return any(pattern.search(p.read_text("utf-8")) for p in _python_files(source))


def python_excludes(source: Path = SOURCE) -> list[str]:
    """Modules to exclude; Babel only while the app itself does not import it (it is 33 MB of
    locale data and, today, only the translation tooling in packaging/tools uses it)."""
    excludes = list(PYTHON_EXCLUDES)
    if not imports_module("babel", source):
        excludes.append("babel")
    return excludes


def keep_binary(dest: str, used: set[str]) -> bool:
    """Whether a collected binary (by its path inside the bundle) is worth shipping; `used` is
    the set of Qt modules the app imports (`qt_modules_used()`)."""
    parts = dest.replace("\\", "/").split("/")
    name = parts[-1]
    if "plugins" in parts:
        kind = parts[parts.index("plugins") + 1]
        if kind in DROP_PLUGIN_DIRS:
            return False
        if kind == "platforms":
            return any(key in name for key in KEEP_PLATFORMS)
        if kind == "imageformats":
            return any(key in name for key in KEEP_IMAGEFORMATS)
        if kind == "platformthemes":
            return not any(key in name for key in DROP_PLATFORMTHEMES)
        return True
    dropped = [lib for module, lib in PLUGIN_ONLY_QT_LIBS.items() if module not in used]
    return not any(re.match(rf"(lib)?{lib}\.", name) for lib in dropped)


def qt_hook_dependencies(hook_file: str) -> tuple[list[str], list[Any], list[Any]]:
    """What PyInstaller's own Qt hook collects for a module, less the binaries `keep_binary`
    rejects (the hook file is named like PyInstaller's, e.g. hook-PySide6.QtGui.py)."""
    import os

    from PyInstaller.utils.hooks.qt import (  # type: ignore[import-untyped,unused-ignore]
        add_qt6_dependencies,
    )

    hiddenimports, binaries, datas = add_qt6_dependencies(hook_file)
    used = qt_modules_used()
    kept = [
        (src, dest)
        for src, dest in binaries
        if keep_binary(f"{dest}/{os.path.basename(src)}", used)
    ]
    return hiddenimports, kept, datas


def keep_data(dest: str) -> bool:
    """Whether a collected data file is worth shipping (drops Qt's catalogs in 40 languages)."""
    parts = dest.replace("\\", "/").split("/")
    if "translations" in parts and parts[0] == "PySide6":
        return parts[-1] in KEEP_QT_TRANSLATIONS
    if parts[:2] == ["babel", "locale-data"]:
        locale = parts[-1].split(".")[0]
        return locale.split("_")[0] in BABEL_LOCALES
    return True


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder) for everything the app reads at run time from files."""
    datas: list[tuple[str, str]] = []
    resources = root / "resources"
    for path in sorted(resources.rglob("*")):
        # .po catalogs are the translators' sources; the app reads the compiled .mo.
        if path.is_file() and path.suffix != ".po":
            datas.append((str(path), str(path.parent.relative_to(root))))
    catalogs = list(resources.glob("translations/*/LC_MESSAGES/*.mo"))
    if not catalogs:
        raise SystemExit(
            "No compiled translations: run `python packaging/tools/i18n.py compile` first."
        )
    # Alembic reads its environment, template and revisions from files, not from imports.
    migrations = root / "desktop_app" / "storage" / "migrations"
    for path in sorted([*migrations.glob("*.py"), *migrations.glob("*.mako")]):
        datas.append((str(path), "desktop_app/storage/migrations"))
    for path in sorted(migrations.glob("versions/*.py")):
        datas.append((str(path), "desktop_app/storage/migrations/versions"))
    # The version's single source of truth, read by desktop_app.core.version in a frozen build.
    datas.append((str(root / "pyproject.toml"), "."))
    return datas


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """`1.2.3rc1` -> (1, 2, 3, 0): Windows wants four numbers."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def windows_version_text(version: str) -> str:
    """The version resource Windows Explorer shows under Properties > Details, in the text form
    PyInstaller's `EXE(version=FILE)` reads (PyInstaller's own classes for it import only on
    Windows, so the text is what can be built and checked everywhere)."""
    numbers = version_tuple(version)
    strings = [
        ("CompanyName", "Jiangxin"),
        ("FileDescription", f"{DISPLAY_NAME} (Jiangxin)"),
        ("FileVersion", version),
        ("InternalName", "jiangxin"),
        ("LegalCopyright", "GPL-3.0-or-later"),
        ("OriginalFilename", "jiangxin.exe"),
        ("ProductName", DISPLAY_NAME),
        ("ProductVersion", version),
    ]
    structs = ",\n".join(f"          StringStruct({k!r}, {v!r})" for k, v in strings)
    # 0x0804 = Chinese (PRC), 1200 = Unicode; the string table's key is both in hex.
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('080404B0', [
{structs}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [0x0804, 1200])])
  ]
)
"""


def write_windows_version_file(version: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "version_info.txt"
    path.write_text(windows_version_text(version), encoding="utf-8")
    return path
