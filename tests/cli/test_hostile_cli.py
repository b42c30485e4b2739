"""The command line under hostile input, as a user in China runs it (LANG=zh_CN.UTF-8): bad
arguments, damaged photos and a damaged older library each give one line of Chinese on
stderr and exit 1, never a usage page in English, a decoder's warnings, or exit 70."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from desktop_app.cli import main
from tests.fresh_python import REPO
from tests.services.oldlib import old_library

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def jiangxin(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LANG": "zh_CN.UTF-8"}
    env.pop("LC_ALL", None)
    env.pop("LANGUAGE", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_chinese_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert CHINESE.search(err) and "Traceback" not in err, err
    return err


BAD_ARGUMENTS = {
    # arguments: words the one line holds
    ("list",): "缺少以下参数",
    ("list", "ships"): "无效的选项 'ships'",
    ("--library",): "需要一个值",
    ("--lang", "fr", "list", "teams"): "无效的选项 'fr'",
    ("search", "天牛", "--limit", "many"): "无效的 int 值",
    ("check", "--quik"): "无法识别的参数",
    ("restore", "备份 1.zip", "多余"): "无法识别的参数",
}


@pytest.mark.parametrize("args", sorted(BAD_ARGUMENTS))
def test_bad_arguments_are_one_line_in_chinese_exit_1(
    args: tuple[str, ...], demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse printed its usage and "error: the following arguments are required" in
    English, and exit 2, which this program's exit codes give to "damage found"."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--lang", "zh_CN", "--library", str(demo_dir), *args])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1 and not out
    line = _one_chinese_line(err)
    assert BAD_ARGUMENTS[args] in line and "--help" in line and "usage" not in line, line


def test_help_headings_are_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--lang", "zh_CN", "list", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith("用法：jiangxin list") and "选项" in out and "显示本帮助并退出" in out


def test_a_usage_error_from_the_console_in_the_systems_language(tmp_path: Path) -> None:
    proc = jiangxin("--library", str(tmp_path / "库 一"), "pack", "import")
    assert proc.returncode == 1 and not proc.stdout
    assert "缺少以下参数：FILE" in _one_chinese_line(proc.stderr)


def test_damaged_photos_print_no_decoder_warnings(tmp_path: Path, testdata: Path) -> None:
    """libtiff's "TIFFFetchDirectory: Can not read TIFF directory." and Pillow's
    "UserWarning: Corrupt EXIF data" (with a path into site-packages) reached the terminal
    from the import's worker processes, between the lines that say the file was refused."""
    library = tmp_path / "资料 库"
    assert jiangxin("--library", str(library), "init").returncode == 0
    card = tmp_path / "相机 卡"
    card.mkdir()
    tiff = (testdata / "Picoawards.tiff").read_bytes()
    (card / "cut.tiff").write_bytes(tiff[:-10])
    (card / "cut more.tiff").write_bytes(tiff[: len(tiff) // 3])
    proc = jiangxin("--library", str(library), "photos", "import", str(card))
    assert proc.returncode == 1  # some file was refused
    assert proc.stderr == ""
    assert proc.stdout.count("图片已损坏或不完整") == 2, proc.stdout


def _old_damaged_library_backup(tmp_path: Path) -> Path:
    """A backup of a library from before 0004 whose team's expertise is not JSON."""
    db = old_library(tmp_path / "old", "expertise_that_is_no_json") / "library.sqlite3"
    data = db.read_bytes()
    manifest = {
        "format": "jiangxin-backup",
        "format_version": 1,
        "files": {
            "library.sqlite3": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        },
    }
    backup = tmp_path / "旧 备份.zip"
    with zipfile.ZipFile(backup, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("library.sqlite3", data)
        zf.writestr("backup-manifest.json", json.dumps(manifest))
    return backup


def test_restoring_a_damaged_older_library_is_one_line_not_an_internal_error(
    tmp_path: Path,
) -> None:
    backup = _old_damaged_library_backup(tmp_path)
    target = tmp_path / "恢复 到"
    proc = jiangxin("--library", str(target), "restore", str(backup))
    assert proc.returncode == 1, proc.stderr
    line = _one_chinese_line(proc.stderr)
    assert "无法升级" in line and "内部错误" not in line, line
    assert not target.exists()


def test_no_report_writes_over_a_file_of_the_library(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report stats --xlsx LIBRARY/library.sqlite3` replaced the database with a workbook
    (the reports alone did not guard their destinations): the library was gone."""
    db = demo_dir / "library.sqlite3"
    link = tmp_path / "报表.pdf"
    link.symlink_to(db)
    conn = sqlite3.connect(db)
    session = conn.execute("SELECT id FROM field_session").fetchone()[0]
    member = conn.execute("SELECT id FROM member").fetchone()[0]
    conn.close()
    before = db.read_bytes()
    lib = ["--library", str(demo_dir)]
    year = ["--from", "2020-01-01", "--to", "2030-12-31"]
    for target in (db, demo_dir / "library.sqlite3-wal", demo_dir / "photos" / "x", link):
        for command in (
            ["report", "stats", *year, "--xlsx", str(target)],
            ["report", "stats", *year, "--csv", str(target)],
            ["report", "stats", *year, "--pdf", str(target)],
            ["report", "member", member, "-o", str(target)],
            ["report", "news", session, "-o", str(target)],
            ["report", "photos", *year, "-o", str(target)],
        ):
            code = main([*lib, *command])
            err = capsys.readouterr().err
            assert code == 1 and "part of the library" in err, (command, err)
            assert err.count("\n") == 1
    assert db.read_bytes() == before and link.is_symlink()
    assert not (demo_dir / "photos" / "x").exists()
