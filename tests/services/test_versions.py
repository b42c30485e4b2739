"""Stored version tags: what issue 12's sharing defects need from them, one test per defect.

The receiving or editing store is a laptop's SQLite library or a server's PostgreSQL database
(`any_store`, `any_pair`: tests/stores.py). Photo files stay SQLite-only: the test of a photo
cleaned up on one laptop and used on the other checks the files in both library folders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.errors import StaleRecordError
from desktop_app.services import catalog, merge, packs, photos
from desktop_app.storage import versions
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, RecordHistory, ServiceTeam
from tests.services.packkit import add_photo
from tests.services.test_packs import pair
from tests.stores import Store, import_pack_into, send, swap

__all__ = ["pair"]  # the fixture, used by name

TAG = re.compile(r"^[0-9]+:[0-9a-f]{64}$")


def _team(library: Store, name: str) -> str:
    with library.session() as s:
        return str(s.scalars(select(ServiceTeam.id).where(ServiceTeam.name == name)).one())


def _category(library: Store, team_id: str) -> str:
    return catalog.load_team(library, team_id).category


def test_every_write_stamps_its_version_and_history_keeps_the_old_tag(
    any_store: Store,
) -> None:
    tid = _team(any_store, "专业技术服务2队")
    before = catalog.current_version(any_store, "team", tid)
    assert TAG.match(before) and before.startswith("1:")
    data = catalog.load_team(any_store, tid)
    data.description += "（更新）"
    catalog.save_team(any_store, data, tid)
    after = catalog.current_version(any_store, "team", tid)
    assert after.startswith("2:") and after != before
    with any_store.session() as s:
        kept = s.scalars(
            select(RecordHistory.version_tag).where(RecordHistory.record_id == tid)
        ).all()
    assert kept == [before]  # stored, not recomputed


def test_a_teams_category_travels_and_conflicts_when_both_change_it(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Defect 1: the category was overwritten by the record kind in the hash, so A's 教育培训
    and B's 医疗卫生 both looked "unchanged" and the libraries differed for good."""
    a, b = any_pair
    tid = _team(a, "专业技术服务2队")
    one = catalog.load_team(a, tid)
    one.category = "education"
    catalog.save_team(a, one, tid)
    send(a, b, tmp_path, "a1")
    assert _category(b, tid) == "education"  # a one-sided change travels

    one = catalog.load_team(a, tid)
    one.category = "technical"
    catalog.save_team(a, one, tid)
    two = catalog.load_team(b, tid)
    two.category = "medical"
    catalog.save_team(b, two, tid)
    report_a, report_b = swap(a, b, tmp_path, "both")
    assert [c.id for c in report_a.conflicts] == [tid]
    assert [c.id for c in report_b.conflicts] == [tid]
    conflict = merge.list_conflicts(a)[0]
    merge.resolve_conflict(a, conflict.id, "theirs")
    swap(a, b, tmp_path, "settled")
    assert _category(a, tid) == _category(b, tid) == "medical"
    assert merge.list_conflicts(a) == [] and merge.list_conflicts(b) == []


def test_photo_clean_up_makes_no_false_conflict(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Defect 2: A removes a photo from a session and cleans up; B never touched the session;
    B imports A's pack: it is an update, not "changed on both laptops"."""
    a, b = any_pair
    with a.session() as s:
        fs = s.scalars(select(FieldSession)).first()
        assert fs is not None and fs.photos
        sid, pid = fs.id, fs.photos[0].photo_id
    photos.remove_from_session(a, sid, pid)
    assert photos.cleanup_unused(a) == 1
    report = send(a, b, tmp_path, "a")
    assert not report.conflicts
    assert sid in [c.id for c in report.updated]
    assert catalog.load_session(b, sid).photo_ids == catalog.load_session(a, sid).photo_ids
    # The clean-up's tombstone travelled, and a second exchange changes nothing.
    again = swap(a, b, tmp_path, "again")
    assert all(not r.conflicts and not r.updated and not r.added for r in again)


def test_a_form_saved_after_an_import_changed_its_record_is_refused(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Defect 3 at the service level: a save (or an undo step) based on the version before an
    import would replace the colleague's newer version; it is refused instead."""
    a, b = any_pair
    gid = next(iter(catalog_ids(a, "guide")))
    loaded_version = catalog.current_version(a, "guide", gid)
    stale_form = catalog.load_guide(a, gid)
    theirs = catalog.load_guide(b, gid)
    theirs.season = "同事改过的季节"
    catalog.save_guide(b, theirs, gid)
    send(b, a, tmp_path, "b")
    stale_form.season = "我的旧表单"
    with pytest.raises(StaleRecordError):
        catalog.save_guide(a, stale_form, gid, expected_version=loaded_version)
    with pytest.raises(StaleRecordError):
        catalog.delete_record(a, "guide", gid, expected_version=loaded_version)
    assert catalog.load_guide(a, gid).season == "同事改过的季节"
    # Based on the current version, the same save goes through.
    now = catalog.current_version(a, "guide", gid)
    catalog.save_guide(a, stale_form, gid, expected_version=now)
    assert catalog.load_guide(a, gid).season == "我的旧表单"


def catalog_ids(library: Library, kind: str) -> list[str]:
    from desktop_app.services import listing

    return listing.list_ids(library, kind)


def test_a_write_that_forgets_to_stamp_fails_loudly(any_store: Store) -> None:
    tid = _team(any_store, "专业技术服务2队")
    with (
        pytest.raises(versions.UnstampedVersionError),
        any_store.transaction() as s,
    ):
        team = s.get(ServiceTeam, tid)
        assert team is not None
        team.revision += 1  # a new version without its tag


def test_photo_import_groups_stamp_the_owner_and_keep_the_replaced_tag(
    demo_library: Library,
) -> None:
    with demo_library.session() as s:
        sid = s.scalars(select(FieldSession.id)).first()
    assert sid is not None
    before = catalog.current_version(demo_library, "session", sid)
    pid = add_photo(demo_library, b"x" * 500)
    photos.add_to_session(demo_library, sid, [pid])
    after = catalog.current_version(demo_library, "session", sid)
    assert after != before and versions.tag_revision(after) == versions.tag_revision(before) + 1
    with demo_library.session() as s:
        fs = s.get(FieldSession, sid)
        assert fs is not None
        assert versions.tag_of_dict(s, "session", catalog_dict(fs)) == after


def catalog_dict(obj: object) -> dict[str, object]:
    from desktop_app.storage.kinds import record_to_dict

    return record_to_dict("session", obj)


def test_a_photo_cleaned_up_on_one_laptop_and_used_on_the_other_comes_back(
    pair: tuple[Library, Library], tmp_path: Path
) -> None:
    """A removes a photo from its session and cleans up (tombstone, file gone); meanwhile B
    puts the same photo in a guide step. After the exchange both laptops hold the photo live
    with its file, the same version, and the guide shows it: a used photo wins."""
    from desktop_app.services.integrity import check_library
    from desktop_app.storage.photostore import photo_path

    a, b = pair
    with a.session() as s:
        fs = s.scalars(select(FieldSession)).first()
        assert fs is not None and fs.photos
        sid, pid = fs.id, fs.photos[0].photo_id
    photos.remove_from_session(a, sid, pid)
    assert photos.cleanup_unused(a) == 1
    gid = catalog_ids(b, "guide")[0]
    guide = catalog.load_guide(b, gid)
    guide.steps[0].photo_ids.append(pid)
    catalog.save_guide(b, guide, gid)

    swap(a, b, tmp_path, "1")
    swap(a, b, tmp_path, "2")
    for library in (a, b):
        assert pid in catalog.load_guide(library, gid).steps[0].photo_ids
        info = photos.photo_info(library, pid)
        assert photo_path(library.photos_dir, info.sha256, info.ext).is_file()
        assert not check_library(library).problems
    assert catalog.current_version(a, "photo", pid) == catalog.current_version(b, "photo", pid)
    assert merge.list_conflicts(a) == [] and merge.list_conflicts(b) == []


def test_a_format_1_pack_is_still_read(
    demo_library: Library, any_empty_store: Store, tmp_path: Path
) -> None:
    """Packs written before stored tags: no `tag`, and a team's category called `kind`."""
    import json

    from tests.services.packkit import read_members, write_pack

    members = read_members(packs.export_pack(demo_library, tmp_path / "v2.jxpack").path)
    for name in [n for n in members if n.startswith("records/") or n == "tombstones.json"]:
        items = json.loads(members[name])
        for item in items:
            item.pop("tag", None)
            record = item.get("record")
            if name == "records/teams.json" and record is not None:
                record["kind"] = record.pop("category")
        members[name] = json.dumps(items, ensure_ascii=False).encode()

    def to_v1(manifest: dict[str, object]) -> None:
        manifest["format_version"] = 1

    old = write_pack(tmp_path / "v1.jxpack", members, manifest_edit=to_v1)
    empty = any_empty_store
    report = import_pack_into(empty, old)
    assert report.added and not report.conflicts
    tid = _team(demo_library, "专业技术服务2队")
    assert _category(empty, tid) == _category(demo_library, tid) == "technical"
    # The tags computed from a format-1 pack are the ones the writer stored.
    assert catalog.current_version(empty, "team", tid) == catalog.current_version(
        demo_library, "team", tid
    )
    again = send(demo_library, empty, tmp_path, "v2b")
    assert not again.added and not again.updated and not again.conflicts


def test_records_flushed_early_and_dropped_are_still_stamped(any_empty_store: Store) -> None:
    """The guard stamps records created without a service. A generator that flushes each new
    photo and drops its reference (the identity map holds objects weakly) used to commit them
    untagged; their packs were then refused by every importer ("malformed record … tag")."""
    import gc

    from desktop_app.storage.models import Photo

    library = any_empty_store
    with library.transaction() as s:
        for n in range(200):
            s.add(Photo(sha256=f"{n:064x}", ext="jpg", original_name=f"{n}.jpg", byte_size=1))
            s.flush()
        gc.collect()
    with library.session() as s:
        tags = s.scalars(select(Photo.version_tag)).all()
    assert len(tags) == 200 and all(t.startswith("1:") for t in tags)
