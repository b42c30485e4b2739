"""What the PyInstaller build is made of (packaging/specinfo.py) and the files shipped with it.

The build itself and the smoke test of the built program run with `make package` (see the
README, "Standalone app"); these tests keep the inputs right without a build.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from desktop_app import __version__
from desktop_app.cli import main
from tests.needs import unavailable

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"


def _load_specinfo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("specinfo", REPO / "packaging" / "specinfo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


specinfo = _load_specinfo()


def test_one_version_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    version = specinfo.project_version()
    assert __version__ == version
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"jiangxin {version}"
    # AppStream's newest release is the current version (add a <release> when bumping it).
    root = ET.parse(LINUX / f"{specinfo.APP_ID}.metainfo.xml").getroot()
    releases = root.findall("./releases/release")
    assert releases[0].get("version") == version


def test_windows_version_numbers() -> None:
    assert specinfo.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert specinfo.version_tuple("2.10.3rc1+local") == (2, 10, 3, 0)
    assert specinfo.version_tuple("3") == (3, 0, 0, 0)


def test_windows_version_resource_carries_the_version() -> None:
    import ast

    text = specinfo.windows_version_text("1.2.3")
    tree = ast.parse(text, mode="eval")  # PyInstaller evaluates this text with its classes
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert called == {
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    }
    assert "filevers=(1, 2, 3, 0)" in text
    assert "StringStruct('ProductVersion', '1.2.3')" in text
    assert "StringStruct('ProductName', '匠心课堂')" in text


def test_qt_modules_found_by_scanning_match_what_the_app_imports() -> None:
    """Every PySide6 module the app really loads must be kept in the bundle; the scan of the
    source is what the spec uses, so check it against an actual import of every module."""
    script = """
import json, pkgutil, importlib, sys
import desktop_app
for info in pkgutil.walk_packages(desktop_app.__path__, "desktop_app."):
    if ".migrations" not in info.name and info.name != "desktop_app.__main__":
        importlib.import_module(info.name)
print(json.dumps(sorted(m.split(".")[1] for m in sys.modules
                        if m.startswith("PySide6.Qt") and m.count(".") == 1)))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    imported = set(json.loads(out))
    used = specinfo.qt_modules_used()
    assert {"QtCore", "QtGui", "QtWidgets"} <= imported
    assert imported <= used
    excluded = {name.split(".")[1] for name in specinfo.qt_excludes()}
    assert not excluded & used
    assert {"QtQml", "QtQuick", "QtDesigner"} <= excluded
    assert "QtNetwork" in used  # the window's local socket: a second start raises it


def test_qt_module_scan_reads_both_import_styles(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from PySide6.QtSvg import QSvgRenderer\n")
    (tmp_path / "b.py").write_text("from PySide6 import (QtCore,\n QtPrintSupport)\n")
    (tmp_path / "c.py").write_text("# PySide6 is not imported here\nimport os\n")
    assert specinfo.qt_modules_used(tmp_path) == {"QtSvg", "QtCore"}


def test_babel_ships_only_while_the_app_imports_it(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    from babel.dates import format_date\n")
    assert "babel" not in specinfo.python_excludes(tmp_path)
    (tmp_path / "a.py").write_text("import os\n")
    assert "babel" in specinfo.python_excludes(tmp_path)
    assert "tkinter" in specinfo.python_excludes(tmp_path)


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/qwindows.dll", True),
        ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/platforms/libqminimalegl.so", False),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so", False),
        ("PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so", True),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
        ("libQt6Pdf.so.6", False),
        ("PySide6/Qt6Pdf.dll", False),
        ("PySide6/Qt/lib/libQt6PdfWidgets.so.6", True),
        ("libpython3.11.so.1.0", True),
    ],
)
def test_binaries_kept(dest: str, kept: bool) -> None:
    assert specinfo.keep_binary(dest, {"QtCore", "QtGui", "QtWidgets"}) is kept


def test_a_qt_library_the_app_imports_is_kept() -> None:
    assert specinfo.keep_binary("PySide6/Qt/lib/libQt6Network.so.6", {"QtNetwork"})
    assert not specinfo.keep_binary("PySide6/Qt/lib/libQt6Network.so.6", {"QtCore"})


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qtbase_zh_CN.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("babel/locale-data/zh_Hans_CN.dat", True),
        ("babel/locale-data/en_GB.dat", True),
        ("babel/locale-data/root.dat", True),
        ("babel/locale-data/de_DE.dat", False),
        ("babel/global.dat", True),
        ("resources/fonts/NotoSansSC-Bold.ttf", True),
    ],
)
def test_data_kept(dest: str, kept: bool) -> None:
    assert specinfo.keep_data(dest) is kept


def test_resource_datas_cover_what_the_app_reads_from_files() -> None:
    compiled = REPO / "resources/translations/zh_CN/LC_MESSAGES/jiangxin.mo"
    if not compiled.is_file():
        unavailable("the .mo catalog is compiled by `make translations` / `make package`")
    datas = specinfo.resource_datas()
    shipped = {f"{dest}/{Path(src).name}" for src, dest in datas}
    migrations = REPO / "desktop_app/storage/migrations"
    expected = {
        "./pyproject.toml",
        "resources/fonts/NotoSansSC-Regular.ttf",
        "resources/fonts/NotoSansSC-Bold.ttf",
        "resources/fonts/OFL.txt",
        "resources/icons/jiangxin.png",
        "resources/translations/zh_CN/LC_MESSAGES/jiangxin.mo",
        "desktop_app/storage/migrations/env.py",
        "desktop_app/storage/migrations/script.py.mako",
        *(
            f"desktop_app/storage/migrations/versions/{p.name}"
            for p in migrations.glob("versions/*.py")
        ),
    }
    assert expected <= shipped
    assert not [name for name in shipped if name.endswith(".po")]


def test_icons_in_every_size() -> None:
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(REPO / f"resources/icons/jiangxin-{size}.png") as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"
    with Image.open(REPO / "resources/icons/jiangxin.png") as image:
        assert image.size == (512, 512)
    with Image.open(REPO / "packaging/jiangxin.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(REPO / "packaging/jiangxin.icns") as icns:
        assert (512, 512, 2) in icns.info["sizes"]


def test_desktop_entry() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(LINUX / f"{specinfo.APP_ID}.desktop", encoding="utf-8")
    group = entry["Desktop Entry"]
    assert group["Exec"] == "jiangxin"
    assert group["Icon"] == specinfo.APP_ID
    assert group["Name[zh_CN]"] == "匠心课堂"
    from desktop_app.app import DESKTOP_FILE_NAME

    assert DESKTOP_FILE_NAME == specinfo.APP_ID
    if shutil.which("desktop-file-validate"):
        subprocess.run(
            ["desktop-file-validate", str(LINUX / f"{specinfo.APP_ID}.desktop")], check=True
        )


def test_metainfo() -> None:
    root = ET.parse(LINUX / f"{specinfo.APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == specinfo.APP_ID
    assert root.findtext("launchable") == f"{specinfo.APP_ID}.desktop"
    if shutil.which("appstreamcli"):
        subprocess.run(
            [
                "appstreamcli",
                "validate",
                "--no-net",
                str(LINUX / f"{specinfo.APP_ID}.metainfo.xml"),
            ],
            check=True,
            capture_output=True,
        )


def test_the_laptop_app_never_imports_the_hub_server() -> None:
    """The hub (desktop_app/hub) is a server program: the laptop bundle leaves it out, so no
    laptop module may import it (it would fail in the standalone app)."""
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "desktop_app").rglob("*.py")
        if "hub" not in path.relative_to(REPO / "desktop_app").parts[:1]
        and re.search(r"^\s*(from|import)\s+desktop_app\.hub\b", path.read_text("utf-8"), re.M)
    ]
    assert offenders == []
    assert not specinfo.bundled_module("desktop_app.hub.app")
    assert specinfo.bundled_module("desktop_app.services.hub_sync")
    assert "desktop_app.hub" in specinfo.python_excludes()
