"""`jiangxin photos import|export|cleanup`: per-file lines, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.cli import main
from desktop_app.services import catalog, listing, photos
from desktop_app.storage.library import Library
from tests.services.photo_fixtures import hostile_files


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _session_id(demo_dir: Path) -> str:
    with Library.open(demo_dir, write=False) as library:
        return str(listing.list_rows(library, "session")[0]["id"])


def test_import_into_session_prints_each_file_and_exits_0(
    demo_dir: Path, testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session_id(demo_dir)
    files = [str(testdata / "landscape_1.jpg"), str(testdata / "IMG_5195.HEIC")]
    code, out, err = run(
        capsys, "--library", str(demo_dir), "photos", "import", "--session", session[:8], *files
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"imported: {files[0]}"
    assert lines[1] == f"imported: {files[1]}"
    assert lines[-1] == "2 imported, 0 already there, 0 rejected."
    code, out, _err = run(
        capsys,
        "--library",
        str(demo_dir),
        "photos",
        "import",
        "--session",
        session,
        files[0],
        "--json",
    )
    assert code == 0
    (again,) = json.loads(out)
    assert again["status"] == "duplicate" and again["path"] == files[0]
    with Library.open(demo_dir, write=False) as library:
        linked = [p.id for p in photos.session_photos(library, session)]
    assert again["photo_id"] == linked[0] and len(linked) == 2


def test_rejected_files_give_reasons_json_and_exit_1(
    demo_dir: Path, testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "卡"
    expected = hostile_files(folder, testdata)
    shutil.copy(testdata / "landscape_2.jpg", folder / "good one.jpg")
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "photos", "import", str(folder), "--json"
    )
    assert code == 1
    rows = {Path(r["path"]).name: r for r in json.loads(out)}
    assert set(rows) == {*expected, "good one.jpg"}
    assert set(rows["good one.jpg"]) == {"path", "status", "reason", "photo_id"}
    assert rows["good one.jpg"]["status"] == "imported" and rows["good one.jpg"]["photo_id"]
    for name, word in expected.items():
        assert rows[name]["status"] == "rejected"
        assert word.lower() in rows[name]["reason"].lower()
        assert rows[name]["photo_id"] is None
    # Human output: one line per file with its reason.
    code, out, _err = run(
        capsys, "--library", str(demo_dir), "photos", "import", str(folder / "notes.jpg")
    )
    assert code == 1
    assert out.splitlines()[0] == f"rejected: {folder / 'notes.jpg'} — The file is not a picture."


def test_guide_step_and_member_targets(
    demo_dir: Path, testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(demo_dir, write=False) as library:
        guide = next(
            str(r["id"])
            for r in listing.list_rows(library, "guide")
            if len(catalog.load_guide(library, str(r["id"])).steps) >= 2
        )
        member = str(listing.list_rows(library, "member")[0]["id"])
    code, _out, _err = run(
        capsys,
        "--library",
        str(demo_dir),
        "photos",
        "import",
        "--guide",
        guide,
        "--step",
        "2",
        str(testdata / "Canon_40D.jpg"),
    )
    assert code == 0
    code, _out, _err = run(
        capsys,
        "--library",
        str(demo_dir),
        "photos",
        "import",
        "--member",
        member,
        str(testdata / "no_exif.jpg"),
    )
    assert code == 0
    with Library.open(demo_dir, write=False) as library:
        assert len(catalog.load_guide(library, guide).steps[1].photo_ids) == 1
        assert catalog.load_member(library, member).portrait_photo_id is not None
    code, out, err = run(
        capsys,
        "--library",
        str(demo_dir),
        "photos",
        "import",
        "--step",
        "2",
        str(testdata / "Canon_40D.jpg"),
    )
    assert (code, out) == (1, "")
    assert err.strip() == "jiangxin: --step needs --guide."
    code, _out, err = run(
        capsys,
        "--library",
        str(demo_dir),
        "photos",
        "import",
        "--session",
        "00000000-dead",
        str(testdata / "Canon_40D.jpg"),
    )
    assert code == 1 and len(err.strip().splitlines()) == 1 and "No field session" in err


def test_export_and_cleanup(
    demo_dir: Path, testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session_id(demo_dir)
    lib = str(demo_dir)
    run(
        capsys,
        "--library",
        lib,
        "photos",
        "import",
        "--session",
        session,
        str(testdata / "landscape_8.jpg"),
        str(testdata / "87_OSError.jpg"),
    )
    out_dir = tmp_path / "给工会报"
    code, out, _err = run(
        capsys,
        "--library",
        lib,
        "photos",
        "export",
        "--session",
        session,
        "--long-edge",
        "400",
        "-o",
        str(out_dir),
        "--json",
    )
    assert code == 0
    written = [Path(p) for p in json.loads(out)]
    assert [p.parent for p in written] == [out_dir, out_dir]
    sizes = []
    for path in written:
        with Image.open(path) as img:
            sizes.append(img.size)
    assert sizes == [(400, 300), (266, 400)]
    assert written[1].name.startswith("2005-12-14_02")
    # Unlink one photo: cleanup lists it, and removes it only with --yes.
    with Library.open(demo_dir) as library:
        first = photos.session_photos(library, session)[0]
        photos.remove_from_session(library, session, first.id)
    code, out, _err = run(capsys, "--library", lib, "photos", "cleanup")
    assert code == 0 and first.id in out and first.path.exists()
    code, out, _err = run(capsys, "--library", lib, "photos", "cleanup", "--yes", "--json")
    assert json.loads(out) == {"unused": [first.id], "removed": 1}
    assert not first.path.exists()
    code, out, _err = run(capsys, "--library", lib, "check")
    assert code == 0, out
