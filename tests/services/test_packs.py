"""Knowledge packs: round trips, selections, merging, conflicts, hostile packs, crashes.

The importing (or second) store is a laptop's SQLite library or a server's PostgreSQL database
(`any_empty_store`, `any_pair`: tests/stores.py) wherever the records' merge is under test; a
server database takes a pack's records through the same `packs.plan_import`/`apply_import`
and keeps photo bytes apart, so what is said about photo files is said of libraries only.
SQLite-only, with their reason: hostile packs (refused while the pack is read, before any
store), backups, read-only folders, killed and cancelled imports, full disks, and the preview's
photo count (all about the library folder and its files).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.errors import ImportRejectedError
from desktop_app.core.progress import Cancelled, Progress
from desktop_app.services import catalog, merge, packs
from desktop_app.services.integrity import check_library
from desktop_app.services.pack_format import ZipLimits, read_pack
from desktop_app.storage.library import Library
from tests.services.packkit import (
    add_photo,
    edit_records,
    illustrate,
    library_state,
    photo_bytes,
    read_members,
    records,
    write_pack,
)
from tests.stores import Store, import_pack_into, send, swap

REPO = Path(__file__).resolve().parents[2]


def guide_id(library: Library, title_part: str) -> str:
    from desktop_app.services import listing

    rows = listing.list_rows(library, "guide", listing.ListFilter())
    return next(str(r["id"]) for r in rows if title_part in str(r["title"]))


@pytest.fixture
def pair(demo_dir: Path, tmp_path: Path) -> tuple[Library, Library]:
    """Two laptops that share the (illustrated) demo library after one exchange."""
    a = Library.open(demo_dir, write=True)
    illustrate(a)
    b = Library.create(tmp_path / "b")
    packs.import_pack(b, packs.export_pack(a, tmp_path / "first.jxpack").path)
    yield a, b
    a.close()
    b.close()


# --- round trip and selections --------------------------------------------------------------


def test_round_trip_into_an_any_empty_store_is_equal(
    demo_library: Library, any_empty_store: Store, tmp_path: Path
) -> None:
    illustrate(demo_library)
    # A deleted guide the session still covers travels in full (marked deleted); one that
    # nothing refers to travels as a tombstone only.
    catalog.delete_record(demo_library, "guide", guide_id(demo_library, "榆叶梅"))
    lone = catalog.save_guide(demo_library, catalog.GuideData(title="临时指南"))
    catalog.delete_record(demo_library, "guide", lone)
    result = packs.export_pack(demo_library, tmp_path / "all", include_contacts=True)
    assert result.path.name == "all.jxpack"
    assert result.photo_files == 7 and result.tombstones == 1

    report = import_pack_into(any_empty_store, result.path)
    assert len(report.added) == 7 + 12
    a_records = records(demo_library)
    b_records = records(any_empty_store)
    assert b_records[("guide", guide_id(demo_library, "管氏"))]["deleted_at"] is None
    assert ("guide", lone) not in b_records
    del a_records[("guide", lone)]
    assert a_records == b_records
    if isinstance(any_empty_store, Library):  # the photo files came along
        assert report.new_photo_files == 7
        assert photo_bytes(demo_library) == photo_bytes(any_empty_store)
        assert not check_library(any_empty_store).damaged

    again = import_pack_into(any_empty_store, result.path)
    assert not again.changes and again.backup is None


def test_contacts_stay_home_unless_asked(
    demo_library: Library, any_empty_store: Store, tmp_path: Path
) -> None:
    illustrate(demo_library)
    plain = packs.export_pack(demo_library, tmp_path / "plain.jxpack").path
    text = read_members(plain)["records/members.json"].decode()
    assert "138 0000 0000" not in text and "私人备注" not in text and '"phone"' not in text
    import_pack_into(any_empty_store, plain)
    phones = {v["phone"] for (k, _i), v in records(any_empty_store).items() if k == "member"}
    assert phones == {""}

    full = packs.export_pack(demo_library, tmp_path / "full.jxpack", include_contacts=True).path
    assert "138 0000 0000" in read_members(full)["records/members.json"].decode()
    report = import_pack_into(any_empty_store, full)
    # Personal fields are not part of a version: the same versions, now with the contact
    # details this library lacked filled in (no new version, nothing else changed).
    assert report.changes and not report.conflicts
    member = next(k[1] for k, v in records(demo_library).items() if v.get("phone"))
    assert records(any_empty_store)[("member", member)]["phone"] == "138 0000 0000"
    assert not import_pack_into(any_empty_store, full).changes
    # A newer version with contacts brings them too.
    data = catalog.load_member(demo_library, member)
    data.specialty += "（更新）"
    catalog.save_member(demo_library, data, member)
    full2 = packs.export_pack(demo_library, tmp_path / "full2.jxpack", include_contacts=True)
    import_pack_into(any_empty_store, full2.path)
    assert records(any_empty_store)[("member", member)]["phone"] == "138 0000 0000"
    # ...and a pack without contacts never erases them.
    data.specialty += "！"
    catalog.save_member(demo_library, data, member)
    import_pack_into(any_empty_store, packs.export_pack(demo_library, tmp_path / "p3").path)
    after = records(any_empty_store)[("member", member)]
    assert after["phone"] == "138 0000 0000" and after["specialty"].endswith("！")


def test_selections_bring_what_they_refer_to(demo_library: Library, tmp_path: Path) -> None:
    illustrate(demo_library)
    from desktop_app.services import listing

    teams = {r["name"]: r["id"] for r in listing.list_rows(demo_library, "team")}
    team = teams["专业技术服务2队"]
    result = packs.export_pack(demo_library, tmp_path / "team", teams=[team[:8]])
    manifest = json.loads(read_members(result.path)["manifest.json"])
    assert manifest["selection"]["teams"] == [team]
    assert result.counts["team"] == 1
    assert result.counts["member"] == 2 and result.counts["guide"] == 4
    assert result.counts["session"] == 0

    guide = guide_id(demo_library, "管氏肿腿蜂")
    one = packs.export_pack(demo_library, tmp_path / "guide", guides=[guide])
    assert one.counts["guide"] == 1 and one.photo_files == 2  # step photo + author's portrait

    with demo_library.session() as s:
        from sqlalchemy import select

        from desktop_app.storage.models import FieldSession

        session_id = s.scalars(select(FieldSession.id)).first()
    assert session_id
    sess = packs.export_pack(demo_library, tmp_path / "session", sessions=[session_id])
    assert sess.counts["session"] == 1 and sess.counts["guide"] >= 1
    assert sess.photo_files >= 2
    # Every pack is complete on its own.
    for p in (result.path, one.path, sess.path):
        read_pack(p).close()


# --- merging --------------------------------------------------------------------------------


def test_one_sided_edit_is_taken_and_the_old_version_kept(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    gid = guide_id(a, "花后修剪")
    data = catalog.load_guide(a, gid)
    data.season = "五月下旬"
    catalog.save_guide(a, data, gid)
    into_a, into_b = swap(a, b, tmp_path, "1")
    assert [c.id for c in into_b.updated] == [gid] and not into_b.conflicts
    assert not into_a.changes  # B's unchanged copy is older than A's
    assert records(a)[("guide", gid)] == records(b)[("guide", gid)]
    with b.session() as s:
        from sqlalchemy import select

        from desktop_app.storage.models import RecordHistory

        reasons = s.scalars(select(RecordHistory.reason).where(RecordHistory.record_id == gid))
        assert "merge" in list(reasons)


@pytest.mark.parametrize("resolver,keep", [("a", "theirs"), ("a", "mine"), ("b", "mine")])
def test_edits_on_both_sides_conflict_and_converge_after_resolving(
    any_pair: tuple[Library, Store], tmp_path: Path, resolver: str, keep: str
) -> None:
    a, b = any_pair
    gid = guide_id(a, "月季修剪")
    da = catalog.load_guide(a, gid)
    da.key_points.append("A：剪口距芽0.5厘米")
    catalog.save_guide(a, da, gid)
    db = catalog.load_guide(b, gid)
    db.season = "B：冬季休眠期"
    catalog.save_guide(b, db, gid)

    into_a, into_b = swap(a, b, tmp_path, "1")
    assert [c.id for c in into_a.conflicts] == [gid] == [c.id for c in into_b.conflicts]
    # No edit is lost: each keeps its own, and holds the other's in the conflict.
    assert "A：剪口距芽0.5厘米" in records(a)[("guide", gid)]["key_points"]
    assert records(b)[("guide", gid)]["season"] == "B：冬季休眠期"
    (ca,) = merge.list_conflicts(a)
    (cb,) = merge.list_conflicts(b)
    assert ca.theirs is not None and ca.theirs["season"] == "B：冬季休眠期"
    assert cb.theirs is not None and "A：剪口距芽0.5厘米" in cb.theirs["key_points"]
    assert ca.mine is not None and ca.reason
    # Swapping again changes nothing and adds no second conflict.
    again = swap(a, b, tmp_path, "2")
    assert [len(r.conflicts) for r in again] == [1, 1]
    assert len(merge.list_conflicts(a)) == 1

    lib, conflict = (a, ca) if resolver == "a" else (b, cb)
    merge.resolve_conflict(lib, conflict.id[:8], keep)
    assert merge.list_conflicts(lib) == []
    swap(a, b, tmp_path, "3")
    assert records(a)[("guide", gid)] == records(b)[("guide", gid)]
    assert merge.list_conflicts(a) == [] and merge.list_conflicts(b) == []
    winner = records(a)[("guide", gid)]
    a_won = (resolver == "a") == (keep == "mine")
    assert ("A：剪口距芽0.5厘米" in winner["key_points"]) == a_won
    assert (winner["season"] == "B：冬季休眠期") == (not a_won)
    final = swap(a, b, tmp_path, "4")
    assert not any(r.changes for r in final)


def test_delete_versus_edit_never_deletes_the_edit(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    gid = guide_id(a, "榆叶梅")
    catalog.delete_record(a, "guide", gid)
    data = catalog.load_guide(b, gid)
    data.problem = "B 在删除之后补充的内容"
    catalog.save_guide(b, data, gid)

    into_a, into_b = swap(a, b, tmp_path, "1")
    assert records(b)[("guide", gid)]["deleted_at"] is None
    assert records(b)[("guide", gid)]["problem"] == "B 在删除之后补充的内容"
    assert [c.id for c in into_b.conflicts] == [gid] and not into_b.deleted
    assert [c.id for c in into_a.conflicts] == [gid]
    (cb,) = merge.list_conflicts(b)
    assert cb.theirs is None and cb.mine is not None  # they deleted it; mine is the edit
    merge.resolve_conflict(b, cb.id, "mine")
    swap(a, b, tmp_path, "2")
    assert records(a)[("guide", gid)]["deleted_at"] is None
    assert records(a)[("guide", gid)]["problem"] == "B 在删除之后补充的内容"
    assert merge.list_conflicts(a) == [] == merge.list_conflicts(b)


def test_tombstone_deletes_an_unedited_record(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    gid = guide_id(a, "榆叶梅")
    catalog.delete_record(a, "guide", gid)
    if isinstance(b, Library):  # a preview is a library's (it counts photo files to add)
        preview = packs.preview_import(b, packs.export_pack(a, tmp_path / "del").path)
        assert [c.id for c in preview.deleted] == [gid]
    _into_a, into_b = swap(a, b, tmp_path, "1")
    assert [c.id for c in into_b.deleted] == [gid]
    assert records(b)[("guide", gid)]["deleted_at"] is not None
    # Restoring it on A later brings it back on B too.
    catalog.restore_record(a, "guide", gid)
    swap(a, b, tmp_path, "2")
    assert records(b)[("guide", gid)]["deleted_at"] is None


def test_same_photo_under_two_ids_is_merged_not_duplicated(
    demo_library: Library, any_empty_store: Store, tmp_path: Path
) -> None:
    gid = guide_id(demo_library, "花后修剪")
    pa = add_photo(demo_library, b"the same picture" * 40)
    pb = add_photo(any_empty_store, b"the same picture" * 40)
    data = catalog.load_guide(demo_library, gid)
    data.steps[0].photo_ids = [pa]
    catalog.save_guide(demo_library, data, gid)
    report = import_pack_into(any_empty_store, packs.export_pack(demo_library, tmp_path / "x").path)
    assert "photo" not in {c.kind for c in report.added}
    assert records(any_empty_store)[("guide", gid)]["steps"][0]["photo_ids"] == [pb]
    # Both sides agree it is the same version: no conflict going back.
    back = send(any_empty_store, demo_library, tmp_path, "y")
    assert not back.conflicts and not back.updated


def test_team_name_taken_here_is_renamed(
    demo_library: Library, any_empty_store: Store, tmp_path: Path
) -> None:
    catalog.save_team(any_empty_store, catalog.TeamData(name="专业技术服务2队"))
    report = import_pack_into(any_empty_store, packs.export_pack(demo_library, tmp_path / "x").path)
    assert any("专业技术服务2队 (2)" in n for n in report.notes)
    names = sorted(v["name"] for (k, _i), v in records(any_empty_store).items() if k == "team")
    assert "专业技术服务2队" in names and "专业技术服务2队 (2)" in names


def test_dry_run_changes_nothing(
    demo_library: Library, empty_library: Library, tmp_path: Path
) -> None:
    illustrate(demo_library)
    pack = packs.export_pack(demo_library, tmp_path / "x").path
    before = library_state(empty_library)
    preview = packs.preview_import(empty_library, pack)
    assert preview.dry_run and len(preview.added) == 19 and preview.new_photo_files == 7
    assert library_state(empty_library) == before


def test_automatic_backups_keep_the_newest(
    demo_library: Library, empty_library: Library, tmp_path: Path
) -> None:
    from desktop_app.services.backup import automatic_backups

    gid = guide_id(demo_library, "花后修剪")
    for n in range(4):
        data = catalog.load_guide(demo_library, gid)
        data.season = f"第{n}次"
        catalog.save_guide(demo_library, data, gid)
        pack = packs.export_pack(demo_library, tmp_path / f"p{n}").path
        before = {r["season"] for (k, _i), r in records(empty_library).items() if k == "guide"}
        report = packs.import_pack(empty_library, pack, keep_backups=2)
        assert report.backup and Path(report.backup).is_file()
        # The copy is the library as it was just before this import.
        conn = sqlite3.connect(report.backup)
        try:
            seasons = {row[0] for row in conn.execute("SELECT season FROM guide")}
        finally:
            conn.close()
        assert seasons == before and f"第{n}次" not in seasons
    assert len(automatic_backups(empty_library)) == 2


def test_cancel_during_merge_leaves_the_library_as_it_was(
    demo_library: Library, empty_library: Library, tmp_path: Path
) -> None:
    illustrate(demo_library)
    for n in range(60):
        catalog.save_guide(demo_library, catalog.GuideData(title=f"指南{n}"))
    pack = packs.export_pack(demo_library, tmp_path / "x").path
    before = library_state(empty_library)

    class CancelWhileMerging(Progress):
        def on_step(self, done: int, total: int, text: str) -> None:
            if text.startswith("Merging") and done > 0:
                self.cancel()

    with pytest.raises(Cancelled):
        packs.import_pack(empty_library, pack, progress=CancelWhileMerging(), backup=False)
    assert library_state(empty_library) == before


# --- hostile packs --------------------------------------------------------------------------


@pytest.fixture
def good_pack(demo_library: Library, tmp_path: Path) -> Path:
    illustrate(demo_library)
    return packs.export_pack(demo_library, tmp_path / "good.jxpack").path


def _hostile(kind: str, good: Path, tmp: Path) -> Path:
    members = read_members(good)
    target = tmp / f"{kind}.jxpack"
    photo = next(n for n in members if n.startswith("photos/"))
    if kind == "not_zip":
        target.write_bytes(b"PK\x03\x04 but not really a zip" * 10)
    elif kind == "dotdot":
        members["../../evil.txt"] = b"x"
        write_pack(target, members)
    elif kind == "absolute":
        members["/tmp/evil.txt"] = b"x"
        write_pack(target, members)
    elif kind == "symlink":
        write_pack(target, members)
        with zipfile.ZipFile(target, "a") as zf:
            info = zipfile.ZipInfo("photos/" + "a" * 64 + ".jpg")
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    elif kind == "bomb":
        members["records/sessions.json"] = b"[" + b" " * (16 * 1024 * 1024) + b"]"
        write_pack(target, members)
    elif kind == "hash_mismatch":
        edit_records(members, "guide", lambda items: items[0]["record"].update(title="改过"))
        write_pack(target, members, rehash=False)
    elif kind == "photo_bytes_altered":
        members[photo] = members[photo][:-1] + b"!"
        write_pack(target, members)
    elif kind == "newer_format":
        write_pack(target, members, manifest_edit=lambda m: m.update(format_version=99))
    elif kind == "malformed_json":
        members["records/guides.json"] = b'[{"record": {"id": '
        write_pack(target, members)
    elif kind == "malformed_record":
        edit_records(members, "guide", lambda items: items[0]["record"].update(steps="no"))
        write_pack(target, members)
    elif kind == "missing_photo_file":
        del members[photo]
        write_pack(target, members)
    elif kind == "missing_photo_record":
        edit_records(members, "photo", lambda items: items.pop())
        write_pack(target, members)
    elif kind == "nested_json":
        members["records/guides.json"] = b"[" * 100_000 + b"]" * 100_000
        write_pack(target, members)
    elif kind == "huge_number":
        edit_records(members, "photo", lambda items: items[0]["record"].update(width=10**30))
        write_pack(target, members)
    elif kind == "unexpected_file":
        members["records/readme.exe"] = b"MZ"
        write_pack(target, members)
    else:
        raise AssertionError(kind)
    return target


HOSTILE = {
    "not_zip": "not a zip file",
    "dotdot": "unsafe file path",
    "absolute": "unsafe file path",
    "symlink": "symbolic link",
    "bomb": "zip bomb",
    "hash_mismatch": "does not match its checksum",
    "photo_bytes_altered": "does not match its checksum",
    "newer_format": "newer version of Jiangxin",
    "malformed_json": "not valid JSON",
    "malformed_record": "malformed record",
    "missing_photo_file": "file of photo",
    "missing_photo_record": "does not contain",
    "unexpected_file": "unexpected file",
    "nested_json": "not valid JSON",
    "huge_number": "malformed record",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_packs_are_refused_and_nothing_is_written(
    kind: str, good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    bad = _hostile(kind, good_pack, tmp_path)
    before = library_state(empty_library)
    outside = set(os.listdir(tmp_path))
    with pytest.raises(ImportRejectedError) as preview_error:
        packs.preview_import(empty_library, bad)
    with pytest.raises(ImportRejectedError) as import_error:
        packs.import_pack(empty_library, bad)
    for error in (preview_error, import_error):
        message = str(error.value)
        assert HOSTILE[kind] in message and "\n" not in message and "Traceback" not in message
    assert library_state(empty_library) == before
    assert set(os.listdir(tmp_path)) == outside
    assert not Path("/tmp/evil.txt").exists()


def test_text_that_postgresql_cannot_store_is_refused_on_either_engine(
    good_pack: Path, any_empty_store: Store, tmp_path: Path
) -> None:
    """A NUL character in a title: SQLite stored it, PostgreSQL failed the whole import with
    a driver error. Now a record refusal in words on both, and nothing written."""
    members = read_members(good_pack)
    edit_records(members, "guide", lambda items: items[0]["record"].update(title="前\x00后"))
    bad = write_pack(tmp_path / "nul.jxpack", members)
    before = records(any_empty_store)
    with pytest.raises(ImportRejectedError, match="title"):
        import_pack_into(any_empty_store, bad)
    assert records(any_empty_store) == before


def test_total_size_bound(good_pack: Path) -> None:
    with pytest.raises(ImportRejectedError, match="more than 0 GB"):
        read_pack(good_pack, ZipLimits(max_total_size=1000)).close()


def test_overlapping_entries_are_refused(good_pack: Path, tmp_path: Path) -> None:
    data = bytearray(good_pack.read_bytes())
    # Point the last central-directory entry at the first member's bytes (shared data is how
    # non-recursive zip bombs get their ratio).
    last = data.rfind(b"PK\x01\x02")
    data[last + 42 : last + 46] = (0).to_bytes(4, "little")
    bad = tmp_path / "overlap.jxpack"
    bad.write_bytes(bytes(data))
    with pytest.raises(ImportRejectedError, match="overlapping"):
        read_pack(bad).close()


# --- crash safety ---------------------------------------------------------------------------

KILL_SCRIPT = """
import sys, time
from pathlib import Path
from desktop_app.core.i18n import set_language
from desktop_app.core.progress import Progress
from desktop_app.services import packs
from desktop_app.storage.library import Library

set_language("en")
stage, marker = sys.argv[3], Path(sys.argv[4])

class Stop(Progress):
    def on_step(self, done, total, text):
        if text.startswith(stage) and done > 0:
            marker.write_text("now")
            time.sleep(60)

library = Library.open(Path(sys.argv[1]), write=True)
packs.import_pack(library, Path(sys.argv[2]), progress=Stop())
"""


@pytest.mark.parametrize("stage", ["Merging", "Checking photos"])
def test_killed_import_leaves_the_records_as_they_were(
    demo_library: Library, tmp_path: Path, stage: str
) -> None:
    illustrate(demo_library)
    for n in range(80):
        catalog.save_guide(demo_library, catalog.GuideData(title=f"指南{n}", season="春"))
    pack = packs.export_pack(demo_library, tmp_path / "big").path
    target_dir = tmp_path / "target"
    with Library.create(target_dir) as target:
        catalog.save_team(target, catalog.TeamData(name="本地服务队"))
        before = records(target)
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(REPO), "LANG": "en_US.UTF-8"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(target_dir), str(pack), stage, str(marker)],
        env=env,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # The killed import left its staging folder in tmp/; opening for writing removes it.
    assert any((target_dir / "tmp").iterdir())
    with Library.open(target_dir, write=True) as target:
        assert not any(target.tmp_dir.iterdir())
        assert records(target) == before
        check_library(target, repair=True)
        assert not check_library(target).damaged
        # And the import still works afterwards.
        report = packs.import_pack(target, pack)
        assert len(report.added) > 80
        assert not check_library(target).damaged


def test_refused_when_the_library_is_read_only(demo_dir: Path, good_pack: Path) -> None:
    shutil.copy(good_pack, demo_dir.parent / "p.jxpack")
    with (
        Library.open(demo_dir, write=False) as library,
        pytest.raises(Exception, match="read-only"),
    ):
        packs.import_pack(library, demo_dir.parent / "p.jxpack")


# --- refused imports keep backups; photos are checked before the write lock -----------------


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under `root` (files with a hash of their bytes)."""
    import hashlib

    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "/"
        for p in sorted(root.rglob("*"))
    }


def _two_captains(good: Path, tmp: Path) -> Path:
    """A pack whose records the database refuses only when they are written."""
    members = read_members(good)

    def crown(items: list[dict[str, object]]) -> None:
        for item in items:
            record = item["record"]
            assert isinstance(record, dict)
            if len(record["members"]) > 1:
                for membership in record["members"]:
                    membership["role"] = "captain"

    edit_records(members, "team", crown)
    return write_pack(tmp / "captains.jxpack", members)


def test_refused_imports_never_push_out_backups(
    good_pack: Path, empty_library: Library, tmp_path: Path
) -> None:
    from desktop_app.services.backup import automatic_backup, automatic_backups

    for _n in range(10):
        automatic_backup(empty_library, "import", keep=10)
    backups_before = _tree(empty_library.backups_dir)
    photos_before = _tree(empty_library.photos_dir)
    assert len(automatic_backups(empty_library)) == 10
    damaged = _hostile("photo_bytes_altered", good_pack, tmp_path)
    captains = _two_captains(good_pack, tmp_path)
    for bad in [damaged] * 10 + [captains] * 10:
        with pytest.raises(ImportRejectedError):
            packs.import_pack(empty_library, bad, keep_backups=10)
    assert _tree(empty_library.backups_dir) == backups_before
    # No photo file and no empty photos/xx/ folder is left behind, nothing in tmp/ either.
    assert _tree(empty_library.photos_dir) == photos_before
    assert not any(empty_library.tmp_dir.iterdir())
    # A good import still backs up and prunes to the newest ten.
    report = packs.import_pack(empty_library, good_pack, keep_backups=10)
    assert report.backup and Path(report.backup) in automatic_backups(empty_library)
    assert len(automatic_backups(empty_library)) == 10


def test_an_import_that_fails_late_takes_back_its_files_folders_and_backup(
    good_pack: Path, empty_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.services.backup import automatic_backup

    automatic_backup(empty_library, "import")
    before = _tree(empty_library.root / "photos"), _tree(empty_library.backups_dir)
    placed: list[Path] = []

    def fail_after_placing(*_args: object, **_kw: object) -> None:
        placed.extend(p for p in empty_library.photos_dir.rglob("*") if p.is_file())
        raise ImportRejectedError("refused while writing the records")

    monkeypatch.setattr(merge, "apply_plan", fail_after_placing)
    with pytest.raises(ImportRejectedError, match="refused while writing"):
        packs.import_pack(empty_library, good_pack)
    assert len(placed) == 7  # the photos were in the store when the records failed
    assert (_tree(empty_library.root / "photos"), _tree(empty_library.backups_dir)) == before
    assert not any(empty_library.tmp_dir.iterdir())


def test_a_full_disk_leaves_no_partial_backup(
    empty_library: Library, good_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.core.errors import UserError
    from desktop_app.storage import library as library_module

    real_connect = sqlite3.connect

    class FullDisk:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def backup(self, _target: sqlite3.Connection) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        def close(self) -> None:
            self.conn.close()

    def connect(database: str, *args: object, **kwargs: object) -> object:
        conn = real_connect(database, *args, **kwargs)  # type: ignore[arg-type]
        return FullDisk(conn) if "mode=ro" in str(database) else conn

    monkeypatch.setattr(library_module.sqlite3, "connect", connect)
    before = library_state(empty_library)
    with pytest.raises(UserError, match="Could not back up"):
        packs.import_pack(empty_library, good_pack)
    monkeypatch.undo()
    assert library_state(empty_library) == before
    assert list(empty_library.backups_dir.iterdir()) == []


def test_photos_are_checked_and_copied_without_the_write_lock(
    good_pack: Path, empty_library: Library
) -> None:
    """Another writer (a form saved in the window) is not kept waiting by the photo work."""
    seen: list[str] = []

    class WriteMeanwhile(Progress):
        def on_step(self, done: int, total: int, text: str) -> None:
            if text.startswith("Checking photos") and done > 0 and not seen:
                conn = sqlite3.connect(empty_library.db_path, timeout=0)
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("UPDATE library_meta SET value = value WHERE key = 'name'")
                    conn.commit()
                    seen.append("wrote")
                except sqlite3.OperationalError as exc:
                    seen.append(str(exc))
                finally:
                    conn.close()

    report = packs.import_pack(empty_library, good_pack, progress=WriteMeanwhile())
    assert seen == ["wrote"]
    assert len(report.added) == 19 and report.new_photo_files == 7


def test_a_pack_the_importer_would_refuse_is_refused_when_it_is_made(
    demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack one laptop makes, every other laptop must be able to read: the export checks
    each JSON file against the bounds the importer holds it to (records of one kind, size,
    values). At exactly the demo library's sizes both go through; one record fewer allowed,
    both refuse, the export in one sentence and without leaving a file. (A library of 22,000
    sessions made packs no laptop could import before the bounds were raised.)"""
    from desktop_app.core.errors import UserError
    from desktop_app.services import pack_format

    full = tmp_path / "full.jxpack"
    packs.export_pack(demo_library, full)
    with zipfile.ZipFile(full) as zf:
        jsons = {n: zf.read(n) for n in zf.namelist() if n.endswith(".json")}
    records = max(len(json.loads(d)) for n, d in jsons.items() if n != "manifest.json")
    exact = ZipLimits(
        max_records=records,
        max_json_size=max(len(d) for d in jsons.values()),
        max_json_values=max(pack_format.json_values(d) for d in jsons.values()),
    )
    monkeypatch.setattr(pack_format, "DEFAULT_LIMITS", exact)
    again = tmp_path / "again.jxpack"
    packs.export_pack(demo_library, again)
    read_pack(again, exact).close()
    for fewer in (
        ZipLimits(max_records=records - 1),
        ZipLimits(max_json_values=exact.max_json_values - 1),
    ):
        monkeypatch.setattr(pack_format, "DEFAULT_LIMITS", fewer)
        refused = tmp_path / "refused.jxpack"
        with pytest.raises(UserError, match="too large for Jiangxin to read") as told:
            packs.export_pack(demo_library, refused)
        assert "\n" not in str(told.value) and "hub" in str(told.value)
        assert not refused.exists() and list(tmp_path.glob("refused*")) == []
        with pytest.raises(ImportRejectedError):
            read_pack(full, fewer).close()
