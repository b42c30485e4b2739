"""Undoing a conflict resolution (`services/resolution_undo.py`, issue 17): the conflict is
open again with both versions, the record says what it said before, and the next exchange
finds the same conflict instead of treating their version as merged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_app.core.errors import StaleRecordError
from desktop_app.services import catalog, merge, packs, record_history, resolution_undo
from desktop_app.storage import versions
from desktop_app.storage.library import Library


@dataclass
class Laptops:
    here: Library
    there: Library
    tmp: Path
    guide: str

    def theirs_arrive(self, name: str = "b.jxpack") -> packs.ImportReport:
        return packs.import_pack(self.here, packs.export_pack(self.there, self.tmp / name).path)


def _edit(library: Library, gid: str, **changes: object) -> None:
    data = catalog.load_guide(library, gid)
    for key, value in changes.items():
        setattr(data, key, value)
    catalog.save_guide(library, data, gid)


@pytest.fixture
def laptops(tmp_path: Path) -> Iterator[Laptops]:
    """A guide edited on both laptops (season and problem), their version imported here."""
    here = Library.create(tmp_path / "here", name="here")
    there = Library.create(tmp_path / "there", name="李师傅的电脑")
    gid = catalog.save_guide(
        here, catalog.GuideData(title="月季修剪", steps=[catalog.StepData("剪")])
    )
    packs.import_pack(there, packs.export_pack(here, tmp_path / "a.jxpack").path)
    _edit(here, gid, season="我改的", problem="我的问题")
    _edit(there, gid, season="他们改的", problem="他们的问题")
    t = Laptops(here, there, tmp_path, gid)
    t.theirs_arrive()
    yield t
    here.close()
    there.close()


def _known(library: Library, gid: str) -> set[str]:
    with library.session() as s:
        return versions.ancestry(s, "guide", [gid]).get(gid, set())


@pytest.mark.parametrize(
    "keep,fields,resolved",
    [
        ("theirs", (), ("他们改的", "他们的问题")),
        ("mine", (), ("我改的", "我的问题")),
        ("fields", ("season",), ("他们改的", "我的问题")),
    ],
)
def test_undo_opens_the_conflict_again_with_both_versions(
    laptops: Laptops, keep: str, fields: tuple[str, ...], resolved: tuple[str, str]
) -> None:
    here, gid = laptops.here, laptops.guide
    (conflict,) = merge.list_conflicts(here)
    theirs_tag = conflict.theirs and catalog.current_version(laptops.there, "guide", gid)
    done = resolution_undo.resolve(here, conflict.id, keep, fields)
    guide = catalog.load_guide(here, gid)
    assert (guide.season, guide.problem) == resolved
    assert merge.list_conflicts(here) == [] and theirs_tag in _known(here, gid)
    assert done.closed == (conflict.id,)

    history_before = record_history.list_versions(here, "guide", gid)
    assert history_before[0].how == "resolve"
    tag = resolution_undo.reopen(here, done, done.version)

    guide = catalog.load_guide(here, gid)
    assert (guide.season, guide.problem) == ("我改的", "我的问题")
    assert catalog.current_version(here, "guide", gid) == tag == done.before  # that version
    (again,) = merge.list_conflicts(here)
    assert again.id == conflict.id and again.resolved_at is None and again.resolution == ""
    assert again.mine is not None and again.mine["season"] == "我改的"
    assert again.theirs == conflict.theirs
    assert theirs_tag not in _known(here, gid)  # their version is not "merged" any more
    history = record_history.list_versions(here, "guide", gid)
    assert [v.tag for v in history] == [v.tag for v in history_before[1:]]


def test_the_next_exchange_finds_the_same_conflict_not_a_merge(laptops: Laptops) -> None:
    here, gid = laptops.here, laptops.guide
    (conflict,) = merge.list_conflicts(here)
    done = resolution_undo.resolve(here, conflict.id, "theirs")
    resolution_undo.reopen(here, done, done.version)
    report = laptops.theirs_arrive("again.jxpack")
    assert [c.id for c in report.conflicts] == [gid] and not report.updated
    (still,) = merge.list_conflicts(here)
    assert still.id == conflict.id  # the same open conflict, not closed, not a second one
    assert catalog.load_guide(here, gid).season == "我改的"
    # Deciding again works as the first time, and then travels as before.
    merge.resolve_conflict(here, still.id, "theirs")
    report = packs.import_pack(
        laptops.there, packs.export_pack(here, laptops.tmp / "h.jxpack").path
    )
    assert [u.id for u in report.updated] == [gid] and not report.conflicts
    assert catalog.load_guide(laptops.there, gid).season == "他们改的"


def test_redo_resolves_again_from_the_version_the_undo_made(laptops: Laptops) -> None:
    here, gid = laptops.here, laptops.guide
    (conflict,) = merge.list_conflicts(here)
    done = resolution_undo.resolve(here, conflict.id, "theirs")
    undone = resolution_undo.reopen(here, done, done.version)
    redone = resolution_undo.resolve(here, conflict.id, "theirs", expected_version=undone)
    assert catalog.load_guide(here, gid).season == "他们改的"
    assert merge.list_conflicts(here) == []
    assert resolution_undo.reopen(here, redone, redone.version)
    assert catalog.load_guide(here, gid).season == "我改的"


def test_an_edit_after_the_resolution_refuses_the_undo_and_changes_nothing(
    laptops: Laptops,
) -> None:
    here, gid = laptops.here, laptops.guide
    (conflict,) = merge.list_conflicts(here)
    done = resolution_undo.resolve(here, conflict.id, "theirs")
    _edit(here, gid, title="月季修剪（新）")
    before = catalog.current_version(here, "guide", gid)
    with pytest.raises(StaleRecordError):
        resolution_undo.reopen(here, done, done.version)
    assert catalog.current_version(here, "guide", gid) == before
    assert merge.list_conflicts(here) == []


def test_an_edit_after_the_undo_refuses_the_redo(laptops: Laptops) -> None:
    here, gid = laptops.here, laptops.guide
    (conflict,) = merge.list_conflicts(here)
    done = resolution_undo.resolve(here, conflict.id, "theirs")
    undone = resolution_undo.reopen(here, done, done.version)
    _edit(here, gid, title="月季修剪（新）")
    with pytest.raises(StaleRecordError):
        resolution_undo.resolve(here, conflict.id, "theirs", expected_version=undone)
    assert len(merge.list_conflicts(here)) == 1
    assert catalog.load_guide(here, gid).season == "我改的"


def test_undoing_take_theirs_brings_back_a_record_they_deleted(tmp_path: Path) -> None:
    here = Library.create(tmp_path / "here", name="here")
    there = Library.create(tmp_path / "there", name="there")
    try:
        gid = catalog.save_guide(
            here, catalog.GuideData(title="月季修剪", steps=[catalog.StepData("剪")])
        )
        packs.import_pack(there, packs.export_pack(here, tmp_path / "a.jxpack").path)
        catalog.delete_record(there, "guide", gid)
        _edit(here, gid, season="我改的", steps=[catalog.StepData("剪"), catalog.StepData("浇")])
        packs.import_pack(here, packs.export_pack(there, tmp_path / "b.jxpack").path)
        (conflict,) = merge.list_conflicts(here)
        assert conflict.theirs is None
        done = resolution_undo.resolve(here, conflict.id, "theirs")
        assert catalog.live_count(here, "guide") == 0
        resolution_undo.reopen(here, done, done.version)
        guide = catalog.load_guide(here, gid)
        assert guide.season == "我改的" and [st.text for st in guide.steps] == ["剪", "浇"]
        (again,) = merge.list_conflicts(here)
        assert again.mine is not None and again.theirs is None
    finally:
        here.close()
        there.close()
