"""A corpus of the hostile and damaged inputs a fuzzing campaign found (issue 13, issue 12 item 6).

Each shape is refused with one sentence (a `UserError`, never another exception), the dry run
refuses what the import refuses, and nothing is written to the library.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_app.cli import main
from desktop_app.core.errors import ImportRejectedError, LibraryError, UserError
from desktop_app.services import backup as backup_service
from desktop_app.services import packs, photos
from desktop_app.services.backup import create_backup, restore_backup
from desktop_app.services.integrity import check_library
from desktop_app.services.pack_format import ZipLimits, read_pack
from desktop_app.storage.library import Library
from desktop_app.storage.photostore import StoredPathError, photo_path
from tests.fresh_python import REPO
from tests.services.packkit import (
    edit_records,
    illustrate,
    library_state,
    read_members,
    write_pack,
)

VICTIM_SHA = "../../victim/important"


@pytest.fixture
def good_pack(demo_library: Library, tmp_path: Path) -> Path:
    illustrate(demo_library)
    return packs.export_pack(demo_library, tmp_path / "good.jxpack").path


# --- binary shapes of the zip itself -----------------------------------------------------------


def _central_entries(data: bytes) -> list[int]:
    """Offsets of the central directory headers."""
    offsets, at = [], data.find(b"PK\x01\x02")
    while at != -1:
        offsets.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return offsets


def _central_offset_of(data: bytes, name: str) -> int:
    for at in _central_entries(data):
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == name.encode():
            return at
    raise AssertionError(name)


def _local_offset_of(data: bytes, name: str) -> int:
    central = _central_offset_of(data, name)
    return int(struct.unpack_from("<I", data, central + 42)[0])


def _patch(path: Path, fn: Callable[[bytearray], None]) -> Path:
    data = bytearray(path.read_bytes())
    fn(data)
    path.write_bytes(bytes(data))
    return path


GUIDES = "records/guides.json"


def _set_central_u16(name: str, field: int, value: int, *, orr: bool = False) -> Any:
    def edit(data: bytearray) -> None:
        at = _central_offset_of(bytes(data), name) + field
        old = struct.unpack_from("<H", data, at)[0]
        struct.pack_into("<H", data, at, (old | value) if orr else value)

    return edit


def _flip_compressed(name: str) -> Any:
    def edit(data: bytearray) -> None:
        local = _local_offset_of(bytes(data), name)
        nlen, elen = struct.unpack_from("<HH", data, local + 26)
        start = local + 30 + nlen + elen
        for i in range(start + 2, start + 40):
            data[i] ^= 0x5A

    return edit


def _bad_utf8_local_name(name: str) -> Any:
    def edit(data: bytearray) -> None:
        local = _local_offset_of(bytes(data), name)
        flags = struct.unpack_from("<H", data, local + 6)[0]
        struct.pack_into("<H", data, local + 6, flags | 0x800)
        data[local + 30] = 0xFF  # the local copy of the name is no longer UTF-8

    return edit


def _multi_disk(data: bytearray) -> None:
    """A zip64 locator saying the archive spans two disks (zipfile raises, not answers)."""
    end = bytes(data).rfind(b"PK\x05\x06")
    data[end:end] = struct.pack("<4sIQI", b"PK\x06\x07", 0, 0, 2)


ZIP_SHAPES: dict[str, tuple[Any, str]] = {
    # name: (edit of the file's bytes, words the refusal contains)
    "unknown_method": (_set_central_u16(GUIDES, 10, 99), "compression"),
    "flag_bit_5_patched_data": (_set_central_u16(GUIDES, 8, 0x20, orr=True), "compression"),
    "flag_bit_6_strong_encryption": (_set_central_u16(GUIDES, 8, 0x40, orr=True), "encrypted"),
    "zip_version_7_5": (_set_central_u16(GUIDES, 6, 75), "not a knowledge pack"),
    "spans_multiple_disks": (_multi_disk, "knowledge pack"),
    "corrupt_deflate": (_flip_compressed(GUIDES), "damaged"),
    "corrupt_manifest": (_flip_compressed("manifest.json"), "damaged"),
    "non_utf8_local_name": (_bad_utf8_local_name(GUIDES), "damaged"),
}


def _lzma_pack(good: Path, target: Path) -> Path:
    members = read_members(good)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_LZMA) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return target


def _assert_refused_and_untouched(library: Library, bad: Path) -> list[str]:
    before = library_state(library)
    messages = []
    for attempt in (packs.preview_import, packs.import_pack):
        with pytest.raises(UserError) as caught:
            attempt(library, bad)  # type: ignore[operator]
        message = str(caught.value)
        assert message and "\n" not in message and "Traceback" not in message
        messages.append(message)
    assert library_state(library) == before
    return messages


@pytest.mark.parametrize("shape", sorted(ZIP_SHAPES))
def test_damaged_zip_structures_are_refused_in_words(
    shape: str, good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    bad = tmp_path / f"{shape}.jxpack"
    write_pack(bad, read_members(good_pack))
    edit, words = ZIP_SHAPES[shape]
    _patch(bad, edit)
    for message in _assert_refused_and_untouched(empty_library, bad):
        assert words in message, message


def test_other_compression_methods_are_refused(
    good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    bad = _lzma_pack(good_pack, tmp_path / "lzma.jxpack")
    for message in _assert_refused_and_untouched(empty_library, bad):
        assert "compression" in message


# --- records that break the format or the form rules -----------------------------------------


def _first(kind: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[list[Any]], None]:
    def fn(items: list[Any]) -> None:
        edit(items[0]["record"])

    return fn


def _two_captains(items: list[Any]) -> None:
    team = next(i["record"] for i in items if len(i["record"]["members"]) >= 2)
    for member in team["members"]:
        member["role"] = "captain"


RECORD_SHAPES: dict[str, tuple[str, Callable[[list[Any]], None], str]] = {
    # name: (kind, edit of the records list, words the refusal contains)
    "year_1_with_offset": (
        "guide",
        _first("guide", lambda r: r.update(created_at="0001-01-01T00:00:00+01:00")),
        "malformed record",
    ),
    "year_9999_with_offset": (
        "guide",
        _first("guide", lambda r: r.update(updated_at="9999-12-31T23:59:59-01:00")),
        "malformed record",
    ),
    "year_9999_in_utc": (
        "session",
        _first("session", lambda r: r.update(starts_at="9999-12-31T20:00:00+00:00")),
        "malformed record",
    ),
    # The title's text is replaced by the JSON escape of a lone surrogate ("\ud800") below.
    "lone_surrogate": ("guide", _first("guide", lambda r: r.update(title="SURROGATE")), "title"),
    # A NUL character in text: SQLite stores it, PostgreSQL (the hub's) cannot.
    "nul_character": ("guide", _first("guide", lambda r: r.update(problem="前\x00后")), "problem"),
    "gps_nan": ("session", _first("session", lambda r: r.update(gps_lat=float("nan"))), "JSON"),
    "gps_infinity": (
        "session",
        _first("session", lambda r: r.update(gps_lon=float("inf"))),
        "JSON",
    ),
    "latitude_999": ("session", _first("session", lambda r: r.update(gps_lat=999)), "Latitude"),
    "longitude_360": (
        "session",
        _first("session", lambda r: r.update(gps_lat=10, gps_lon=360)),
        "Longitude",
    ),
    "photo_latitude_360": ("photo", _first("photo", lambda r: r.update(gps_lat=360)), "Latitude"),
    "empty_team_name": ("team", _first("team", lambda r: r.update(name="  ")), "team's name"),
    "end_before_start": (
        "session",
        _first(
            "session",
            lambda r: r.update(
                starts_at="2025-05-01T09:00:00+00:00", ends_at="2025-05-01T08:00:00+00:00"
            ),
        ),
        "end before it starts",
    ),
    "two_captains": ("team", _two_captains, "one captain"),
    "same_team_twice": (
        "session",
        _first("session", lambda r: r.update(team_ids=r["team_ids"][:1] * 2)),
        "team_ids",
    ),
    "honour_year_1200": (
        "member",
        _first("member", lambda r: r.update(honours=[{"title": "x", "year": 1200}])),
        "plausible year",
    ),
}


@pytest.mark.parametrize("shape", sorted(RECORD_SHAPES))
def test_bad_record_values_are_refused_naming_record_and_field(
    shape: str, good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    kind, edit, words = RECORD_SHAPES[shape]
    members = read_members(good_pack)
    edit_records(members, kind, edit)
    members[GUIDES] = members[GUIDES].replace(b"SURROGATE", b"\\ud800")
    bad = write_pack(tmp_path / f"{shape}.jxpack", members)
    messages = _assert_refused_and_untouched(empty_library, bad)
    assert messages[0] == messages[1]  # the dry run refuses exactly what the import refuses
    assert words in messages[0], messages[0]


def test_a_rule_refusal_names_the_record(
    good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    members = read_members(good_pack)
    edit_records(members, "team", _two_captains)
    bad = write_pack(tmp_path / "captains.jxpack", members)
    names = {i["record"]["name"] for i in json.loads(members["records/teams.json"])}
    message = _assert_refused_and_untouched(empty_library, bad)[0]
    assert any(f"“{name}”" in message for name in names) and "members" in message


def test_huge_exponent_is_not_infinity(
    good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    members = read_members(good_pack)
    edit_records(members, "session", _first("session", lambda r: r.update(gps_lat=12.5)))
    members["records/sessions.json"] = members["records/sessions.json"].replace(
        b'"gps_lat": 12.5', b'"gps_lat": 1e400'
    )
    assert b"1e400" in members["records/sessions.json"]
    bad = write_pack(tmp_path / "exp.jxpack", members)
    assert "malformed record" in _assert_refused_and_untouched(empty_library, bad)[0]


# --- memory bounds ----------------------------------------------------------------------------


def test_json_of_empty_objects_is_refused_before_parsing(good_pack: Path, tmp_path: Path) -> None:
    """40 MB of `{},` parsed to 1.1 GB; the value count refuses it before json.loads."""
    members = read_members(good_pack)
    members[GUIDES] = b"[" + b"{}," * (14 * 1024 * 1024) + b"{}]"
    bad = write_pack(tmp_path / "objects.jxpack", members)
    limits = ZipLimits(max_ratio=1e9)  # past the zip-bomb check, to reach the JSON bound
    with pytest.raises(ImportRejectedError, match="too many values"):
        read_pack(bad, limits).close()


def test_too_many_records_of_one_kind_are_refused(good_pack: Path) -> None:
    with pytest.raises(ImportRejectedError, match="more than 2 records"):
        read_pack(good_pack, ZipLimits(max_records=2)).close()


def test_central_directory_too_large_is_refused_before_listing(good_pack: Path) -> None:
    with pytest.raises(ImportRejectedError, match="too many files"):
        read_pack(good_pack, ZipLimits(max_entries=3)).close()


# --- stored path components -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sha,ext",
    [
        (VICTIM_SHA, "docx"),
        ("a" * 64, "docx"),
        ("A" * 64, "jpg"),
        ("a" * 63, "jpg"),
        ("a" * 64, "../x"),
        ("a" * 64, ""),
    ],
)
def test_photo_store_refuses_paths_that_are_not_store_files(
    sha: str, ext: str, tmp_path: Path
) -> None:
    with pytest.raises(StoredPathError):
        photo_path(tmp_path, sha, ext)


def test_photo_store_accepts_its_own_names(tmp_path: Path) -> None:
    path = photo_path(tmp_path, "ab" + "c" * 62, "JPG")
    assert path == tmp_path / "ab" / ("ab" + "c" * 62 + ".jpg")


def _insert_hostile_row(db: Path) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "INSERT INTO photo (id, created_at, updated_at, revision, sha256, ext, original_name,"
            " byte_size, width, height, camera, orientation, rotation, caption)"
            " VALUES ('hostile-photo', '2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, ?, 'docx',"
            " 'x.docx', 1, 1, 1, '', 1, 0, '')",
            (VICTIM_SHA,),
        )
    conn.close()


def _plant_hostile_row(library: Library) -> None:
    _insert_hostile_row(library.db_path)


@pytest.fixture
def victim(demo_dir: Path) -> Path:
    """The file a crafted photo row points at: demo_dir/../../victim/important.docx."""
    # photos/<sha[:2]>/<sha>.<ext> with sha = ../../victim/important resolves here:
    target = (demo_dir / "photos" / ".." / (VICTIM_SHA + ".docx")).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("precious")
    return target


def test_crafted_photo_row_cannot_delete_or_write_outside_the_store(
    demo_dir: Path, victim: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(demo_dir) as library:
        _plant_hostile_row(library)
        with pytest.raises(StoredPathError):
            photos.thumbnail_file(library, "hostile-photo")
        with pytest.raises(StoredPathError):
            photos.cleanup_unused(library)
        report = check_library(library)
        assert any(p.code == "photo_record_invalid" for p in report.problems)
    code = main(["--library", str(demo_dir), "photos", "cleanup", "--yes"])
    err = capsys.readouterr().err
    assert code == 2 and "damaged photo record" in err and "Traceback" not in err
    code = main(["--library", str(demo_dir), "check"])
    out = capsys.readouterr().out
    assert code == 2 and "photo_record_invalid" in out
    assert victim.read_text() == "precious"
    assert not list(demo_dir.parent.rglob("*important*_*.jpg"))  # no thumbnail written outside


def test_every_reader_of_a_crafted_photo_row_answers_in_one_sentence(
    demo_dir: Path, victim: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Handouts, photo export and backup read the row too: exit 2 and a sentence each."""
    with Library.open(demo_dir) as library:
        _plant_hostile_row(library)
        session_id = library.reader().execute("SELECT id FROM field_session").fetchone()[0]
    conn = sqlite3.connect(demo_dir / "library.sqlite3")
    with conn:
        conn.execute(
            "INSERT INTO session_photo (session_id, photo_id, position) VALUES (?, ?, 0)",
            (session_id, "hostile-photo"),
        )
    conn.close()
    lib = ["--library", str(demo_dir)]
    for command in (
        ["handout", "session", session_id, "-o", str(tmp_path / "r.pdf")],
        ["photos", "export", "--session", session_id, "-o", str(tmp_path / "export")],
        ["backup", "-o", str(tmp_path / "b.zip")],
    ):
        code = main([*lib, *command])
        err = capsys.readouterr().err
        assert code == 2 and "damaged photo record" in err, (command, err)
    assert victim.read_text() == "precious"
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "r.pdf").exists()


def test_restore_refuses_a_backup_with_a_crafted_photo_row(
    demo_dir: Path, victim: Path, tmp_path: Path
) -> None:
    with Library.open(demo_dir) as library:
        _plant_hostile_row(library)
        with pytest.raises(StoredPathError):
            create_backup(library, tmp_path / "b.zip")
    # Make the backup by hand, as an attacker would (the app refuses to back this up).
    good = tmp_path / "good.zip"
    with Library.open(demo_dir) as library:
        conn = sqlite3.connect(library.db_path)
        with conn:
            conn.execute("DELETE FROM photo WHERE id = 'hostile-photo'")
        conn.close()
        create_backup(library, good)
    members = read_members(good)
    db = tmp_path / "db.sqlite3"
    db.write_bytes(members["library.sqlite3"])
    _insert_hostile_row(db)
    members["library.sqlite3"] = db.read_bytes()
    bad = _write_backup(tmp_path / "bad.zip", members)
    target = tmp_path / "restored"
    with pytest.raises(ImportRejectedError, match="damaged library"):
        restore_backup(bad, target)
    assert not target.exists()
    assert victim.read_text() == "precious"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".jiangxin-restore-")]


def _write_backup(path: Path, members: dict[str, bytes]) -> Path:
    manifest = json.loads(members.pop(backup_service.BACKUP_MANIFEST_NAME))
    manifest["files"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in members.items()
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr(backup_service.BACKUP_MANIFEST_NAME, json.dumps(manifest))
    return path


def test_restore_refuses_a_backup_missing_a_photo(demo_library: Library, tmp_path: Path) -> None:
    illustrate(demo_library)
    members = read_members(create_backup(demo_library, tmp_path / "b.zip").path)
    del members[next(n for n in members if n.startswith("photos/"))]
    bad = _write_backup(tmp_path / "bad.zip", members)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImportRejectedError, match="missing its file"):
        restore_backup(bad, empty)
    assert empty.is_dir() and not any(empty.iterdir())


def test_restore_refuses_a_damaged_database_in_one_line(
    demo_library: Library, tmp_path: Path
) -> None:
    """Found by the fuzz test: SQLite's integrity report spans lines (free space corruption)."""
    members = read_members(create_backup(demo_library, tmp_path / "b.zip").path)
    db = bytearray(members["library.sqlite3"])
    db[101] ^= 1  # the first page's header: "free space corruption", "Page N is never used"
    members["library.sqlite3"] = bytes(db)
    bad = _write_backup(tmp_path / "bad.zip", members)
    with pytest.raises(ImportRejectedError, match="damaged") as caught:
        restore_backup(bad, tmp_path / "new")
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400
    assert not (tmp_path / "new").exists()


def test_restore_refuses_a_damaged_manifest(demo_library: Library, tmp_path: Path) -> None:
    good = create_backup(demo_library, tmp_path / "b.zip").path
    _patch(good, _flip_compressed(backup_service.BACKUP_MANIFEST_NAME))
    with pytest.raises(ImportRejectedError, match="damaged"):
        restore_backup(good, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_two_restores_into_one_new_folder_do_not_both_succeed(
    demo_library: Library, tmp_path: Path
) -> None:
    illustrate(demo_library)
    good = create_backup(demo_library, tmp_path / "b.zip").path
    target = tmp_path / "same"
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def restore() -> None:
        start.wait()
        try:
            restore_backup(good, target)
            outcomes.append("ok")
        except LibraryError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=restore) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1, outcomes
    with Library.open(target) as restored:
        assert not check_library(restored).damaged


# --- damaged databases ------------------------------------------------------------------------


def test_check_reports_undecodable_text_as_damage(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(demo_dir / "library.sqlite3")
    with conn:
        conn.execute("UPDATE member SET name = CAST(x'fffe41' AS TEXT)")
    conn.close()
    code = main(["--library", str(demo_dir), "check"])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in out + err and "Internal error" not in err
    assert "damaged" in out


def test_an_empty_database_file_is_damage_not_a_stranger(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (demo_dir / "library.sqlite3").write_bytes(b"")
    for wal in demo_dir.glob("library.sqlite3-*"):
        wal.unlink()
    assert main(["--library", str(demo_dir), "check"]) == 2
    assert "empty" in capsys.readouterr().out
    assert main(["--library", str(demo_dir), "list", "teams"]) == 2
    assert "damaged" in capsys.readouterr().err
    assert (demo_dir / "library.sqlite3").stat().st_size == 0


DAMAGING_SQL = {
    "date_that_is_no_date": "UPDATE field_session SET starts_at = 'garbage'",
    "honours_that_are_no_json": "UPDATE member SET honours = 'not json'",
    "kind_out_of_range": "UPDATE service_team SET kind = 'zzz'",
    "text_that_is_no_utf8": "UPDATE guide SET title = CAST(x'c3' AS TEXT)",
}


@pytest.mark.parametrize("shape", sorted(DAMAGING_SQL))
def test_damaged_rows_are_found_by_check_and_crash_no_command(
    shape: str, demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The campaign's damaged databases: `check` missed some that then crashed `pack export`,
    and crashed itself on others."""
    conn = sqlite3.connect(demo_dir / "library.sqlite3")
    with conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(DAMAGING_SQL[shape])
    conn.close()
    lib = ["--library", str(demo_dir)]
    assert main([*lib, "check"]) == 2
    assert "damaged" in capsys.readouterr().out
    for command in (
        ["list", "sessions"],
        ["list", "members"],
        ["list", "guides"],
        ["pack", "export", "-o", str(tmp_path / "p.jxpack")],
    ):
        code = main([*lib, *command])
        err = capsys.readouterr().err
        assert code in (0, 2) and "Internal error" not in err, (command, err)


def test_a_read_only_database_in_a_writable_folder_is_refused_in_words(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Writes crashed with "attempt to write a readonly database"; now the open refuses."""
    db = demo_dir / "library.sqlite3"
    if os.geteuid() == 0:  # root writes read-only files: make the check see what a user sees
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == db else real(p, mode))
    else:
        db.chmod(0o444)
    with pytest.raises(LibraryError, match="read-only"):
        Library.open(demo_dir, write=True)
    with Library.open(demo_dir, write=False) as library:
        assert library.read_only
    assert main(["--library", str(demo_dir), "pack", "import", "nothing.jxpack"]) == 1
    assert "read-only" in capsys.readouterr().err


def test_refusals_are_one_line_in_the_ui_language(
    good_pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = read_members(good_pack)
    edit_records(members, "team", _two_captains)
    bad = write_pack(tmp_path / "captains.jxpack", members)
    lib = str(tmp_path / "new")
    assert main(["--lang", "zh_CN", "--library", lib, "init"]) == 0
    capsys.readouterr()
    for dry in ([], ["--dry-run"]):
        code = main(["--lang", "zh_CN", "--library", lib, "pack", "import", str(bad), *dry])
        err = capsys.readouterr().err
        assert code == 1 and "知识包已拒绝" in err and "一名队长" in err, err
        assert err.count("\n") == 1


RESTORE_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from desktop_app.core.i18n import set_language
from desktop_app.core.progress import Progress
from desktop_app.services.backup import restore_backup

set_language("en")
marker = Path(sys.argv[3])

class Stop(Progress):
    def on_step(self, done, total, text):
        if done > 0:
            marker.write_text("now")
            time.sleep(60)

restore_backup(Path(sys.argv[1]), Path(sys.argv[2]), progress=Stop())
"""


def test_a_killed_restore_leaves_the_target_as_it_was(
    demo_library: Library, tmp_path: Path
) -> None:
    illustrate(demo_library)
    good = create_backup(demo_library, tmp_path / "b.zip").path
    target = tmp_path / "restored"
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", RESTORE_KILL_SCRIPT, str(good), str(target), str(marker)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the restore ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not target.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".jiangxin-restore-")]
    # The next restore into the same folder works, and removes what the killed one left.
    restore_backup(good, target)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".jiangxin-restore-")]
    with Library.open(target) as restored:
        assert not check_library(restored).damaged


def test_json_output_stays_json_with_a_stored_infinity(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value that got in before packs were checked: `show --json` printed `Infinity`."""
    conn = sqlite3.connect(demo_dir / "library.sqlite3")
    with conn:
        session_id = conn.execute("SELECT id FROM field_session").fetchone()[0]
        conn.execute("UPDATE field_session SET gps_lat = 9e999, gps_lon = -9e999")
    conn.close()
    assert main(["--library", str(demo_dir), "show", "session", session_id, "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))
    assert data["gps_lat"] is None and data["gps_lon"] is None


def test_restore_into_an_existing_empty_folder(demo_library: Library, tmp_path: Path) -> None:
    good = create_backup(demo_library, tmp_path / "b.zip").path
    empty = tmp_path / "empty"
    empty.mkdir()
    assert restore_backup(good, empty) == empty
    with Library.open(empty) as restored:
        assert restored.library_id == demo_library.library_id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip", "demo", "empty"]
