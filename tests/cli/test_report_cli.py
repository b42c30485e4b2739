"""`jiangxin report stats|member|news`: figures on the terminal and as JSON, files written,
one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from desktop_app.cli import main
from desktop_app.storage.library import Library


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _ids(demo_dir: Path) -> tuple[str, str]:
    with Library.open(demo_dir) as library:
        conn = library.reader()
        member = conn.execute("SELECT id FROM member WHERE name = '周宗宝'").fetchone()[0]
        session = conn.execute("SELECT id FROM field_session").fetchone()[0]
    return str(member), str(session)


def test_stats_prints_figures_and_writes_every_export(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys,
        "--library", str(demo_dir), "report", "stats", "--from", "2025-08-01",
        "--to", "2025-08-31", "--by", "member",
        "--xlsx", str(out_dir / "a.xlsx"), "--csv", str(out_dir / "a.csv"),
        "--pdf", str(out_dir / "a.pdf"),
    )  # fmt: skip
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Period: 2025-08-01 to 2025-08-31"
    assert lines[2].split() == ["李佳", "1", "2.0", "—", "2", "4", "0"]
    assert lines[4].split() == ["Total", "1", "2.0", "—", "2", "4", "0"]
    assert "1 sessions have no head counts: left out of the trainees." in out
    for name in ("a.xlsx", "a.csv", "a.pdf"):
        assert (out_dir / name).stat().st_size > 0
    assert openpyxl.load_workbook(out_dir / "a.xlsx").sheetnames[0] == "汇总"
    assert (out_dir / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_stats_json_and_presets(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "report", "stats",
        "--from", "2025-01-01", "--to", "2025-12-31", "--json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["by"] == "team"
    assert [g["name"] for g in data["groups"]] == ["专业技术服务2队"]
    assert data["total"]["hours"] == 2.0 and data["total"]["left_out"] == {"no_counts": 1}
    assert [m["sessions"] for m in data["by_month"]] == [0] * 7 + [1] + [0] * 4
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "report", "stats", "--period", "month", "--json"
    )
    assert code == 0 and json.loads(out)["to"][:7] == json.loads(out)["from"][:7]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-02-30", "--to", "2025-03-01"], "is not a date"),
        (["--from", "2025-03-01", "--to", "2025-02-01"], "ends (2025-02-01) before it starts"),
        (["--from", "2025-03-01"], "Give both --from and --to"),
    ],
)
def test_stats_bad_periods_fail_in_one_line(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--library", str(demo_dir), "report", "stats", *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err


def test_member_record_and_news_draft(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member, session = _ids(demo_dir)
    pdf = tmp_path / "周宗宝.pdf"
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "report", "member", member[:8], "-o", str(pdf), "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert (data["member"], data["sessions"], data["guides"], data["pages"]) == ("周宗宝", 1, 3, 1)
    assert pdf.read_bytes().startswith(b"%PDF")

    code, out, _err = run(capsys, "--library", str(demo_dir), "report", "news", session)
    assert code == 0 and out.startswith("丰台区劳模工匠走进园博园")
    txt = tmp_path / "通讯稿.txt"
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "report", "news", session[:8], "-o", str(txt)
    )
    assert code == 0 and str(txt) in out
    assert "本报讯" in txt.read_text(encoding="utf-8-sig")

    code, _out, err = run(capsys, "--library", str(demo_dir), "report", "news", "0000000000")
    assert code == 1 and "No field session with id 0000000000" in err
    code, _out, err = run(
        capsys, "--library", str(demo_dir), "report", "member", member, "-o", str(tmp_path)
    )
    assert code == 1 and "is a folder" in err


def test_news_with_photos_needs_an_output_file(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _member, session = _ids(demo_dir)
    code, out, err = run(
        capsys, "--library", str(demo_dir), "report", "news", session, "--with-photos"
    )
    assert code == 1 and out == "" and "--with-photos needs -o" in err
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "report", "news", session,
        "-o", str(tmp_path / "稿.txt"), "--with-photos",
    )  # fmt: skip
    # The demo session has no photos: an empty folder beside the draft, and it says so.
    assert code == 0 and "Exported 0 photos" in out
    assert (tmp_path / "稿_photos").is_dir()


def test_photo_bundle_of_a_period_without_photos_fails_in_one_line(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--library", str(demo_dir), "report", "photos", "--period", "year",
        "-o", str(tmp_path / "p.zip"),
    )  # fmt: skip
    assert code == 1 and out == "" and "No session of this period has photos." in err
    assert not (tmp_path / "p.zip").exists()
