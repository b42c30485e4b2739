"""`jiangxin search` and `jiangxin dev generate-large` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.cli import main
from desktop_app.services import search
from desktop_app.storage.library import Library


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_with_highlight_spans(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--library", str(demo_dir), "search", "天牛", "--json")
    assert code == 0, err
    hits = json.loads(out)
    assert [h["kind"] for h in hits] == ["guide", "session"]
    guide = hits[0]
    assert guide["title"] == "管氏肿腿蜂防治光肩星天牛"
    assert {"id", "snippet", "highlights", "rank"} <= set(guide)
    assert guide["highlights"]
    assert all(guide["snippet"][s:e] == "天牛" for s, e in guide["highlights"])


def test_search_text_groups_by_kind_and_marks_matches(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--library", str(demo_dir), "search", "修剪")
    assert code == 0
    assert "Skill guides (3)" in out
    assert "Model workers (1)" in out
    assert "[修剪]" in out  # not a terminal: brackets instead of ANSI
    code, out, _err = run(capsys, "--library", str(demo_dir), "search", "修剪", "--kind", "guide")
    assert "Model workers" not in out and "月季修剪" in out


def test_search_without_matches_and_with_a_bad_kind(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--library", str(demo_dir), "search", "潜水艇")
    assert code == 0
    assert "No matches" in out
    with pytest.raises(SystemExit):
        main(["--library", str(demo_dir), "search", "天牛", "--kind", "ship"])


def test_generate_large_at_a_small_scale_then_check_and_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "big"
    code, out, err = run(
        capsys, "dev", "generate-large", "--library", str(root), "--scale", "0.01", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["counts"] == {
        "team": 1, "member": 5, "guide": 20, "session": 200, "photo": 500,
    }  # fmt: skip
    code, out, err = run(capsys, "--library", str(root), "check", "--json")
    assert code == 0, out
    assert json.loads(out)["photos_checked"] == 500
    with Library.open(root, write=False) as library:
        assert search.verify_index(library).ok
        with library.session() as s:
            from sqlalchemy import func, select

            from desktop_app.storage.models import FieldSession, SessionPhoto

            assert s.scalar(select(func.count()).select_from(FieldSession)) == 200
            biggest = s.scalar(
                select(func.count())
                .select_from(SessionPhoto)
                .group_by(SessionPhoto.session_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            assert biggest == 500  # the one big photo grid
        # Realistic Chinese text, searchable like real data.
        assert search.search(library, "现场")
        # Every version is stamped, as in a library made by hand: its packs are readable.
        with library.session() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(FieldSession)
                    .where(FieldSession.version_tag == "")
                )
                == 0
            )
    # Refuses to overwrite an existing library.
    code, _out, err = run(
        capsys, "dev", "generate-large", "--library", str(root), "--scale", "0.01"
    )
    assert code == 1 and "already" in err
