"""`merge.plan_merge`'s decision table, one row per case, on two real libraries.

Each case starts from two stores that share a guide and a team after one exchange, makes
changes on "here" and/or "there", and plans importing there's full pack here. "Here" is a
laptop's SQLite library or a server's PostgreSQL database (`any_empty_store`,
tests/stores.py): the merge core is the same on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.services import catalog, merge, packs
from desktop_app.services.pack_format import read_pack
from desktop_app.storage import versions
from desktop_app.storage.library import Library
from desktop_app.storage.models import MergeConflict
from tests.stores import Store, import_pack_into, send


@dataclass
class Laptops:
    here: Store
    there: Library
    tmp: Path
    guide: str
    team: str

    def plan(self) -> merge.MergePlan:
        path = packs.export_pack(self.there, self.tmp / "there.jxpack").path
        pack = read_pack(path)
        try:
            with self.here.session() as s:
                return merge.plan_merge(s, pack)
        finally:
            pack.close()


def _edit_guide(library: Store, gid: str, season: str) -> None:
    data = catalog.load_guide(library, gid)
    data.season = season
    catalog.save_guide(library, data, gid)


@pytest.fixture
def laptops(tmp_path: Path, any_empty_store: Store) -> Iterator[Laptops]:
    here = any_empty_store
    there = Library.create(tmp_path / "there", name="there")
    team = catalog.save_team(there, catalog.TeamData(name="一队", category="technical"))
    guide = catalog.save_guide(
        there,
        catalog.GuideData(title="月季修剪", team_id=team, steps=[catalog.StepData("剪")]),
    )
    import_pack_into(here, packs.export_pack(there, tmp_path / "first.jxpack").path)
    yield Laptops(here, there, tmp_path, guide, team)
    there.close()


Setup = Callable[[Laptops], str]  # makes the changes; returns the id of the guide to look at


def nothing(t: Laptops) -> str:
    return t.guide


def only_theirs(t: Laptops) -> str:
    _edit_guide(t.there, t.guide, "他们改的")
    return t.guide


def only_mine(t: Laptops) -> str:
    _edit_guide(t.here, t.guide, "我改的")
    return t.guide


def both(t: Laptops) -> str:
    _edit_guide(t.here, t.guide, "我改的")
    _edit_guide(t.there, t.guide, "他们改的")
    return t.guide


def both_the_same_in_other_steps(t: Laptops) -> str:
    _edit_guide(t.here, t.guide, "中间")
    _edit_guide(t.here, t.guide, "一样")
    _edit_guide(t.there, t.guide, "一样")
    return t.guide


def tombstone_for_unedited(t: Laptops) -> str:
    catalog.delete_record(t.there, "guide", t.guide)
    return t.guide


def tombstone_for_edited(t: Laptops) -> str:
    catalog.delete_record(t.there, "guide", t.guide)
    _edit_guide(t.here, t.guide, "我改的")
    return t.guide


def edit_for_deleted(t: Laptops) -> str:
    _edit_guide(t.there, t.guide, "他们改的")
    catalog.delete_record(t.here, "guide", t.guide)
    return t.guide


def deleted_on_both(t: Laptops) -> str:
    catalog.delete_record(t.there, "guide", t.guide)
    catalog.delete_record(t.here, "guide", t.guide)
    return t.guide


def deletion_never_seen(t: Laptops) -> str:
    gid = catalog.save_guide(t.there, catalog.GuideData(title="昙花一现"))
    catalog.delete_record(t.there, "guide", gid)
    return gid


def deletion_seen_before(t: Laptops) -> str:
    gid = deletion_never_seen(t)
    import_pack_into(t.here, packs.export_pack(t.there, t.tmp / "once.jxpack").path)
    return gid


def new_there(t: Laptops) -> str:
    return catalog.save_guide(t.there, catalog.GuideData(title="新指南"))


def restored_there(t: Laptops) -> str:
    catalog.delete_record(t.there, "guide", t.guide)
    catalog.restore_record(t.there, "guide", t.guide)
    return t.guide


CASES: list[tuple[str, Setup, str, str]] = [
    # name, setup, action, reason (a part of it; "" when there is none)
    ("identical", nothing, merge.UNCHANGED, "Identical"),
    ("only theirs changed", only_theirs, merge.UPDATE, ""),
    ("only mine changed", only_mine, merge.UNCHANGED, "Changed here since"),
    ("both changed", both, merge.CONFLICT, "Changed on both laptops"),
    ("same content, other revisions", both_the_same_in_other_steps, merge.UNCHANGED, "Identical"),
    ("tombstone, unedited here", tombstone_for_unedited, merge.DELETE, ""),
    ("tombstone, edited here", tombstone_for_edited, merge.CONFLICT, "Deleted there, changed"),
    ("edit, deleted here", edit_for_deleted, merge.CONFLICT, "Changed there, deleted here"),
    ("deleted on both", deleted_on_both, merge.UNCHANGED, "Identical"),
    ("deletion never seen", deletion_never_seen, merge.UNCHANGED, "never was here"),
    ("deletion seen before", deletion_seen_before, merge.UNCHANGED, "Deleted here already"),
    ("new there", new_there, merge.ADD, ""),
    ("deleted and restored there", restored_there, merge.UPDATE, ""),
]


@pytest.mark.parametrize("setup,action,reason", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decision_table(laptops: Laptops, setup: Setup, action: str, reason: str) -> None:
    gid = setup(laptops)
    decisions = {(d.kind, d.id): d for d in laptops.plan().decisions}
    decision = decisions[("guide", gid)]
    assert decision.action == action, decision.reason
    assert reason in decision.reason
    others = [d for k, d in decisions.items() if k != ("guide", gid)]
    assert all(d.action == merge.UNCHANGED for d in others), [(d.kind, d.action) for d in others]


def test_planning_changes_nothing(laptops: Laptops) -> None:
    both(laptops)
    before = catalog.current_version(laptops.here, "guide", laptops.guide)
    laptops.plan()
    assert catalog.current_version(laptops.here, "guide", laptops.guide) == before
    assert merge.list_conflicts(laptops.here) == []


def test_a_deletion_never_seen_is_remembered_so_an_old_copy_does_not_come_back(
    laptops: Laptops, tmp_path: Path
) -> None:
    """C had the guide before there deleted it; here learns the deletion first, then gets
    C's old copy: it stays deleted."""
    third = Library.create(tmp_path / "c", name="c")
    try:
        gid = catalog.save_guide(laptops.there, catalog.GuideData(title="短命"))
        packs.import_pack(third, packs.export_pack(laptops.there, tmp_path / "t0.jxpack").path)
        catalog.delete_record(laptops.there, "guide", gid)
        decision = next(d for d in laptops.plan().decisions if d.id == gid)
        assert decision.action == merge.UNCHANGED
        tomb = versions.tombstone_tag("guide", gid, decision.entry.revision)
        assert tomb in decision.ancestry_to_add
        import_pack_into(laptops.here, packs.export_pack(laptops.there, tmp_path / "t.jxpack").path)
        report = import_pack_into(
            laptops.here, packs.export_pack(third, tmp_path / "old.jxpack").path
        )
        assert gid not in [a.id for a in report.added]
    finally:
        third.close()


@pytest.mark.parametrize("taken_here,expected", [(0, "新队 (2)"), (2, "新队 (4)")])
def test_team_renamed_when_its_name_is_taken_here(
    laptops: Laptops, taken_here: int, expected: str
) -> None:
    """A team arriving with a name another team has here: of the two, the one with the greater
    id is renamed "(2)", or the next free number when "(2)"... are taken too (the same rule on
    every laptop, so both rename the same team and agree)."""
    local = catalog.save_team(laptops.here, catalog.TeamData(name="新队"))
    for n in range(2, 2 + taken_here):
        catalog.save_team(laptops.here, catalog.TeamData(name=f"新队 ({n})"))
    new = catalog.save_team(laptops.there, catalog.TeamData(name="新队"))
    catalog.save_team(laptops.there, catalog.TeamData(name="别的队"))
    plan = laptops.plan()
    renamed = {d.id: d.rename_to for d in plan.decisions if d.kind == "team" and d.rename_to}
    if new > local:
        assert renamed == {new: expected} and plan.local_renames == []
    else:
        assert renamed == {} and plan.local_renames == [(local, expected)]
    assert any(expected in note for note in plan.notes)


def test_team_taking_a_freed_name_is_not_renamed(laptops: Laptops) -> None:
    """Here renamed its team away from "一队"; a new team "一队" from there keeps the name."""
    data = catalog.load_team(laptops.here, laptops.team)
    data.name = "改名了"
    catalog.save_team(laptops.here, data, laptops.team)
    gone = catalog.load_team(laptops.there, laptops.team)
    gone.name = "旧队"
    catalog.save_team(laptops.there, gone, laptops.team)
    tid = catalog.save_team(laptops.there, catalog.TeamData(name="一队"))
    plan = laptops.plan()
    decision = next(d for d in plan.decisions if d.id == tid)
    assert decision.action == merge.ADD and decision.rename_to == ""


def test_resolving_makes_a_version_that_supersedes_both(laptops: Laptops) -> None:
    both(laptops)
    import_pack_into(laptops.here, packs.export_pack(laptops.there, laptops.tmp / "b.jxpack").path)
    (conflict,) = merge.list_conflicts(laptops.here)
    mine = catalog.current_version(laptops.here, "guide", laptops.guide)
    theirs = catalog.current_version(laptops.there, "guide", laptops.guide)
    merge.resolve_conflict(laptops.here, conflict.id, "theirs")
    now = catalog.current_version(laptops.here, "guide", laptops.guide)
    assert versions.tag_revision(now) > max(
        versions.tag_revision(mine), versions.tag_revision(theirs)
    )
    with laptops.here.session() as s:
        known = versions.ancestry(s, "guide", [laptops.guide])[laptops.guide]
    assert {mine, theirs} <= known
    report = send(laptops.here, laptops.there, laptops.tmp, "h")
    assert [u.id for u in report.updated] == [laptops.guide] and not report.conflicts
    assert catalog.load_guide(laptops.there, laptops.guide).season == "他们改的"


def test_conflicts_made_in_the_same_instant_are_listed_alike_on_both_engines(
    any_empty_store: Store,
) -> None:
    """One import writes many conflicts within a microsecond. Their order came from where the
    rows lay: SQLite's insertion order, PostgreSQL's heap order (an updated row moves to its
    end). Now ties are broken by kind and record id, on both."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    with any_empty_store.transaction() as s:
        for rid in ("r1", "r2", "r3"):
            record = {"id": rid, "title": f"指南 {rid}"}
            s.add(
                MergeConflict(
                    kind="guide", record_id=rid, local_revision=1, incoming={"record": record}
                )
            )
            s.flush()
        for row in s.scalars(select(MergeConflict)):
            row.created_at = when
    with any_empty_store.transaction() as s:  # the first one is touched again later
        first = s.scalars(select(MergeConflict).where(MergeConflict.record_id == "r1")).one()
        first.source_library = "B"
    assert [c.record_id for c in merge.list_conflicts(any_empty_store)] == ["r1", "r2", "r3"]
