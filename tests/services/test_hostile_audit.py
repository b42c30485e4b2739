"""Hostile and damaged input found by an adversarial audit of "nothing is ever lost" (after the
fuzzing corpus in test_hostile_input.py): older libraries whose rows break their migration,
pack manifests whose words reach a message or the terminal, photo files that are cut short,
are no picture at all, or are no file, and libraries on read-only media.

Each is refused (or handled) with one sentence in the UI language, and nothing is changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from desktop_app.cli import main
from desktop_app.core.errors import (
    ImportRejectedError,
    LibraryDamagedError,
    UserError,
    ValidationError,
)
from desktop_app.core.i18n import set_language
from desktop_app.services import imaging, packs, photos
from desktop_app.services.backup import restore_backup
from desktop_app.services.pack_format import read_pack
from desktop_app.storage.library import Library
from tests.services.oldlib import DAMAGED_OLD_ROWS, old_library
from tests.services.packkit import illustrate, library_state, read_members

# --- an older library whose rows its migration cannot read ----------------------------------


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _backup_of(db: Path, target: Path) -> Path:
    data = db.read_bytes()
    manifest = {
        "format": "jiangxin-backup",
        "format_version": 1,
        "files": {
            "library.sqlite3": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        },
    }
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("library.sqlite3", data)
        zf.writestr("backup-manifest.json", json.dumps(manifest))
    return target


@pytest.mark.parametrize("shape", sorted(DAMAGED_OLD_ROWS))
def test_an_older_library_whose_rows_break_its_migration_is_refused_in_words(
    shape: str, tmp_path: Path
) -> None:
    """Opening it (and restoring a backup of it) crashed with JSONDecodeError, ValueError or
    TypeError out of the migration: "Internal error", exit 70."""
    root = old_library(tmp_path / "old", shape)
    before = _dump(root / "library.sqlite3")
    for _attempt in range(2):  # a second open finds it as the first did
        with pytest.raises(LibraryDamagedError, match="cannot be updated") as caught:
            Library.open(root, write=True)
        assert "\n" not in str(caught.value) and str(root) in str(caught.value)
    # As it was, schema and rows (the first open's ALTER TABLE had stayed, under the old
    # revision), and no copy of it per refused open.
    assert _dump(root / "library.sqlite3") == before
    assert not list((root / "backups").glob("*.sqlite3"))

    backup = _backup_of(root / "library.sqlite3", tmp_path / "old-backup.zip")
    target = tmp_path / "restored"
    with pytest.raises(ImportRejectedError, match="cannot be updated"):
        restore_backup(backup, target)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old", "old-backup.zip"]


# --- pack manifests ---------------------------------------------------------------------------


@pytest.fixture
def good_members(demo_library: Library, tmp_path: Path) -> dict[str, bytes]:
    illustrate(demo_library)
    return read_members(packs.export_pack(demo_library, tmp_path / "good.jxpack").path)


def _pack_with_manifest(members: dict[str, bytes], manifest: bytes, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, manifest if name == "manifest.json" else data)
    return path


def _refusals(library: Library, pack: Path) -> list[str]:
    before = library_state(library)
    messages = []
    for attempt in (packs.preview_import, packs.import_pack):
        with pytest.raises(UserError) as caught:
            attempt(library, pack)  # type: ignore[operator]
        messages.append(str(caught.value))
    assert library_state(library) == before
    assert messages[0] == messages[1]  # the dry run refuses what the import refuses
    return messages


@pytest.mark.parametrize("entry", [{"sha256": "0" * 64}, {"sha256": "not a checksum"}])
def test_file_names_of_a_manifest_are_shown_escaped_and_short(
    good_members: dict[str, bytes], empty_library: Library, tmp_path: Path, entry: object
) -> None:
    """A name listed only in the manifest went into the refusal as it was: hundreds of
    lines, with terminal escape sequences."""
    manifest = json.loads(good_members["manifest.json"])
    manifest["files"]["a\nb\x1b[31m" * 300] = entry
    pack = _pack_with_manifest(
        good_members, json.dumps(manifest).encode(), tmp_path / "names.jxpack"
    )
    for message in _refusals(empty_library, pack):
        assert message.isprintable() and len(message) < 300, message
        assert "\\n" in message and "\\x1b" in message


@pytest.mark.parametrize(
    "manifest,python_words",
    [
        (b"[" * 100_000 + b"]" * 100_000, "recursion"),
        (b'{"format": "jiangxin-pack", "format_version": ' + b"9" * 5000 + b"}", "sys."),
        (b"\xff\xfe{}", "codec"),
        (b'{"format": ', "Expecting"),
    ],
)
def test_json_refusals_are_in_the_ui_language(
    good_members: dict[str, bytes],
    empty_library: Library,
    tmp_path: Path,
    manifest: bytes,
    python_words: str,
) -> None:
    """The reason was Python's own ("use sys.set_int_max_str_digits() to increase the
    limit"), in English inside a Chinese sentence."""
    pack = _pack_with_manifest(good_members, manifest, tmp_path / "json.jxpack")
    set_language("zh_CN")
    for message in _refusals(empty_library, pack):
        assert "不是有效的 JSON" in message and python_words not in message, message
        assert message.isprintable() and len(message) < 300


def test_the_sending_library_is_named_in_one_printable_line(
    good_members: dict[str, bytes], empty_library: Library, tmp_path: Path
) -> None:
    """The manifest's library name went to the terminal and into history as it was (line
    breaks, escape sequences, any JSON value), and "include_contacts": "no" meant yes."""
    manifest = json.loads(good_members["manifest.json"])
    manifest["source_library"] = {"id": "../../x\n", "name": "邻居\n\x1b[2J" + "长" * 500}
    manifest["include_contacts"] = "no"
    pack = _pack_with_manifest(good_members, json.dumps(manifest).encode(), tmp_path / "n.jxpack")
    report = packs.preview_import(empty_library, pack)
    assert report.source_name.startswith("邻居\\n\\x1b[2J")
    assert report.source_name.isprintable() and len(report.source_name) <= 80
    assert report.source_id == ""
    read = read_pack(pack)
    try:
        assert read.include_contacts is False
    finally:
        read.close()
    manifest["source_library"] = {"id": ["x"], "name": {"a": 1}}
    pack = _pack_with_manifest(good_members, json.dumps(manifest).encode(), tmp_path / "o.jxpack")
    report = packs.preview_import(empty_library, pack)
    assert (report.source_name, report.source_id) == ("", "")


@pytest.mark.parametrize("folder", ["photos", "tmp"])
def test_an_import_into_a_library_whose_folder_is_a_file_is_refused_in_words(
    folder: str, demo_library: Library, tmp_path: Path
) -> None:
    """A library whose `photos` or `tmp` is a file (damage, or a sync tool's doing): the
    import crashed with FileExistsError / NotADirectoryError (exit 70)."""
    illustrate(demo_library)
    pack = packs.export_pack(demo_library, tmp_path / "p.jxpack").path
    root = demo_library.root
    demo_library.close()
    with Library.create(tmp_path / "lib") as library:
        shutil.rmtree(library.root / folder, ignore_errors=True)
        (library.root / folder).write_text("not a folder")
        before = library_state(library)
        with pytest.raises(UserError) as caught:
            packs.import_pack(library, pack)
        assert str(library.root) in str(caught.value) and "\n" not in str(caught.value)
        assert library_state(library) == before
        assert not list((library.root / "backups").glob("*.sqlite3"))
    assert root.is_dir()


# --- photo files --------------------------------------------------------------------------------

HEICS = ["IMG_5195.HEIC", "arrow.heic", "xiaomi.heic"]


@settings(max_examples=12, deadline=None, derandomize=True)
@given(name=st.sampled_from(HEICS), tenth=st.integers(1, 9), short=st.integers(1, 64))
def test_a_heic_cut_short_anywhere_is_damaged(name: str, tenth: int, short: int) -> None:
    """libheif paints missing tiles green without a word: a HEIC cut short (a copy from a
    phone that stopped) was imported as a half-green picture; a cut JPEG is refused."""
    testdata = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "photos"
    if not testdata.is_dir():
        pytest.skip("../shared/testdata is not beside the repository")
    data = (testdata / name).read_bytes()
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for cut in (len(data) * tenth // 10, len(data) - short):
            path = Path(folder) / name
            path.write_bytes(data[:cut])
            with pytest.raises(imaging.BadImage) as caught, imaging.open_image(path):
                pass
            assert caught.value.reason == imaging.DAMAGED, cut


def test_whole_heics_still_open(testdata: Path) -> None:
    for name in HEICS:
        with imaging.open_image(testdata / name) as img:
            assert img.format == "HEIF"


def test_truncated_heics_are_refused_by_the_import(
    empty_library: Library, testdata: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "手机 照片"
    folder.mkdir()
    for name in HEICS:
        data = (testdata / name).read_bytes()
        (folder / f"cut_{name}").write_bytes(data[: len(data) * 3 // 10])
    results = photos.import_photos(empty_library, [folder])
    assert [(r.status, "damaged" in r.reason) for r in results] == [(photos.REJECTED, True)] * 3
    assert not list(empty_library.photos_dir.rglob("*.heic"))


def _prepare(source: Path, library: Library) -> imaging.Prepared:
    return imaging.prepare_import(
        str(source),
        str(library.tmp_dir),
        str(library.thumbs_dir),
        str(library.photos_dir),
        False,
    )


def _mp4(path: Path, size: int) -> Path:
    """The start of an MP4 video: an ISO BMFF `ftyp` box (as a HEIC has) of video brands,
    then an `mdat` box of `size` bytes."""
    ftyp = (24).to_bytes(4, "big") + b"ftypisom" + bytes(4) + b"isommp42"
    mdat = (size + 8).to_bytes(4, "big") + b"mdat"
    with path.open("wb") as handle:
        handle.write(ftyp + mdat)
        handle.truncate(len(ftyp) + len(mdat) + size)  # sparse: no need to write it
    return path


def test_a_file_that_is_no_picture_is_refused_before_it_is_copied(
    empty_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A camera card holds videos too: each was copied whole into the library's tmp folder
    before its refusal, and on a nearly full disk the copy failed the whole import with
    "not enough disk space" instead of refusing the video."""
    video = _mp4(tmp_path / "MVI_0001.MP4", 64 * 1024**2)
    text = tmp_path / "notes.jpg"
    text.write_text("这不是照片\n" * 100, encoding="utf-8")
    gif = tmp_path / "anim.jpg"
    Image.new("P", (8, 8), 3).save(gif, "GIF")

    def no_copy(*args: object) -> object:
        raise AssertionError("copied a file that is no picture")

    monkeypatch.setattr(imaging, "copy_and_hash", no_copy)
    for source, words in (
        (video, "not a picture"),
        (text, "not a picture"),
        (gif, "GIF files are not supported"),
    ):
        prepared = _prepare(source, empty_library)
        assert not prepared.ok, source
        assert words in prepared.reason.format(**prepared.params), (source, prepared.reason)
    assert not any(empty_library.tmp_dir.iterdir())


def test_the_look_before_copying_knows_every_picture_we_accept(testdata: Path) -> None:
    for path in testdata.iterdir():
        if path.suffix.lower() in imaging.PHOTO_SUFFIXES:
            with path.open("rb") as handle:
                assert imaging.looks_like_picture(handle.read(imaging.SNIFF_BYTES)), path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_no_picture_and_never_blocks(empty_library: Library, tmp_path: Path) -> None:
    """A FIFO named .jpg was refused as "There is no such file", though it is there."""
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    (result,) = photos.import_photos(empty_library, [fifo])
    assert result.status == photos.REJECTED
    assert result.reason == "The file is not a picture.", result.reason
    missing = tmp_path / "gone.jpg"
    (result,) = photos.import_photos(empty_library, [missing])
    assert result.reason == "There is no such file."


# --- read-only media ---------------------------------------------------------------------------


@pytest.fixture
def read_only_library(demo_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """The demo library (a WAL database) on a read-only mount: a write-protected USB stick.
    Mounting needs root; as test_full_disk.py, CI (which runs as root) must run this."""
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not is_root and os.environ.get("CI") != "true":
        pytest.skip("mounting a read-only tmpfs needs root (this test always runs in CI)")
    point = tmp_path / "stick"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point)], check=True)
    try:
        shutil.copytree(demo_dir, point / "库 一")
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
        yield point / "库 一"
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def test_a_library_on_read_only_media_is_checked_and_backed_up_not_called_damaged(
    read_only_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite cannot make a WAL database's -shm file on a write-protected stick: `check`
    said "The database is damaged: unable to open database file" (exit 2) and `backup` blamed
    its writable destination as read-only; and `pack import --dry-run` listed what it would
    change where the import is refused."""
    lib = ["--library", str(read_only_library)]
    assert main([*lib, "check"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    assert main([*lib, "backup", "-o", str(tmp_path / "b.zip")]) == 0, capsys.readouterr().err
    capsys.readouterr()
    restore_backup(tmp_path / "b.zip", tmp_path / "restored")
    with Library.open(tmp_path / "restored") as restored:
        assert len(restored.reader().execute("SELECT id FROM service_team").fetchall()) == 5
    pack = tmp_path / "包 一.jxpack"
    assert main([*lib, "pack", "export", "-o", str(pack)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    for dry in (["--dry-run"], []):
        code = main([*lib, "pack", "import", str(pack), *dry])
        err = capsys.readouterr().err
        assert code == 1 and "read-only" in err and err.count("\n") == 1, (dry, err)


def test_a_stored_language_never_names_a_catalogue_elsewhere(tmp_path: Path) -> None:
    """The window's statistics export passed the stored `handout.language` straight to
    gettext, which reads `<translations>/<language>/LC_MESSAGES/jiangxin.mo`: a setting of
    "../../../../tmp/x" loaded any catalogue there."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from desktop_app.core.i18n import locale_dir, translator_for

    folder = tmp_path / "evil" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="en")
    catalog.add("Team", "PWNED")
    with (folder / "jiangxin.mo").open("wb") as handle:
        write_mo(handle, catalog)
    hostile = os.path.relpath(tmp_path / "evil", locale_dir())
    assert translator_for(hostile)("Team") == translator_for("zh_CN")("Team") != "PWNED"


def test_a_huge_pasted_name_saves_in_moments(empty_library: Library) -> None:
    """A name's sort key was the pinyin of all of it, at about 30 µs a character: a paste
    of five million characters into a team's name held the save for many minutes."""
    import time

    from desktop_app.services import catalog
    from desktop_app.storage.sortkeys import KEY_CHARS, pinyin_key

    huge = "服务队" * 100_000
    assert pinyin_key(huge) == pinyin_key(huge[:KEY_CHARS])
    assert pinyin_key("专业技术服务2队") < pinyin_key("专业技术服务10队")
    start = time.monotonic()
    team = catalog.save_team(empty_library, catalog.TeamData(name="长" * 300_000))
    assert time.monotonic() - start < 20  # minutes before; about a second now
    assert catalog.load_team(empty_library, team).name == "长" * 300_000


@pytest.mark.parametrize("stamp", ["9999:12:31 23:59:59", "0001:01:01 00:00:00"])
def test_a_camera_clock_a_pack_would_refuse_gives_no_date(
    stamp: str, empty_library: Library, tmp_path: Path
) -> None:
    """A photo whose EXIF said 9999-12-31 was stored with that date: every pack of the
    library was then refused on every other laptop ("malformed record ... taken_at")."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = stamp
    path = tmp_path / "clock.jpg"
    Image.new("RGB", (64, 48), (200, 80, 40)).save(path, "JPEG", exif=exif.tobytes())
    (result,) = photos.import_photos(empty_library, [path])
    assert result.status == photos.IMPORTED and result.photo_id
    assert photos.photo_info(empty_library, result.photo_id).taken_at is None
    pack = packs.export_pack(empty_library, tmp_path / "p.jxpack").path
    with Library.create(tmp_path / "other") as other:
        assert len(packs.import_pack(other, pack).added) == 1


@pytest.mark.parametrize(
    "when",
    [datetime(9999, 12, 31, 12, tzinfo=UTC), datetime(1, 1, 1, 12, tzinfo=UTC)],
)
def test_a_session_date_a_pack_would_refuse_is_refused_by_the_form(
    when: datetime, empty_library: Library
) -> None:
    """The form's date field goes up to 9999 (Qt's default range): such a session was saved,
    and no other laptop could import a pack of the library again."""
    from desktop_app.services import catalog

    for data in (
        catalog.SessionData(starts_at=when, theme="主题"),
        catalog.SessionData(starts_at=datetime(2025, 5, 1, tzinfo=UTC), ends_at=when, theme="x"),
    ):
        with pytest.raises(ValidationError) as caught:
            catalog.save_session(empty_library, data)
        assert "between the years 1000 and 9000" in str(caught.value)


def test_pasted_half_characters_are_saved_not_crashed(empty_library: Library) -> None:
    """Half of a UTF-16 pair (pasted damaged text) in a form field could not be written as
    UTF-8: the save failed with "Internal error"."""
    from desktop_app.services import catalog

    team = catalog.save_team(
        empty_library, catalog.TeamData(name="服务队\ud800", description="\ud83d\ude00")
    )
    saved = catalog.load_team(empty_library, team)
    assert (saved.name, saved.description) == ("服务队\ufffd", "😀")
