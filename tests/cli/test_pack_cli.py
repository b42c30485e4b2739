"""`jiangxin pack`, `conflicts`, `backup` and `restore` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.cli import main
from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library
from tests.services.packkit import illustrate, records


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def illustrated(demo_dir: Path) -> Path:
    with Library.open(demo_dir, write=True) as library:
        illustrate(library)
    return demo_dir


def guide(library_dir: Path, part: str) -> str:
    with Library.open(library_dir, write=False) as library:
        rows = listing.list_rows(library, "guide")
    return next(str(r["id"]) for r in rows if part in str(r["title"]))


def test_export_dry_run_import_and_again(
    illustrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "all.jxpack"
    code, out, _err = run(capsys, "--library", str(illustrated), "pack", "export", "-o", str(pack))
    assert code == 0 and "5 teams" in out and "4 guides" in out and pack.is_file()

    other = tmp_path / "other"
    assert run(capsys, "--library", str(other), "init")[0] == 0
    code, out, _err = run(
        capsys, "--library", str(other), "pack", "import", str(pack), "--dry-run", "--json"
    )
    preview = json.loads(out)
    assert code == 0 and preview["dry_run"] and len(preview["added"]) == 19
    with Library.open(other, write=False) as library:
        assert records(library) == {}

    code, out, _err = run(capsys, "--library", str(other), "pack", "import", str(pack))
    assert code == 0 and "Added: 19" in out and "backed up first" in out
    code, out, _err = run(capsys, "--library", str(other), "pack", "import", str(pack), "--json")
    assert json.loads(out)["unchanged"] == 19 and json.loads(out)["backup"] is None


def test_selection_and_contacts(
    illustrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gid = guide(illustrated, "管氏")
    pack = tmp_path / "one.jxpack"
    code, out, _err = run(
        capsys,
        "--library",
        str(illustrated),
        "pack",
        "export",
        "-o",
        str(pack),
        "--guides",
        gid[:8],
        "--include-contacts",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and result["records"]["guide"] == 1 and result["records"]["session"] == 0
    code, _out, err = run(
        capsys, "--library", str(illustrated), "pack", "export", "-o", str(pack), "--teams", "nope"
    )
    assert code == 1 and err.count("\n") == 1 and "No service team with id nope" in err


def test_conflicts_list_and_resolve(
    illustrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    first = tmp_path / "first.jxpack"
    run(capsys, "--library", str(illustrated), "pack", "export", "-o", str(first))
    run(capsys, "--library", str(other), "init")
    run(capsys, "--library", str(other), "pack", "import", str(first))
    gid = guide(illustrated, "花后修剪")
    for root, season in ((illustrated, "甲：五月"), (other, "乙：六月")):
        with Library.open(root, write=True) as library:
            data = catalog.load_guide(library, gid)
            data.season = season
            catalog.save_guide(library, data, gid)
    theirs = tmp_path / "theirs.jxpack"
    run(capsys, "--library", str(other), "pack", "export", "-o", str(theirs))
    code, out, _err = run(capsys, "--library", str(illustrated), "pack", "import", str(theirs))
    assert code == 0 and "Conflicts (kept yours" in out and "Changed on both laptops" in out

    code, out, _err = run(capsys, "--library", str(illustrated), "conflicts", "list", "--json")
    (conflict,) = json.loads(out)
    assert conflict["mine"]["season"] == "甲：五月" and conflict["theirs"]["season"] == "乙：六月"
    code, out, _err = run(capsys, "--library", str(illustrated), "conflicts", "list")
    assert conflict["id"][:8] in out and "花后修剪" in out

    code, out, _err = run(
        capsys,
        "--library",
        str(illustrated),
        "conflicts",
        "resolve",
        conflict["id"][:8],
        "--keep",
        "theirs",
    )
    assert code == 0
    with Library.open(illustrated, write=False) as library:
        assert records(library)[("guide", gid)]["season"] == "乙：六月"
    code, out, _err = run(capsys, "--library", str(illustrated), "conflicts", "list")
    assert "No open conflicts" in out
    code, _out, err = run(
        capsys,
        "--library",
        str(illustrated),
        "conflicts",
        "resolve",
        conflict["id"],
        "--keep",
        "mine",
    )
    assert code == 1 and "already resolved" in err


def test_hostile_pack_is_one_line_on_stderr(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jxpack"
    bad.write_text("not a pack")
    code, out, err = run(capsys, "--library", str(demo_dir), "pack", "import", str(bad))
    assert code == 1 and out == "" and err.count("\n") == 1 and "not a zip file" in err


def test_backup_and_restore(
    illustrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "b.zip"
    code, out, _err = run(capsys, "--library", str(illustrated), "backup", "-o", str(target))
    assert code == 0 and "7 photos" in out
    restored = tmp_path / "restored"
    code, out, _err = run(capsys, "restore", str(target), "--library", str(restored), "--json")
    assert code == 0 and json.loads(out)["library"] == str(restored)
    code, out, _err = run(capsys, "--library", str(restored), "check")
    assert code == 0 and "good order" in out
    code, _out, err = run(capsys, "restore", str(target), "--library", str(restored))
    assert code == 1 and "already a library" in err


def test_the_import_report_names_each_records_kind_in_the_ui_language(
    illustrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report listed "team", "guide"… in English (the code's word) in a Chinese UI."""
    pack = tmp_path / "all.jxpack"
    assert run(capsys, "--library", str(illustrated), "pack", "export", "-o", str(pack))[0] == 0
    other = tmp_path / "other"
    assert run(capsys, "--library", str(other), "init")[0] == 0
    code, out, _err = run(
        capsys, "--library", str(other), "--lang", "zh_CN", "pack", "import", str(pack),
        "--dry-run",
    )  # fmt: skip
    from desktop_app.core.i18n import set_language

    set_language("en")
    items = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert code == 0 and len(items) == 19
    assert {item[0] for item in items} == {"服务队", "劳模工匠", "技能指南", "现场活动", "照片"}
