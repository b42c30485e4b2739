"""The `jiangxin` command: output, JSON, and one-line errors with non-zero exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import __version__
from desktop_app.cli import main
from desktop_app.storage.library import Library


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_demo_then_list_teams_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = str(tmp_path / "x")
    assert run(capsys, "--library", lib, "init", "--demo")[0] == 0
    code, out, _err = run(capsys, "--library", lib, "list", "teams", "--json")
    assert code == 0
    teams = json.loads(out)
    assert len(teams) == 5
    assert {"id", "name", "category", "parent_union"} <= set(teams[0])


def test_the_console_script_and_module_entry_point(tmp_path: Path) -> None:
    lib = tmp_path / "x"
    subprocess.run(
        [sys.executable, "-m", "desktop_app", "--library", str(lib), "init", "--demo"],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--library", str(lib), "list", "guides", "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert len(json.loads(out)) == 4


def test_environment_variable_selects_the_library(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIANGXIN_LIBRARY", str(demo_dir))
    code, out, _ = run(capsys, "list", "members", "--json")
    assert code == 0
    assert {m["name"] for m in json.loads(out)} == {"周宗宝", "李佳"}


def test_list_human_output(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--library", str(demo_dir), "list", "sessions")
    assert code == 0
    assert "园博园" in out and "绿色养护提质增效" in out


def test_show_by_id_and_prefix(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--library", str(demo_dir), "list", "guides", "--json")
    guide = next(g for g in json.loads(out) if g["title"] == "月季修剪")
    code, out, _ = run(capsys, "--library", str(demo_dir), "show", "guide", guide["id"], "--json")
    assert code == 0
    data = json.loads(out)
    assert data["title"] == "月季修剪" and len(data["steps"]) == 5
    code, out, _ = run(capsys, "--library", str(demo_dir), "show", "guide", guide["id"][:8])
    assert code == 0 and "切口要斜向45度" in out


def test_unknown_id_is_one_line_and_non_zero(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--library", str(demo_dir), "show", "team", "no-such-id")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "No service team with id no-such-id" in err


def test_not_a_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "--library", str(tmp_path), "list", "teams")
    assert code == 1 and "not a Jiangxin library" in err and err.count("\n") == 1


def test_locked_library(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Library.open(demo_dir, write=True):
        code, _out, err = run(capsys, "--library", str(demo_dir), "check", "--repair")
    assert code == 1 and "is in use by" in err


def test_newer_library(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(demo_dir / "library.sqlite3")
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    code, _out, err = run(capsys, "--library", str(demo_dir), "list", "teams")
    assert code == 1 and "newer version" in err


def test_init_twice(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "--library", str(demo_dir), "init")
    assert code == 1 and "already a library" in err


def test_check_reports_damage_with_exit_code(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--library", str(demo_dir), "check")[0] == 0
    db = demo_dir / "library.sqlite3"
    raw = bytearray(db.read_bytes())
    raw[3 * 4096 : 3 * 4096 + 200] = b"\xff" * 200
    db.write_bytes(bytes(raw))
    code, out, _ = run(capsys, "--library", str(demo_dir), "check", "--json")
    assert code == 2
    assert json.loads(out)["ok"] is False


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_a_reader_that_stops_early_is_no_internal_error(demo_dir: Path, tmp_path: Path) -> None:
    """`jiangxin list … --json | head -1`: the pipe closes while the command still writes."""
    script = (
        "import sys\n"
        "from desktop_app.cli import main\n"
        f"sys.exit(main(['--library', {str(demo_dir)!r}, 'list', 'members', '--json']))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # the reader goes away before the rest is written
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "Internal error" not in err
