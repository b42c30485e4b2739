"""The photo pipeline: upright, colour-correct thumbnails; duplicates; hostile files; crash
safety; session photo lists; clean-up; export."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image
from sqlalchemy import func, select

from desktop_app.core.errors import RecordNotFoundError, UserError
from desktop_app.core.progress import Progress
from desktop_app.services import catalog, imaging, photos
from desktop_app.services.integrity import check_library
from desktop_app.storage.library import Library
from desktop_app.storage.models import Photo, RecordHistory
from tests.services.photo_fixtures import (
    distinct_jpeg,
    hostile_files,
    mean_abs_diff,
    new_session,
)

REPO = Path(__file__).resolve().parents[2]


def _import_one(library: Library, path: Path, **target: str) -> str:
    (result,) = photos.import_photos(library, [path], photos.ImportTarget(**target))
    assert result.status in (photos.IMPORTED, photos.DUPLICATE), result
    assert result.photo_id is not None
    return result.photo_id


def _thumb(library: Library, photo_id: str, size: int = 256) -> Image.Image:
    with Image.open(photos.thumbnail_file(library, photo_id, size)) as img:
        return img.convert("RGB")


def _store_files(library: Library) -> list[Path]:
    return sorted(p for p in library.photos_dir.rglob("*") if p.is_file())


# --- orientation -------------------------------------------------------------------------------


def test_every_exif_orientation_gives_an_upright_thumbnail(
    empty_library: Library, testdata: Path
) -> None:
    files = [testdata / f"landscape_{n}.jpg" for n in range(1, 9)]
    results = photos.import_photos(empty_library, files)
    assert [r.status for r in results] == [photos.IMPORTED] * 8
    reference = _thumb(empty_library, results[0].photo_id or "")
    assert reference.size == (256, 192)
    # The comparison can tell a wrong turn: the reference upside down is far off.
    assert mean_abs_diff(reference, reference.rotate(180)) > 25
    for n, result in enumerate(results, start=1):
        thumb = _thumb(empty_library, result.photo_id or "")
        assert thumb.size == (256, 192), n
        assert mean_abs_diff(thumb, reference) < 6, f"landscape_{n}.jpg is not upright"
    with empty_library.session() as s:
        rows = s.execute(select(Photo.original_name, Photo.orientation, Photo.width)).all()
    assert {name: (o, w) for name, o, w in rows} == {
        f"landscape_{n}.jpg": (n, 600) for n in range(1, 9)
    }


def test_real_camera_orientation_6_is_portrait(empty_library: Library, testdata: Path) -> None:
    photo_id = _import_one(empty_library, testdata / "canon_hdr_NO.jpg")
    assert _thumb(empty_library, photo_id).size == (192, 256)
    info = photos.photo_info(empty_library, photo_id)
    assert (info.width, info.height, info.orientation) == (1536, 2048, 6)
    assert info.camera == "Canon PowerShot SX60 HS"


def _dark_extent(img: Image.Image, rows: range) -> int:
    """Widest horizontal spread of dark pixels over the given rows."""
    gray = img.convert("L")
    widest = 0
    for y in rows:
        xs = [x for x in range(gray.width) if gray.getpixel((x, y)) < 90]  # type: ignore[operator]
        if xs:
            widest = max(widest, xs[-1] - xs[0])
    return widest


def test_heic_is_upright_and_never_turned_twice(empty_library: Library, testdata: Path) -> None:
    results = photos.import_photos(
        empty_library,
        [testdata / "arrow.heic", testdata / "IMG_5195.HEIC", testdata / "xiaomi.heic"],
    )
    assert [r.status for r in results] == [photos.IMPORTED] * 3
    arrow = _thumb(empty_library, results[0].photo_id or "")
    assert arrow.size == (192, 256)  # portrait: turning by EXIF 6 again would make it landscape
    # The arrow points up: its wide head is in the upper half, the narrow shaft below.
    h = arrow.height
    assert _dark_extent(arrow, range(h // 8, h // 2)) > 1.5 * _dark_extent(arrow, range(h // 2, h))
    info = photos.photo_info(empty_library, results[1].photo_id or "")
    assert (info.ext, info.width, info.height) == ("heic", 2566, 3313)
    assert info.camera == "Apple iPhone 11 Pro Max"
    assert info.gps_lat == pytest.approx(39.05134, abs=1e-4)
    assert info.gps_lon == pytest.approx(-94.28877, abs=1e-4)


# --- colour ------------------------------------------------------------------------------------


def _center(img: Image.Image) -> tuple[int, int, int]:
    r, g, b = img.getpixel((img.width // 2, img.height // 2))  # type: ignore[misc]
    return int(r), int(g), int(b)


def _distance(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def test_cmyk_jpeg_is_converted_to_rgb(empty_library: Library, tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (400, 300), (0, 255, 255, 0)).save(path, "JPEG", quality=95)  # red ink
    with Image.open(path) as check:
        assert check.mode == "CMYK"
    thumb = _thumb(empty_library, _import_one(empty_library, path))
    assert _distance(_center(thumb), (255, 0, 0)) < 12


def test_icc_profile_is_converted_to_srgb(
    empty_library: Library, testdata: Path, tmp_path: Path
) -> None:
    pillow_heif.register_heif_opener()
    with Image.open(testdata / "IMG_5195.HEIC") as heic:
        display_p3 = heic.info["icc_profile"]
    path = tmp_path / "p3.jpg"
    Image.new("RGB", (400, 300), (200, 60, 60)).save(
        path, "JPEG", quality=98, icc_profile=display_p3
    )
    center = _center(_thumb(empty_library, _import_one(empty_library, path)))
    # Display P3 (200, 60, 60) is sRGB (217, 42, 52) (LittleCMS, perceptual).
    assert _distance(center, (217, 42, 52)) <= 6
    assert _distance(center, (200, 60, 60)) >= 12


def test_transparency_is_flattened_on_white(empty_library: Library, tmp_path: Path) -> None:
    img = Image.new("RGBA", (300, 200), (0, 0, 0, 0))  # transparent black
    img.paste((0, 0, 255, 255), (0, 0, 150, 200))  # left half opaque blue
    path = tmp_path / "alpha.png"
    img.save(path)
    thumb = _thumb(empty_library, _import_one(empty_library, path))
    assert _distance(thumb.getpixel((200, 80)), (255, 255, 255)) < 4  # type: ignore[arg-type]
    assert _distance(thumb.getpixel((40, 80)), (0, 0, 255)) < 8  # type: ignore[arg-type]


# --- identity ----------------------------------------------------------------------------------


def test_duplicate_is_recognised_and_linked_not_stored_again(
    empty_library: Library, testdata: Path, tmp_path: Path
) -> None:
    first = _import_one(empty_library, testdata / "DSCN0010.jpg")
    copy = tmp_path / "renamed copy.jpg"
    shutil.copy(testdata / "DSCN0010.jpg", copy)
    session_id = new_session(empty_library)
    (again,) = photos.import_photos(
        empty_library, [copy], photos.ImportTarget(session_id=session_id)
    )
    assert (again.status, again.photo_id) == (photos.DUPLICATE, first)
    assert len(_store_files(empty_library)) == 1
    assert [p.id for p in photos.session_photos(empty_library, session_id)] == [first]
    stored = _store_files(empty_library)[0]
    assert stored.read_bytes() == (testdata / "DSCN0010.jpg").read_bytes()  # byte for byte
    assert stored.name == hashlib.sha256(stored.read_bytes()).hexdigest() + ".jpg"
    assert photos.gps_of_session_photos(empty_library, session_id) == pytest.approx(
        (43.46745, 11.88513), abs=1e-4
    )


def test_hostile_files_are_rejected_and_the_good_ones_import(
    empty_library: Library, testdata: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "相机卡 DCIM"
    expected = hostile_files(folder, testdata)
    shutil.copy(testdata / "landscape_3.jpg", folder / "园博园 现场 照片.jpg")
    shutil.copy(testdata / "Picoawards.tiff", folder / "z.tiff")
    results = photos.import_photos(empty_library, [folder])
    by_name = {Path(r.path).name: r for r in results}
    assert len(results) == len(expected) + 2
    for name, word in expected.items():
        result = by_name[name]
        assert result.status == photos.REJECTED, name
        assert word.lower() in result.reason.lower(), (name, result.reason)
        assert result.photo_id is None
    assert by_name["园博园 现场 照片.jpg"].status == photos.IMPORTED
    assert by_name["z.tiff"].status == photos.IMPORTED
    assert len(_store_files(empty_library)) == 2
    assert not any(empty_library.tmp_dir.iterdir())  # nothing half-written stays
    assert not check_library(empty_library).problems


def test_read_only_source_folder_with_chinese_names(
    empty_library: Library, testdata: Path, tmp_path: Path
) -> None:
    card = tmp_path / "相机 卡"
    card.mkdir()
    shutil.copy(testdata / "landscape_6.jpg", card / "第 1 张.jpg")
    (card / "第 1 张.jpg").chmod(0o444)
    card.chmod(0o555)
    try:
        (result,) = photos.import_photos(empty_library, [card])
    finally:
        card.chmod(0o755)
    assert result.status == photos.IMPORTED
    assert photos.photo_info(empty_library, result.photo_id or "").original_name == "第 1 张.jpg"


# --- crash safety ------------------------------------------------------------------------------

CRASH_SCRIPT = """
import sys
from pathlib import Path
from desktop_app.core.progress import Progress
from desktop_app.services import photos
from desktop_app.storage.library import Library

class Report(Progress):
    def on_step(self, done, total, text):
        if done:
            print("IMPORTED", text, flush=True)

library = Library.open(Path(sys.argv[1]))
photos.import_photos(library, [Path(sys.argv[2])], progress=Report())
print("FINISHED", flush=True)
"""


def test_killed_import_loses_no_reported_photo(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for i in range(60):
        distinct_jpeg(source / f"IMG_{i:04d}.jpg", i, (1024, 768))
    root = tmp_path / "lib"
    Library.create(root).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(root), str(source)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the kill takes the worker processes too, like a power cut
    )
    reported: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("IMPORTED"):
                reported.append(line.split(" ", 1)[1].strip())
            if len(reported) >= 6 or line.startswith("FINISHED"):
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        stderr = proc.stderr.read()
        proc.stderr.close()
    assert len(reported) >= 6, stderr
    with Library.open(root) as library:
        with library.session() as s:
            names = set(s.scalars(select(Photo.original_name)))
        assert set(reported) <= names
        assert len(names) < 60  # it really died in the middle
        report = check_library(library)
        assert {p.code for p in report.problems} <= {"temp_file", "orphan_file"}, report.problems
        assert report.photos_checked == len(names)  # every record's file is there, intact
        check_library(library, repair=True)
        assert not check_library(library).problems
        # Importing the whole folder again finishes the job; nothing is stored twice.
        results = photos.import_photos(library, [source])
        assert sum(r.status == photos.DUPLICATE for r in results) == len(names)
        assert len(_store_files(library)) == 60
        assert not check_library(library).problems


class _CancelAfter(Progress):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def on_step(self, done: int, total: int, text: str) -> None:
        if done >= self.after:
            self.cancel()


def test_cancel_keeps_what_was_finished_and_nothing_else(
    empty_library: Library, tmp_path: Path
) -> None:
    source = tmp_path / "many"
    for i in range(12):
        distinct_jpeg(source / f"{i:02d}.jpg", 100 + i)
    session_id = new_session(empty_library)
    with pytest.raises(photos.ImportCancelled) as caught:
        photos.import_photos(
            empty_library, [source], photos.ImportTarget(session_id=session_id), _CancelAfter(3)
        )
    done = caught.value.results
    assert 3 <= len(done) < 12  # the group being committed when Cancel came is kept whole
    assert [p.id for p in photos.session_photos(empty_library, session_id)] == [
        r.photo_id for r in done
    ]
    assert len(_store_files(empty_library)) == len(done)
    assert not any(empty_library.tmp_dir.iterdir())
    assert not check_library(empty_library).problems


# --- targets -----------------------------------------------------------------------------------


def test_import_into_session_bumps_revision_once(empty_library: Library, testdata: Path) -> None:
    session_id = new_session(empty_library)
    files = [testdata / f"landscape_{n}.jpg" for n in (1, 2, 3)]
    results = photos.import_photos(empty_library, files, photos.ImportTarget(session_id=session_id))
    assert [p.id for p in photos.session_photos(empty_library, session_id)] == [
        r.photo_id for r in results
    ]
    assert catalog.revision_of(empty_library, "session", session_id) == 2
    with empty_library.session() as s:
        history = s.scalars(
            select(RecordHistory).where(RecordHistory.record_id == session_id)
        ).all()
    assert [h.data["photo_ids"] for h in history] == [[]]


def test_import_into_guide_step_and_member_portrait(demo_library: Library, testdata: Path) -> None:
    guide_id = next(iter(r["id"] for r in _rows(demo_library, "guide") if r["steps"] >= 2))
    photo_id = _import_one(demo_library, testdata / "DSCN0010.jpg", guide_id=guide_id)
    (result,) = photos.import_photos(
        demo_library,
        [testdata / "Canon_40D.jpg"],
        photos.ImportTarget(guide_id=guide_id, step_index=1),
    )
    data = catalog.load_guide(demo_library, guide_id)
    assert data.steps[0].photo_ids == [photo_id]
    assert data.steps[1].photo_ids == [result.photo_id]
    with pytest.raises(UserError, match="no step 99"):
        photos.import_photos(
            demo_library,
            [testdata / "Canon_40D.jpg"],
            photos.ImportTarget(guide_id=guide_id, step_index=98),
        )
    member_id = str(_rows(demo_library, "member")[0]["id"])
    portrait = _import_one(demo_library, testdata / "no_exif.jpg", member_id=member_id)
    assert catalog.load_member(demo_library, member_id).portrait_photo_id == portrait
    with pytest.raises(UserError, match="one portrait"):
        photos.import_photos(
            demo_library,
            [testdata / "landscape_1.jpg", testdata / "landscape_2.jpg"],
            photos.ImportTarget(member_id=member_id),
        )
    with pytest.raises(RecordNotFoundError):
        photos.import_photos(
            demo_library,
            [testdata / "landscape_1.jpg"],
            photos.ImportTarget(session_id="nope-nope"),
        )


def _rows(library: Library, kind: str) -> list[dict[str, object]]:
    from desktop_app.services import listing

    rows = listing.list_rows(library, kind)
    if kind == "guide":
        for row in rows:
            row["steps"] = len(catalog.load_guide(library, str(row["id"])).steps)
    return rows


# --- captions, rotation, lists, clean-up -------------------------------------------------------


def test_rotation_is_a_setting_and_the_original_is_untouched(
    empty_library: Library, testdata: Path
) -> None:
    photo_id = _import_one(empty_library, testdata / "landscape_1.jpg")
    original = photos.photo_info(empty_library, photo_id).path
    before = original.read_bytes()
    upright = _thumb(empty_library, photo_id)
    photos.set_rotation(empty_library, photo_id, 90)
    turned = _thumb(empty_library, photo_id)
    assert turned.size == (192, 256)
    assert mean_abs_diff(turned, upright.rotate(-90, expand=True)) < 4  # clockwise
    assert photos.render_preview(empty_library, photo_id, 1600).size == (450, 600)
    assert original.read_bytes() == before
    assert catalog.revision_of(empty_library, "photo", photo_id) == 2
    photos.set_rotation(empty_library, photo_id, 0)
    assert mean_abs_diff(_thumb(empty_library, photo_id), upright) < 1
    with pytest.raises(UserError):
        photos.set_rotation(empty_library, photo_id, 45)


def test_caption_edit_keeps_history(empty_library: Library, testdata: Path) -> None:
    photo_id = _import_one(empty_library, testdata / "landscape_1.jpg")
    photos.set_caption(empty_library, photo_id, "  释放管氏肿腿蜂\n现场 ")
    photos.set_caption(empty_library, photo_id, "释放管氏肿腿蜂 现场")  # unchanged: no new revision
    info = photos.photo_info(empty_library, photo_id)
    assert (info.caption, info.revision) == ("释放管氏肿腿蜂 现场", 2)


def test_session_list_reorder_remove_add_and_cleanup(
    empty_library: Library, testdata: Path
) -> None:
    session_id = new_session(empty_library)
    files = [testdata / f"landscape_{n}.jpg" for n in (1, 2, 3)]
    a, b, c = (
        r.photo_id or ""
        for r in photos.import_photos(
            empty_library, files, photos.ImportTarget(session_id=session_id)
        )
    )

    def order() -> list[str]:
        return [p.id for p in photos.session_photos(empty_library, session_id)]

    photos.reorder_session_photos(empty_library, session_id, [c, a, b])
    assert order() == [c, a, b]
    with pytest.raises(UserError):
        photos.reorder_session_photos(empty_library, session_id, [c, a])
    photos.remove_from_session(empty_library, session_id, a)
    assert order() == [c, b]
    assert photos.unused_photos(empty_library) == [a]
    assert len(_store_files(empty_library)) == 3  # the original stays until cleaned up
    photos.add_to_session(empty_library, session_id, [a], position=1)  # e.g. undo
    assert order() == [c, a, b]
    assert photos.unused_photos(empty_library) == []
    photos.remove_from_session(empty_library, session_id, b)
    thumb = photos.thumbnail_file(empty_library, b)
    assert photos.cleanup_unused(empty_library) == 1
    assert not thumb.exists()
    assert len(_store_files(empty_library)) == 2
    with empty_library.session() as s:
        assert s.scalar(select(func.count()).select_from(Photo)) == 3
        # The removed photo leaves a tombstone (it travels in packs like any deletion).
        removed = s.get(Photo, b)
        assert removed is not None and removed.deleted_at is not None
        assert removed.version_tag.startswith(f"{removed.revision}:")
    assert not check_library(empty_library).problems
    assert photos.cleanup_unused(empty_library) == 0  # nothing left to clean
    # A soft-deleted session still holds its photos: undo can bring it back.
    catalog.delete_record(empty_library, "session", session_id)
    assert photos.unused_photos(empty_library) == []


# --- export ------------------------------------------------------------------------------------


def test_export_is_upright_resized_and_named_by_date_and_caption(
    empty_library: Library, testdata: Path, tmp_path: Path
) -> None:
    session_id = new_session(empty_library)
    files = [
        testdata / "landscape_6.jpg",
        testdata / "DSCN0010.jpg",
        testdata / "RGBA_8__128x128.png",
    ]
    ids = [
        r.photo_id or ""
        for r in photos.import_photos(
            empty_library, files, photos.ImportTarget(session_id=session_id)
        )
    ]
    photos.set_caption(empty_library, ids[0], "修剪示范: 留3到5个饱满芽/斜剪45°")
    photos.set_caption(empty_library, ids[1], "合影")
    out = tmp_path / "导出"
    written = photos.export_session_photos(empty_library, session_id, out, long_edge=300)
    local_day = photos.photo_info(empty_library, ids[1]).taken_at
    assert local_day is not None
    start = catalog.load_session(empty_library, session_id).starts_at.astimezone()
    assert [p.name for p in written] == [
        f"{start:%Y-%m-%d}_01_修剪示范 留3到5个饱满芽 斜剪45°.jpg",
        f"{local_day.astimezone():%Y-%m-%d}_02_合影.jpg",
        f"{start:%Y-%m-%d}_03.jpg",
    ]
    sizes = []
    for path in written:
        with Image.open(path) as img:
            assert img.format == "JPEG" and img.mode == "RGB"
            sizes.append(img.size)
    assert sizes == [(300, 225), (300, 225), (128, 128)]  # never scaled up
    with Image.open(written[0]) as exported:
        reference = _thumb(empty_library, ids[0]).resize((300, 225))
        assert mean_abs_diff(exported, reference) < 8  # upright


def test_importing_again_heals_a_lost_store_file(empty_library: Library, testdata: Path) -> None:
    photo_id = _import_one(empty_library, testdata / "xiaomi.heic")
    stored = photos.photo_info(empty_library, photo_id).path
    stored.unlink()
    assert [p.code for p in check_library(empty_library).problems] == ["photo_missing"]
    (again,) = photos.import_photos(empty_library, [testdata / "xiaomi.heic"])
    assert (again.status, again.photo_id) == (photos.DUPLICATE, photo_id)
    assert stored.read_bytes() == (testdata / "xiaomi.heic").read_bytes()
    assert not check_library(empty_library).problems


def test_a_record_is_committed_only_after_its_file_is_flushed(
    empty_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers rename their copies into the store without fsync; the committing thread
    # flushes each group's files and only then commits the group's records.
    source = tmp_path / "card"
    for i in range(9):
        distinct_jpeg(source / f"{i}.jpg", 300 + i)
    shutil.copy(source / "0.jpg", source / "0 again.jpg")  # a duplicate in the same import
    session_id = new_session(empty_library)
    real_flush = photos._flush_files
    flushed: list[Path] = []

    def flush(files: list[Path]) -> None:
        with empty_library.session() as s:  # another connection: sees committed rows only
            committed = set(s.scalars(select(Photo.sha256)))
        for path in files:
            assert path.read_bytes() and hashlib.sha256(path.read_bytes()).hexdigest() == path.stem
            assert path.stem not in committed, "record committed before its file was flushed"
        real_flush(files)
        flushed.extend(files)

    monkeypatch.setattr(photos, "_flush_files", flush)
    results = photos.import_photos(
        empty_library, [source], photos.ImportTarget(session_id=session_id)
    )
    assert [r.status for r in results].count(photos.IMPORTED) == 9
    assert [r.status for r in results].count(photos.DUPLICATE) == 1
    stored = {photos.photo_info(empty_library, r.photo_id or "").path for r in results}
    assert stored == set(flushed) and len(flushed) == 9
    assert [p.id for p in photos.session_photos(empty_library, session_id)] == list(
        dict.fromkeys(r.photo_id for r in results)
    )
    assert not check_library(empty_library).problems


def test_importing_a_deleted_photo_again_restores_it(
    empty_library: Library, testdata: Path
) -> None:
    photo_id = _import_one(empty_library, testdata / "DSCN0010.jpg")
    catalog.delete_record(empty_library, "photo", photo_id)
    session_id = new_session(empty_library)
    (again,) = photos.import_photos(
        empty_library, [testdata / "DSCN0010.jpg"], photos.ImportTarget(session_id=session_id)
    )
    assert (again.status, again.photo_id) == (photos.DUPLICATE, photo_id)
    assert [p.id for p in photos.session_photos(empty_library, session_id)] == [photo_id]
    with empty_library.session() as s:
        photo = s.get(Photo, photo_id)
        assert photo is not None and photo.deleted_at is None and photo.revision == 3
        reasons = s.scalars(
            select(RecordHistory.reason)
            .where(RecordHistory.record_id == photo_id)
            .order_by(RecordHistory.revision)
        ).all()
    assert reasons == ["delete", "restore"]


def test_a_worker_never_renames_over_a_store_file_placed_meanwhile(tmp_path: Path) -> None:
    # Two copies of one photo in one import: the first may be flushed and committed already
    # when the second worker gets to place its own (not yet durable) copy.
    final = tmp_path / "photos" / "ab" / "ab12.jpg"
    first = tmp_path / "first.part"
    first.write_bytes(b"same bytes")
    assert imaging.place_new_file(first, final)
    inode = final.stat().st_ino
    second = tmp_path / "second.part"
    second.write_bytes(b"same bytes")
    assert not imaging.place_new_file(second, final)
    assert final.stat().st_ino == inode and not second.exists() and not first.exists()


def test_a_damaged_leftover_store_file_is_replaced_not_adopted(
    empty_library: Library, testdata: Path
) -> None:
    # A crash before a group's flush can leave a store file of the right name and size but
    # not the right bytes (a power cut): a later import must not take it as the original.
    source = testdata / "DSCN0010.jpg"
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    leftover = empty_library.photos_dir / sha[:2] / f"{sha}.jpg"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(bytes(len(data)))
    photo_id = _import_one(empty_library, source)
    assert photos.photo_info(empty_library, photo_id).path == leftover
    assert leftover.read_bytes() == data
    assert not check_library(empty_library).problems


OWNER_SCRIPT = """
import multiprocessing.forkserver as fs, sys, time
from pathlib import Path
from desktop_app.services import photos
from desktop_app.storage.library import Library

library = Library.open(Path(sys.argv[1]))
photos.import_photos(library, [Path(sys.argv[2])])
pool = photos._get_pool()
print(" ".join(str(p) for p in [fs._forkserver._forkserver_pid, *pool._processes]), flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_processes_end_when_the_app_is_killed(tmp_path: Path, testdata: Path) -> None:
    import time

    root = tmp_path / "lib"
    Library.create(root).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(root), str(testdata / "landscape_1.jpg")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    helpers = [int(p) for p in proc.stdout.readline().split()]
    proc.stdout.close()
    assert len(helpers) >= 2  # the forkserver and at least one worker
    proc.kill()  # only the app: nobody shuts the pool down
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in helpers):
        time.sleep(0.2)
    assert not [p for p in helpers if Path(f"/proc/{p}").exists()]
