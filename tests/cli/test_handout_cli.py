"""`jiangxin handout guide|session|pack|booklet`: PDFs written atomically, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.cli import main
from desktop_app.core.settings import Settings
from desktop_app.services import catalog as c
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ids(demo_dir: Path) -> tuple[dict[str, str], str]:
    with Library.open(demo_dir, write=False) as library, library.session() as s:
        guides = {g.title: g.id for g in s.scalars(select(Guide))}
        return guides, s.scalars(select(FieldSession.id)).one()


def pdf_info(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout


def test_guide_to_pdf_with_paper_option(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guides, _sid = ids(demo_dir)
    out = tmp_path / "out" / "花后修剪.pdf"
    lib = str(demo_dir)
    code, stdout, err = run(
        capsys,
        "--library",
        lib,
        "handout",
        "guide",
        guides["花后修剪"][:8],
        "-o",
        str(out),
        "--json",
    )
    assert (code, err) == (0, "")
    result = json.loads(stdout)
    assert result["path"] == str(out) and result["bytes"] == out.stat().st_size
    assert "A4" in pdf_info(out)
    code, stdout, _err = run(
        capsys,
        "--library",
        lib,
        "handout",
        "guide",
        guides["花后修剪"],
        "-o",
        str(out),
        "--paper",
        "a5",
    )
    assert code == 0 and str(out) in stdout
    assert "419.528 x 595.276 pts" in pdf_info(out)


def test_paper_comes_from_the_saved_setting(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guides, _sid = ids(demo_dir)
    Settings().set("handout.paper", "A5")
    out = tmp_path / "g.pdf"
    assert (
        run(
            capsys,
            "--library",
            str(demo_dir),
            "handout",
            "guide",
            guides["月季修剪"],
            "-o",
            str(out),
        )[0]
        == 0
    )
    assert "419.528 x 595.276 pts" in pdf_info(out)


def test_session_pack_and_booklet(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guides, sid = ids(demo_dir)
    lib = str(demo_dir)
    report, pack, booklet = tmp_path / "r.pdf", tmp_path / "p.pdf", tmp_path / "b.pdf"
    assert run(capsys, "--library", lib, "handout", "session", sid, "-o", str(report))[0] == 0
    assert run(capsys, "--library", lib, "handout", "pack", sid, "-o", str(pack))[0] == 0
    code, stdout, _err = run(
        capsys,
        "--library",
        lib,
        "handout",
        "booklet",
        guides["月季修剪"],
        guides["花后修剪"],
        "--title",
        "修剪手册",
        "-o",
        str(booklet),
        "--json",
    )
    assert code == 0 and json.loads(stdout)["pages"] >= 4
    for pdf in (report, pack, booklet):
        assert pdf.read_bytes().startswith(b"%PDF-")


def test_guide_without_safety_notes_needs_force(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(demo_dir) as library:
        gid = c.save_guide(library, c.GuideData(title="登梯修剪", steps=[c.StepData("扶梯。")]))
    out = tmp_path / "ladder.pdf"
    code, stdout, err = run(
        capsys, "--library", str(demo_dir), "handout", "guide", gid, "-o", str(out)
    )
    assert code == 1 and stdout == ""
    assert err.count("\n") == 1 and "登梯修剪" in err and "--force" in err
    assert not out.exists()
    assert (
        run(capsys, "--library", str(demo_dir), "handout", "guide", gid, "-o", str(out), "--force")[
            0
        ]
        == 0
    )
    assert out.exists()


def test_errors_are_one_line_and_leave_nothing(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guides, _sid = ids(demo_dir)
    lib = str(demo_dir)
    folder_parent = tmp_path / "out"
    folder_parent.mkdir()
    out = folder_parent / "x.pdf"
    code, _out, err = run(
        capsys, "--library", lib, "handout", "guide", "nosuchguide", "-o", str(out)
    )
    assert code == 1 and err.startswith("jiangxin: ") and err.count("\n") == 1
    folder = folder_parent / "folder.pdf"
    folder.mkdir()
    code, _out, err = run(
        capsys, "--library", lib, "handout", "guide", guides["月季修剪"], "-o", str(folder)
    )
    assert code == 1 and err.count("\n") == 1
    assert sorted(p.name for p in folder_parent.iterdir()) == ["folder.pdf"]


def test_works_while_the_library_is_open_for_writing(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guides, _sid = ids(demo_dir)
    with Library.open(demo_dir, write=True):  # as the window holds it
        code, _out, err = run(
            capsys,
            "--library",
            str(demo_dir),
            "handout",
            "guide",
            guides["月季修剪"],
            "-o",
            str(tmp_path / "g.pdf"),
        )
    assert (code, err) == (0, "")


def test_signin_and_feedback_sheets(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_app.services.session_code import session_code

    _guides, sid = ids(demo_dir)
    lib = str(demo_dir)
    signin, feedback = tmp_path / "签到表.pdf", tmp_path / "反馈表.pdf"
    code, stdout, err = run(
        capsys, "--library", lib, "handout", "signin", sid[:8], "-o", str(signin), "--json"
    )
    assert (code, err) == (0, "")
    assert json.loads(stdout)["pages"] == 1
    assert re.search(r"Page size:\s+841\.89 x 595\.27\d pts", pdf_info(signin))  # A4 landscape
    text = subprocess.run(
        ["pdftotext", str(signin), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "签到表" in text and "签名" in text and session_code(sid) in text
    code, _stdout, err = run(
        capsys, "--library", lib, "handout", "feedback", sid, "-o", str(feedback), "--paper", "a5"
    )
    assert (code, err) == (0, "")
    assert re.search(r"Page size:\s+419\.52\d x 595\.27\d pts", pdf_info(feedback))
    # An unknown session: one line, no file.
    missing = tmp_path / "none.pdf"
    code, _stdout, err = run(
        capsys, "--library", lib, "handout", "signin", "nosuchsession", "-o", str(missing)
    )
    assert code == 1 and err.count("\n") == 1 and not missing.exists()


def test_blurred_photo_is_pointed_out_and_the_pdf_still_written(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import TESTDATA
    from tests.services.handout_fixtures import add_photo, attach_to_session

    _guides, sid = ids(demo_dir)
    with Library.open(demo_dir) as library:
        small = add_photo(library, TESTDATA / "RGBA_8__128x128.png", caption="小图")
        attach_to_session(library, sid, [small])
    out = tmp_path / "report.pdf"
    code, _stdout, err = run(
        capsys, "--library", str(demo_dir), "handout", "session", sid, "-o", str(out)
    )
    assert code == 0 and out.exists()
    (line,) = err.splitlines()
    assert line.startswith("jiangxin: warning: ") and "小图" in line and "ppi" in line


def test_report_photos_chosen_on_the_command_line(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import TESTDATA
    from tests.services.handout_fixtures import add_photo, attach_to_session

    _guides, sid = ids(demo_dir)
    with Library.open(demo_dir) as library:
        small = add_photo(library, TESTDATA / "RGBA_8__128x128.png", caption="小图")
        good = add_photo(library, TESTDATA / "landscape_1.jpg", caption="现场示范")
        attach_to_session(library, sid, [small, good])
    out = tmp_path / "report.pdf"
    code, _stdout, err = run(
        capsys,
        "--library",
        str(demo_dir),
        "handout",
        "session",
        sid,
        "--photos",
        good,
        "-o",
        str(out),
    )
    # The blurred photo is left out, so it is not pointed out, and not printed.
    assert code == 0 and err == ""
    text = subprocess.run(
        ["pdftotext", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "现场示范" in text and "小图" not in text
    code, _stdout, err = run(
        capsys,
        "--library",
        str(demo_dir),
        "handout",
        "session",
        sid,
        "--photos",
        "x" * 12,
        "-o",
        str(tmp_path / "bad.pdf"),
    )
    assert code == 1 and err.count("\n") == 1 and "xxxxxxxxxxxx" in err
    assert not (tmp_path / "bad.pdf").exists()
