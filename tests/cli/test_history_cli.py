"""`jiangxin history` as a user types it: the versions of a record, and restoring one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.cli import main
from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def edited(demo_dir: Path) -> tuple[Path, str]:
    """The demo library with one team edited twice."""
    with Library.open(demo_dir, write=True) as library:
        tid = next(str(r["id"]) for r in listing.list_rows(library, "team"))
        for text in ("第一次", "第二次"):
            data = catalog.load_team(library, tid)
            data.description = text
            catalog.save_team(library, data, tid)
    return demo_dir, tid


def test_history_lists_versions_with_what_changed(
    edited: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    lib, tid = edited
    code, out, err = run(capsys, "--library", str(lib), "history", "team", tid[:8])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Version", "Revision", "Made"]
    assert lines[1].startswith("current") and "Edited on this laptop" in lines[1]
    assert "Description" in lines[1]
    assert "Created on this laptop" in lines[-1]
    code, out, _err = run(capsys, "--library", str(lib), "history", "teams", tid, "--json")
    versions = json.loads(out)
    assert code == 0 and [v["current"] for v in versions] == [True, False, False]
    assert [v["data"]["description"] for v in versions[:2]] == ["第二次", "第一次"]


def test_history_restore_makes_a_new_version(
    edited: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    lib, tid = edited
    _code, out, _err = run(capsys, "--library", str(lib), "history", "team", tid, "--json")
    first = json.loads(out)[1]
    code, out, err = run(
        capsys, "--library", str(lib), "history", "restore", "team", tid, str(first["version"])
    )
    assert code == 0, err
    assert out.strip() == f"Version {first['version']} is current again, as revision 4."
    with Library.open(lib, write=False) as library:
        assert catalog.load_team(library, tid).description == "第一次"
    _code, out, _err = run(capsys, "--library", str(lib), "history", "team", tid, "--json")
    assert json.loads(out)[0]["how"] == "restored"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["history", "robot", "x"], "no kind of record called “robot”"),
        (["history", "team"], "Give the kind and the record id"),
        (["history", "restore", "team", "x"], "Give the kind, the record id and the version"),
        (["history", "team", "00000000"], "No service team with id 00000000"),
        (["history", "restore", "team", "TID", "abc"], "not a version number"),
        (["history", "restore", "team", "TID", "99999"], "no earlier version 99999"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_1(
    edited: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    lib, tid = edited
    argv = [tid if a == "TID" else a for a in argv]
    code, out, err = run(capsys, "--library", str(lib), *argv)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
