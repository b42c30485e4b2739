"""Issue 17 item 3: a record's earlier versions, listed with when and from where, compared
field by field with the current one, and restored as a new version that travels.

On a laptop's SQLite library and on a server's PostgreSQL database (`any_store`, `any_pair`:
tests/stores.py). Clean-up of unused photos deletes files from the library folder: its test
stays on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.errors import RecordNotFoundError, StaleRecordError, UserError
from desktop_app.services import catalog, merge, photos, record_history
from desktop_app.storage.library import Library
from desktop_app.storage.models import Guide, Member, ServiceTeam
from tests.services.packkit import add_photo
from tests.stores import Store, send, swap


def _team(library: Store, name: str) -> str:
    with library.session() as s:
        return str(s.scalars(select(ServiceTeam.id).where(ServiceTeam.name == name)).one())


def _guide(library: Store) -> str:
    with library.session() as s:
        return str(s.scalars(select(Guide.id).order_by(Guide.title)).first())


def _edit_team(library: Store, tid: str, **changes: object) -> None:
    data = catalog.load_team(library, tid)
    for name, value in changes.items():
        setattr(data, name, value)
    catalog.save_team(library, data, tid)


def test_versions_are_listed_newest_first_with_how_they_were_made(
    any_store: Store,
) -> None:
    tid = _team(any_store, "专业技术服务2队")
    _edit_team(any_store, tid, description="第一次修改")
    _edit_team(any_store, tid, category="education")
    catalog.delete_record(any_store, "team", tid)
    catalog.restore_record(any_store, "team", tid)
    versions = record_history.list_versions(any_store, "team", tid)
    assert versions[0].is_current and versions[0].history_id is None
    assert [v.how for v in versions] == ["restore", "delete", "edit", "edit", "created"]
    assert [v.deleted for v in versions] == [False, True, False, False, False]
    revisions = [v.revision for v in versions]
    assert revisions == sorted(revisions, reverse=True)
    assert versions[2].data["category"] == "education"
    assert versions[3].data["description"] == "第一次修改"
    assert all(v.source == "" for v in versions)
    assert versions[-1].describe() == "Created on this laptop"
    assert versions[1].describe() == "Deleted on this laptop"


def test_a_version_taken_from_a_pack_names_the_laptop_it_came_from(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    tid = _team(a, "专业技术服务2队")
    _edit_team(a, tid, category="medical")
    send(a, b, tmp_path, "a1")
    _edit_team(b, tid, description="B 的修改")
    versions = record_history.list_versions(b, "team", tid)
    assert versions[0].how == "edit" and versions[0].source == ""
    assert versions[1].how == "pack" and versions[1].source == a.name
    assert versions[1].data["category"] == "medical"
    assert versions[1].describe() == f"From “{a.name}”"
    # The first version arrived with the first pack: from A too, not "created here".
    assert versions[-1].how == "pack" and versions[-1].source == a.name


def test_compare_shows_child_lists_and_references_by_name_and_marks_deleted_ones(
    any_store: Store,
) -> None:
    gid = _guide(any_store)
    before = catalog.load_guide(any_store, gid)
    author = catalog.save_member(any_store, catalog.MemberData(name="王师傅"))
    data = catalog.load_guide(any_store, gid)
    data.author_ids = [author]
    data.steps = [catalog.StepData("第一步：检查"), catalog.StepData("第二步：修理")]
    catalog.save_guide(any_store, data, gid)
    catalog.delete_record(any_store, "member", author)
    versions = record_history.list_versions(any_store, "guide", gid)
    rows = {
        r.field: r
        for r in record_history.compare(any_store, "guide", versions[1].data, versions[0].data)
    }
    assert rows["author_ids"].changed
    assert rows["author_ids"].right == "王师傅 (deleted)"
    assert author not in rows["author_ids"].right
    assert rows["steps"].right == "1. 第一步：检查\n2. 第二步：修理"
    assert rows["steps"].changed
    assert rows["title"].left == rows["title"].right == before.title
    assert not rows["title"].changed


def test_compare_covers_a_teams_category_and_members(any_store: Store) -> None:
    tid = _team(any_store, "专业技术服务2队")
    old = record_history.version_content(any_store, "team", tid, None)
    _edit_team(any_store, tid, category="medical", members=[])
    new = record_history.version_content(any_store, "team", tid, None)
    rows = {r.field: r for r in record_history.compare(any_store, "team", old, new)}
    assert rows["category"].changed and rows["category"].right == "Medical and health"
    assert rows["members"].changed and rows["members"].right == ""
    assert "（" in rows["members"].left  # "name（role）" per member
    assert not rows["name"].changed


def test_restore_makes_a_new_version_that_travels(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    gid = _guide(a)
    original = catalog.load_guide(a, gid)
    changed = catalog.load_guide(a, gid)
    changed.title = "改过的标题"
    changed.steps = changed.steps[:1]
    catalog.save_guide(a, changed, gid)
    versions = record_history.list_versions(a, "guide", gid)
    old = versions[1]
    current = catalog.current_version(a, "guide", gid)
    tag = record_history.restore_version(a, "guide", gid, old.history_id or 0, current)
    assert tag == catalog.current_version(a, "guide", gid)
    restored = catalog.load_guide(a, gid)
    assert restored.title == original.title
    assert [s.text for s in restored.steps] == [s.text for s in original.steps]
    after = record_history.list_versions(a, "guide", gid)
    assert len(after) == len(versions) + 1
    assert after[0].how == "restored" and after[0].restored_from == old.revision
    assert after[0].describe() == f"Restores revision {old.revision}"
    assert after[0].revision == versions[0].revision + 1
    assert after[1].data["title"] == "改过的标题"  # the replaced version is in history
    # It travels like any edit: B takes it as a plain update.
    report = send(a, b, tmp_path, "a2")
    assert gid in [u.id for u in report.updated]
    assert catalog.load_guide(b, gid).title == original.title


def test_restore_refuses_when_the_record_changed_since(any_store: Store) -> None:
    tid = _team(any_store, "专业技术服务2队")
    seen = catalog.current_version(any_store, "team", tid)
    _edit_team(any_store, tid, description="一")
    first = record_history.list_versions(any_store, "team", tid)[1]
    _edit_team(any_store, tid, description="二")  # someone else, meanwhile
    with pytest.raises(StaleRecordError):
        record_history.restore_version(any_store, "team", tid, first.history_id or 0, seen)
    assert catalog.load_team(any_store, tid).description == "二"


def test_restore_brings_a_deleted_record_back_with_that_version(any_store: Store) -> None:
    tid = _team(any_store, "专业技术服务2队")
    _edit_team(any_store, tid, description="删除前")
    catalog.delete_record(any_store, "team", tid)
    versions = record_history.list_versions(any_store, "team", tid)
    assert versions[0].deleted
    earlier = versions[2]  # before "删除前"
    record_history.restore_version(any_store, "team", tid, earlier.history_id or 0)
    team = catalog.load_team(any_store, tid)
    assert team.description == earlier.data["description"]
    after = record_history.list_versions(any_store, "team", tid)
    assert [v.deleted for v in after[:3]] == [False, False, True]
    with pytest.raises(UserError, match="deletion"):
        record_history.restore_version(any_store, "team", tid, after[2].history_id or 0)


def test_restoring_into_a_deleted_record_that_is_refused_leaves_it_deleted(
    any_store: Store,
) -> None:
    tid = _team(any_store, "专业技术服务2队")
    name = catalog.load_team(any_store, tid).name
    _edit_team(any_store, tid, description="改")
    first = record_history.list_versions(any_store, "team", tid)[1:]
    catalog.delete_record(any_store, "team", tid)
    catalog.save_team(any_store, catalog.TeamData(name=name))  # the name is taken now
    current = catalog.current_version(any_store, "team", tid)
    with pytest.raises(UserError, match="already exists"):
        record_history.restore_version(any_store, "team", tid, first[0].history_id or -1)
    assert catalog.current_version(any_store, "team", tid) == current


def test_restoring_a_photo_that_clean_up_removed_is_refused(demo_library: Library) -> None:
    with demo_library.session() as s:
        mid = str(s.scalars(select(Member.id).order_by(Member.name)).first())
    pid = add_photo(demo_library, b"portrait" * 60)
    data = catalog.load_member(demo_library, mid)
    data.portrait_photo_id = pid
    catalog.save_member(demo_library, data, mid)
    data.portrait_photo_id = None
    catalog.save_member(demo_library, data, mid)
    assert photos.cleanup_unused(demo_library) >= 1
    versions = record_history.list_versions(demo_library, "member", mid)
    with_photo = versions[1]
    assert with_photo.data["portrait_photo_id"] == pid
    rows = {
        r.field: r for r in record_history.compare(demo_library, "member", with_photo.data, None)
    }
    assert rows["portrait_photo_id"].left.endswith("(deleted)")
    current = catalog.current_version(demo_library, "member", mid)
    with pytest.raises(UserError, match="Clean up unused photos"):
        record_history.restore_version(demo_library, "member", mid, with_photo.history_id or 0)
    assert catalog.current_version(demo_library, "member", mid) == current


def test_bad_input_is_one_sentence(any_store: Store) -> None:
    tid = _team(any_store, "专业技术服务2队")
    with pytest.raises(RecordNotFoundError, match="no earlier version 999"):
        record_history.restore_version(any_store, "team", tid, 999)
    with pytest.raises(RecordNotFoundError):
        record_history.list_versions(any_store, "team", "nonexistent-id")
    with pytest.raises(RecordNotFoundError, match="kind of record"):
        record_history.list_versions(any_store, "robot", tid)
    with pytest.raises(RecordNotFoundError, match="kind of record"):
        record_history.restore_version(any_store, "robot", tid, 1)
    # A version that says what the current one says: nothing to restore, nothing written.
    _edit_team(any_store, tid, description="一")
    _edit_team(any_store, tid, description="二")
    _edit_team(any_store, tid, description="一")
    same = record_history.list_versions(any_store, "team", tid)[2]
    current = catalog.current_version(any_store, "team", tid)
    with pytest.raises(UserError, match="says the same as the current one"):
        record_history.restore_version(any_store, "team", tid, same.history_id or 0)
    assert catalog.current_version(any_store, "team", tid) == current
    pid = add_photo(any_store, b"a photo" * 40)
    with pytest.raises(UserError, match="photo cannot be restored"):
        record_history.restore_version(any_store, "photo", pid, 1)


# --- field-level conflict resolution ----------------------------------------------------------


def test_field_level_resolution_takes_some_fields_and_converges(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """A and B both change a guide's title, team and authors; B takes A's title and authors
    and keeps its own team. After exchanging both ways the laptops hold one version, and both
    sides' versions are in history or ancestry on each."""
    from tests.services.convergence_model import check_converged, known_versions

    a, b = any_pair
    gid = _guide(a)
    with a.session() as s:
        teams = [str(t) for t in s.scalars(select(ServiceTeam.id).order_by(ServiceTeam.name))]
        members = [str(m) for m in s.scalars(select(Member.id).order_by(Member.name))]
    mine = catalog.load_guide(b, gid)
    mine.title, mine.team_id, mine.author_ids = "B 的标题", teams[0], [members[0]]
    catalog.save_guide(b, mine, gid)
    theirs = catalog.load_guide(a, gid)
    theirs.title, theirs.team_id, theirs.author_ids = "A 的标题", teams[1], members[1:3]
    catalog.save_guide(a, theirs, gid)
    tag_a = catalog.current_version(a, "guide", gid)
    tag_b = catalog.current_version(b, "guide", gid)
    swap(a, b, tmp_path, "1")
    (conflict,) = merge.list_conflicts(b)
    rows = {r.field: r for r in record_history.compare(b, "guide", conflict.mine, conflict.theirs)}
    assert {f for f, r in rows.items() if r.changed} == {"title", "team_id", "author_ids"}
    merge.resolve_conflict_fields(b, conflict.id, {"title", "author_ids"})
    merged = catalog.load_guide(b, gid)
    assert (merged.title, merged.team_id, merged.author_ids) == ("A 的标题", teams[0], members[1:3])
    # The resolved conflict is not open any more; a's copy of the conflict settles too.
    assert merge.list_conflicts(b) == []
    swap(a, b, tmp_path, "2")
    swap(a, b, tmp_path, "3")
    for library in (a, b):
        got = catalog.load_guide(library, gid)
        assert (got.title, got.team_id, got.author_ids) == ("A 的标题", teams[0], members[1:3])
    if isinstance(b, Library):  # it checks each library's files too
        check_converged([a, b], {("guide", gid): {tag_a, tag_b}})
    for library in (a, b):
        known, _content = known_versions(library)
        assert {tag_a, tag_b} <= known[("guide", gid)]


def test_field_level_resolution_of_a_team_category(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    tid = _team(a, "专业技术服务2队")
    _edit_team(a, tid, category="education", description="A 的介绍")
    _edit_team(b, tid, category="medical", description="B 的介绍")
    swap(a, b, tmp_path, "1")
    (conflict,) = merge.list_conflicts(a)
    merge.resolve_conflict_fields(a, conflict.id, {"category"})
    team = catalog.load_team(a, tid)
    assert (team.category, team.description) == ("medical", "A 的介绍")
    swap(a, b, tmp_path, "2")
    swap(a, b, tmp_path, "3")
    assert catalog.load_team(b, tid).category == "medical"
    assert catalog.load_team(b, tid).description == "A 的介绍"
    assert merge.list_conflicts(a) == [] == merge.list_conflicts(b)


def test_field_level_resolution_refuses_bad_input_and_changes_nothing(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    a, b = any_pair
    tid = _team(a, "专业技术服务2队")
    _edit_team(a, tid, description="A")
    _edit_team(b, tid, description="B")
    swap(a, b, tmp_path, "1")
    (conflict,) = merge.list_conflicts(a)
    before = catalog.current_version(a, "team", tid)
    with pytest.raises(UserError, match="no field “colour”"):
        merge.resolve_conflict_fields(a, conflict.id, {"colour"})
    assert catalog.current_version(a, "team", tid) == before
    assert len(merge.list_conflicts(a)) == 1
    # A deletion on one side has no fields to mix.
    catalog.delete_record(b, "guide", _guide(b))
    gid = _guide(a)
    data = catalog.load_guide(a, gid)
    data.title = "A 改了"
    catalog.save_guide(a, data, gid)
    send(b, a, tmp_path, "b2")
    deleted = next(c for c in merge.list_conflicts(a) if c.kind == "guide")
    with pytest.raises(UserError, match="deleted"):
        merge.resolve_conflict_fields(a, deleted.id, {"title"})
