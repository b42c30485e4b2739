"""Issue 12, items 1-3: each sharing defect as a user met it, replayed through the services.

Undo is modelled as the window's undo stack does it (`convergence_model.take_step`): undoing an
edit saves the previous data again, with issue 12's rule that a step whose record was changed
since by someone else is refused.

The second laptop (`any_pair`, tests/stores.py) is a SQLite library or a server's PostgreSQL
database wherever what is under test is the merge of records. SQLite-only, with their reason:
clean-up on the second laptop and photo services there (they change the library's photo
files), contacts shared in packs (a server database never holds personal fields), a photo
file that comes back with the other laptop's pack (a server hands out photo bytes apart from
records), and a library that must still export after an undo (export reads its photo files).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.errors import StaleRecordError
from desktop_app.services import catalog, merge, packs, photos
from desktop_app.services.integrity import check_library
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide, ServiceTeam
from tests.services.convergence_model import LOADERS, SAVERS, Step, take_step
from tests.services.packkit import add_photo, records
from tests.services.test_packs import pair
from tests.stores import Store, send, swap

__all__ = ["pair"]  # the fixture, used by name


def _team(library: Store, name: str) -> str:
    with library.session() as s:
        return str(s.scalars(select(ServiceTeam.id).where(ServiceTeam.name == name)).one())


def _guide(library: Store) -> str:
    with library.session() as s:
        return str(s.scalars(select(Guide.id).order_by(Guide.title)).first())


def _send(source: Store, target: Store, tmp: Path, name: str) -> packs.ImportReport:
    return send(source, target, tmp, name)


def _checked(store: Store) -> bool:
    """`check` finds nothing wrong (a library's check; a server database has no files)."""
    return not isinstance(store, Library) or not check_library(store).problems


def _edit_guide(library: Store, gid: str, **changes: object) -> Step:
    """A form edit as the window makes it, returning the undo step it pushes."""
    loaded = catalog.current_version(library, "guide", gid)
    before = catalog.load_guide(library, gid)
    after = catalog.load_guide(library, gid)
    for name, value in changes.items():
        setattr(after, name, value)
    catalog.save_guide(library, after, gid, expected_version=loaded)
    return Step("save", "guide", gid, before, after, catalog.current_version(library, "guide", gid))


# --- 1. a team's category never travels -----------------------------------------------------


def test_team_category_set_on_two_laptops_is_a_conflict_not_unchanged(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """A sets the team to 教育培训, B to 医疗卫生; they swap packs both ways."""
    a, b = any_pair
    tid = _team(a, "专业技术服务2队")
    for library, category in ((a, "education"), (b, "medical")):
        data = catalog.load_team(library, tid)
        data.category = category
        catalog.save_team(library, data, tid)
    into_a, into_b = swap(a, b, tmp_path, "1")
    assert [c.id for c in into_a.conflicts] == [tid] == [c.id for c in into_b.conflicts]
    (conflict,) = merge.list_conflicts(b)
    assert conflict.theirs is not None and conflict.theirs["category"] == "education"
    merge.resolve_conflict(b, conflict.id, "mine")
    swap(a, b, tmp_path, "2")
    assert catalog.load_team(a, tid).category == catalog.load_team(b, tid).category == "medical"
    assert merge.list_conflicts(a) == [] == merge.list_conflicts(b)


def test_team_category_alone_travels_to_a_third_laptop(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Only the category changes; it reaches B, and from B a third laptop C."""
    a, b = any_pair
    c = Library.create(tmp_path / "c")
    try:
        _send(a, c, tmp_path, "a0")
        tid = _team(a, "专业技术服务2队")
        data = catalog.load_team(a, tid)
        data.category = "medical"
        catalog.save_team(a, data, tid)
        report = _send(a, b, tmp_path, "a1")
        assert [u.id for u in report.updated] == [tid]
        report = _send(b, c, tmp_path, "b1")
        assert [u.id for u in report.updated] == [tid]
        assert catalog.load_team(c, tid).category == "medical"
    finally:
        c.close()


# --- 2. photo clean-up makes false conflicts ------------------------------------------------


def test_clean_up_after_unlinking_a_guide_step_photo_is_a_plain_update_elsewhere(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """A takes the photo off a guide step and cleans up; B never touched the guide."""
    a, b = any_pair
    with a.session() as s:
        guide = next(g for g in s.scalars(select(Guide)) if g.steps and g.steps[0].photos)
        gid = guide.id
    data = catalog.load_guide(a, gid)
    data.steps[0].photo_ids = []
    catalog.save_guide(a, data, gid)
    assert photos.cleanup_unused(a) == 1
    report = _send(a, b, tmp_path, "a")
    assert not report.conflicts, [c.reason for c in report.conflicts]
    assert gid in [u.id for u in report.updated]
    assert records(a)[("guide", gid)]["steps"] == records(b)[("guide", gid)]["steps"]
    again = swap(a, b, tmp_path, "again")
    assert all(not r.changes for r in again)
    assert _checked(a) and _checked(b)


def test_clean_up_on_both_laptops_then_an_exchange_changes_nothing(
    pair: tuple[Library, Library], tmp_path: Path
) -> None:
    """Both unlink the same session photo and clean up, in sync: nothing to exchange but
    the same tombstone, and no conflict."""
    a, b = pair
    with a.session() as s:
        fs = s.scalars(select(FieldSession)).first()
        assert fs is not None and fs.photos
        sid, pid = fs.id, fs.photos[0].photo_id
    photos.remove_from_session(a, sid, pid)
    photos.cleanup_unused(a)
    _send(a, b, tmp_path, "a")  # B takes A's unlinking and the photo's tombstone
    photos.cleanup_unused(b)
    into_a, into_b = swap(a, b, tmp_path, "1")
    assert not into_a.conflicts and not into_b.conflicts
    assert records(a)[("session", sid)] == records(b)[("session", sid)]
    assert not check_library(a).problems and not check_library(b).problems


# --- 3. undo after an import wipes a colleague's work ---------------------------------------


def test_undo_after_importing_the_colleagues_edit_is_refused(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Edit a guide, exchange, the colleague edits it, import their pack, press Ctrl+Z: the
    undo is refused, the colleague's version stays, and the next pack takes nothing back."""
    a, b = any_pair
    gid = _guide(a)
    step = _edit_guide(a, gid, season="我的改动")
    swap(a, b, tmp_path, "1")
    theirs = catalog.load_guide(b, gid)
    theirs.problem = "同事的改动"
    catalog.save_guide(b, theirs, gid)
    _send(b, a, tmp_path, "b")
    assert take_step(a, step, undo=True) is False
    assert catalog.load_guide(a, gid).problem == "同事的改动"
    assert catalog.load_guide(a, gid).season == "我的改动"
    report = _send(a, b, tmp_path, "a")
    assert not report.changes
    assert catalog.load_guide(b, gid).problem == "同事的改动"


def test_undo_after_taking_theirs_is_refused_and_theirs_stays(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Ctrl+Z after "take theirs" in the conflicts dialog used to leave neither version."""
    a, b = any_pair
    gid = _guide(a)
    step = _edit_guide(a, gid, season="A 的季节")
    theirs = catalog.load_guide(b, gid)
    theirs.season = "B 的季节"
    catalog.save_guide(b, theirs, gid)
    _send(b, a, tmp_path, "b")
    (conflict,) = merge.list_conflicts(a)
    merge.resolve_conflict(a, conflict.id, "theirs")
    assert take_step(a, step, undo=True) is False
    assert catalog.load_guide(a, gid).season == "B 的季节"
    swap(a, b, tmp_path, "2")
    assert catalog.load_guide(b, gid).season == "B 的季节"
    assert merge.list_conflicts(a) == [] == merge.list_conflicts(b)


def test_undo_of_my_own_last_edit_still_works(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """The refusal is only for records changed by someone else: a plain undo and redo work,
    and an exchange in between that changed nothing does not block them."""
    a, b = any_pair
    gid = _guide(a)
    original = catalog.load_guide(a, gid).season
    step = _edit_guide(a, gid, season="临时")
    _send(a, b, tmp_path, "a")
    _send(b, a, tmp_path, "b")  # brings nothing new
    assert take_step(a, step, undo=True) is True
    assert catalog.load_guide(a, gid).season == original
    assert take_step(a, step, undo=False) is True
    assert catalog.load_guide(a, gid).season == "临时"


def test_undo_of_a_creation_after_the_colleague_edited_it_is_refused(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """Undoing "create" soft-deletes; once the colleague has worked on the new guide, that
    would delete their work."""
    a, b = any_pair
    gid = catalog.save_guide(a, catalog.GuideData(title="新指南", steps=[catalog.StepData("一")]))
    step = Step("save", "guide", gid, None, None, catalog.current_version(a, "guide", gid))
    _send(a, b, tmp_path, "a")
    theirs = catalog.load_guide(b, gid)
    theirs.key_points = ["同事补充的要点"]
    catalog.save_guide(b, theirs, gid)
    _send(b, a, tmp_path, "b")
    assert take_step(a, step, undo=True) is False
    assert records(a)[("guide", gid)]["deleted_at"] is None


@pytest.mark.parametrize("underneath", ["import", "resolution"])
def test_a_form_saved_after_its_record_changed_underneath_is_refused(
    any_pair: tuple[Library, Store], tmp_path: Path, underneath: str
) -> None:
    """The form was loaded, then an import or a conflict resolution changed the record."""
    a, b = any_pair
    gid = _guide(a)
    loaded = catalog.current_version(a, "guide", gid)
    form = catalog.load_guide(a, gid)
    if underneath == "import":
        theirs = catalog.load_guide(b, gid)
        theirs.problem = "同事的改动"
        catalog.save_guide(b, theirs, gid)
        _send(b, a, tmp_path, "b")
    else:
        _edit_guide(a, gid, problem="我另一个窗口的改动")
        loaded_after_edit = catalog.current_version(a, "guide", gid)
        theirs = catalog.load_guide(b, gid)
        theirs.problem = "同事的改动"
        catalog.save_guide(b, theirs, gid)
        _send(b, a, tmp_path, "b")
        (conflict,) = merge.list_conflicts(a)
        merge.resolve_conflict(a, conflict.id, "theirs")
        assert catalog.current_version(a, "guide", gid) != loaded_after_edit
    form.season = "过时表单"
    with pytest.raises(StaleRecordError):
        catalog.save_guide(a, form, gid, expected_version=loaded)
    assert catalog.load_guide(a, gid).problem == "同事的改动"
    assert catalog.load_guide(a, gid).season != "过时表单"


def test_photo_edits_do_not_count_as_someone_else_changing_the_session(
    demo_library: Library,
) -> None:
    """Captions live on the photo, not the session: captioning one of the session's photos
    leaves the session's version (and so its open form) as it was."""
    with demo_library.session() as s:
        sid = s.scalars(select(FieldSession.id)).first()
    assert sid is not None
    pid = add_photo(demo_library, b"a photo" * 60)
    photos.add_to_session(demo_library, sid, [pid])
    loaded = catalog.current_version(demo_library, "session", sid)
    photos.set_caption(demo_library, pid, "新的说明")
    photos.set_rotation(demo_library, pid, 90)
    assert catalog.current_version(demo_library, "session", sid) == loaded


# --- beyond the listed defects: what the convergence model found ----------------------------


def _team_names(library: Store) -> list[tuple[str, str]]:
    with library.session() as s:
        return sorted((t.id, t.name) for t in s.scalars(select(ServiceTeam)))


def test_two_laptops_naming_a_team_alike_settle_after_one_exchange(
    tmp_path: Path, any_empty_store: Store
) -> None:
    """A and B each create a team "一队" and swap packs. Each import renames the other's
    team "一队 (2)" as a local edit; those renames clash again on the way back, so every
    later swap renames once more ("一队 (2) (2) (2)…") and reports updates forever."""
    a, b = Library.create(tmp_path / "a", name="A"), any_empty_store
    try:
        catalog.save_team(a, catalog.TeamData(name="一队"))
        catalog.save_team(b, catalog.TeamData(name="一队"))
        swap(a, b, tmp_path, "1")
        swap(a, b, tmp_path, "2")
        third = swap(a, b, tmp_path, "3")
        assert not any(r.changes for r in third)
        assert _team_names(a) == _team_names(b)
        assert sorted(name for _id, name in _team_names(a)) == ["一队", "一队 (2)"]
    finally:
        a.close()


def test_a_caption_reaches_a_laptop_that_imported_the_same_picture_itself(
    tmp_path: Path,
) -> None:
    """Both laptops imported the same picture (same bytes, their own photo ids); A's session
    shows it. A captions and turns it; B imports A's pack: "the same photo is already in this
    library", unchanged, and B's session shows the picture without caption, unturned, for good.
    """
    a = Library.create(tmp_path / "a", name="A")
    b = Library.create(tmp_path / "b", name="B")
    try:
        pa = add_photo(a, b"the same picture" * 50)
        add_photo(b, b"the same picture" * 50)
        sid = catalog.save_session(
            a,
            catalog.SessionData(
                starts_at=datetime(2025, 4, 20, tzinfo=UTC), theme="现场", photo_ids=[pa]
            ),
        )
        _send(a, b, tmp_path, "a1")
        photos.set_caption(a, pa, "A 写的说明")
        photos.set_rotation(a, pa, 90)
        _send(a, b, tmp_path, "a2")
        (shown,) = photos.session_photos(b, sid)
        assert (shown.caption, shown.rotation) == ("A 写的说明", 90)
    finally:
        a.close()
        b.close()


def test_a_phone_number_changed_on_two_laptops_is_a_conflict_when_contacts_are_shared(
    tmp_path: Path,
) -> None:
    """Packs with contact details: A and B each correct the same member's phone. Personal
    fields are left out of the content hash, so both versions look "identical": no conflict,
    each keeps its own number for good (and A's next edit of any field overwrites B's number
    as a plain update)."""
    a = Library.create(tmp_path / "a", name="A")
    b = Library.create(tmp_path / "b", name="B")

    def send(source: Library, target: Library, name: str) -> packs.ImportReport:
        path = packs.export_pack(source, tmp_path / name, include_contacts=True).path
        return packs.import_pack(target, path)

    try:
        mid = catalog.save_member(a, catalog.MemberData(name="张三", phone="010-12345678"))
        send(a, b, "a0")
        for library, phone in ((a, "010-22222222"), (b, "010-33333333")):
            data = catalog.load_member(library, mid)
            data.phone = phone
            catalog.save_member(library, data, mid)
        into_a, into_b = send(b, a, "b1"), send(a, b, "a1")
        assert [c.id for c in into_a.conflicts] == [mid] == [c.id for c in into_b.conflicts]
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("kind", ["session", "guide"])
def test_undo_after_clean_up_leaves_a_library_that_exports(tmp_path: Path, kind: str) -> None:
    """Take the only photo off a session (or a guide step) in its form and save; run "Clean up
    unused photos" (the photo becomes a tombstone, its file goes); press Ctrl+Z: the undo
    saves the old form, which names the photo again. The record now shows a deleted photo
    whose file is gone, `check` finds nothing wrong, and `pack export` fails with "Photo … is
    missing its file; run jiangxin check" for as long as the record keeps it."""
    library = Library.create(tmp_path / "a", name="A")
    try:
        pid = add_photo(library, b"the only picture" * 40)
        if kind == "session":
            rid = catalog.save_session(
                library,
                catalog.SessionData(
                    starts_at=datetime(2025, 4, 20, tzinfo=UTC), theme="现场", photo_ids=[pid]
                ),
            )
        else:
            rid = catalog.save_guide(
                library,
                catalog.GuideData(title="指南", steps=[catalog.StepData("看图", [pid])]),
            )
        loaded = catalog.current_version(library, kind, rid)
        before = LOADERS[kind](library, rid)
        after = LOADERS[kind](library, rid)
        if kind == "session":
            after.photo_ids = []
        else:
            after.steps[0].photo_ids = []
        SAVERS[kind](library, after, rid, expected_version=loaded)
        step = Step("save", kind, rid, before, after, catalog.current_version(library, kind, rid))
        assert photos.cleanup_unused(library) == 1
        take_step(library, step, undo=True)  # taken or refused: either way, nothing breaks
        packs.export_pack(library, tmp_path / "after-undo.jxpack")
        assert not check_library(library).problems
    finally:
        library.close()


def test_taking_theirs_after_a_clean_up_leaves_a_library_that_exports(
    pair: tuple[Library, Library], tmp_path: Path
) -> None:
    """A takes a photo off a session and cleans up; B edits the session's theme (the photo
    still on it); A imports B's pack: a conflict (the import brings the photo's file back for
    B's version). A cleans up again while the conflict is open (the file goes: only the
    conflict names the photo) and takes theirs: the session shows a deleted photo without its
    file, `check` is clean, and `pack export` fails "Photo … is missing its file"."""
    a, b = pair
    with a.session() as s:
        fs = s.scalars(select(FieldSession)).first()
        assert fs is not None and fs.photos
        sid, pid = fs.id, fs.photos[0].photo_id
    photos.remove_from_session(a, sid, pid)
    photos.cleanup_unused(a)
    theirs = catalog.load_session(b, sid)
    theirs.theme = "B 改了主题"
    catalog.save_session(b, theirs, sid)
    report = _send(b, a, tmp_path, "b")
    assert [c.id for c in report.conflicts] == [sid]
    photos.cleanup_unused(a)
    (conflict,) = merge.list_conflicts(a)
    merge.resolve_conflict(a, conflict.id, "theirs")
    assert pid in catalog.load_session(a, sid).photo_ids
    packs.export_pack(a, tmp_path / "after.jxpack")
    assert not check_library(a).problems


def test_the_same_content_reached_on_both_laptops_is_not_a_conflict_later(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """A sets a guide's title to Y; B, on its own, goes X → Z → Y (another revision, the same
    content). A then edits Y → W. B's version says nothing A's Y did not: B takes W, and A
    keeps W when B's Y arrives, with no conflict on either side."""
    a, b = any_pair
    gid = _guide(a)
    _send(a, b, tmp_path, "start")
    _edit_guide(a, gid, title="Y 标题")
    _edit_guide(b, gid, title="Z 标题")
    _edit_guide(b, gid, title="Y 标题")
    _edit_guide(a, gid, title="W 标题")
    into_b, into_a = _send(a, b, tmp_path, "a"), _send(b, a, tmp_path, "b")
    assert not into_b.conflicts and not into_a.conflicts
    assert catalog.load_guide(a, gid).title == catalog.load_guide(b, gid).title == "W 标题"


def test_a_return_to_an_earlier_content_is_a_change_of_its_own(
    any_pair: tuple[Library, Store], tmp_path: Path
) -> None:
    """A goes X → Y → X (a deliberate return); B, having seen Y, goes Y → Z. Both changed
    since they met: a conflict, not A's return silently replaced by B's Z."""
    a, b = any_pair
    gid = _guide(a)
    original = catalog.load_guide(a, gid).title
    _edit_guide(a, gid, title="Y 标题")
    _send(a, b, tmp_path, "start")
    _edit_guide(a, gid, title=original)
    _edit_guide(b, gid, title="Z 标题")
    into_a = _send(b, a, tmp_path, "b")
    assert [c.id for c in into_a.conflicts] == [gid]
    assert catalog.load_guide(a, gid).title == original


def test_a_record_known_here_only_as_deleted_gets_a_row_when_a_new_record_refers_to_it(
    tmp_path: Path, any_empty_store: Store
) -> None:
    """C learns that team T was deleted (from B) without ever holding it. A, who never heard
    of the deletion, then writes a guide for T and sends it to C: the pack carries T in full,
    C knew T's version as superseded and left T out, and the database refused the whole
    import ("FOREIGN KEY constraint failed"), for every later pack from A too. Found by the
    randomized model once it made laptops change the same records."""
    a, b = (Library.create(tmp_path / n, name=n) for n in "AB")
    c = any_empty_store
    try:
        team = catalog.save_team(a, catalog.TeamData(name="一队"))
        _send(a, b, tmp_path, "a-b")
        catalog.delete_record(b, "team", team)
        _send(b, c, tmp_path, "b-c")
        guide = catalog.save_guide(a, catalog.GuideData(title="修剪", team_id=team))
        report = _send(a, c, tmp_path, "a-c")
        assert {i.id for i in report.added} == {team, guide}
        assert catalog.load_guide(c, guide).team_id == team
        assert records(c)[("team", team)]["deleted_at"] is not None  # still deleted
        assert not isinstance(c, Library) or not check_library(c).damaged
    finally:
        for library in (a, b):
            library.close()
