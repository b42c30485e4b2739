"""Where the library lives: options first, then a portable folder beside a built program, then
the platform's data folder."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from desktop_app.core import paths


def _frozen(monkeypatch: pytest.MonkeyPatch, program_dir: Path) -> None:
    """Pretend to be the PyInstaller-built program in `program_dir`."""
    program_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program_dir / "jiangxin"))


def _platform_library() -> Path:
    return Path(platformdirs.user_data_dir("Jiangxin", appauthor=False)) / "library"


def test_built_program_uses_library_folder_beside_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stick = tmp_path / "usb" / "jiangxin"
    _frozen(monkeypatch, stick)
    (stick / "library").mkdir()
    assert paths.executable_dir() == stick.resolve()
    assert paths.resolve_library_dir() == stick.resolve() / "library"


def test_built_program_without_library_folder_uses_platform_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = tmp_path / "opt" / "jiangxin"
    _frozen(monkeypatch, program)
    (program / "library.txt").write_text("a file named like the folder does not count")
    result = paths.resolve_library_dir()
    assert result == _platform_library()
    assert program not in result.parents


def test_a_file_named_library_is_not_a_portable_library(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = tmp_path / "jiangxin"
    _frozen(monkeypatch, program)
    (program / "library").write_text("not a folder")
    assert paths.resolve_library_dir() == _platform_library()


def test_running_from_python_ignores_a_library_folder_beside_the_interpreter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python3"))
    (tmp_path / "library").mkdir()
    assert paths.executable_dir() is None
    assert paths.resolve_library_dir() == _platform_library()


def test_option_and_environment_win_over_the_portable_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stick = tmp_path / "usb"
    _frozen(monkeypatch, stick)
    (stick / "library").mkdir()
    monkeypatch.setenv(paths.LIBRARY_ENV, str(tmp_path / "from-env"))
    assert paths.resolve_library_dir() == tmp_path / "from-env"
    assert paths.resolve_library_dir(str(tmp_path / "from-option")) == tmp_path / "from-option"


def test_mac_app_bundle_uses_library_folder_beside_the_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stick = tmp_path / "usb"
    _frozen(monkeypatch, stick / "Jiangxin.app" / "Contents" / "MacOS")
    assert paths.resolve_library_dir() == _platform_library()
    (stick / "library").mkdir()
    assert paths.resolve_library_dir() == stick.resolve() / "library"
