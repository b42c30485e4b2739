"""Field-level conflict resolution, randomized: two laptops change the same team, guide and
session in random fields, swap packs, one of them takes a random set of fields from theirs,
and after exchanging packs both ways the laptops converge on that merged version, with both
sides' versions kept in history or ancestry and `check` clean (convergence_model's checks).

The shared `SharingModel` rarely makes two laptops edit the same record between exchanges, so
its random resolutions seldom reach a field-level merge; this model makes every run a
conflict on three kinds at once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.services import catalog, merge, packs, record_history
from desktop_app.storage.library import Library
from tests.services.convergence_model import PROFILES, check_converged

WORDS = st.sampled_from(["修剪", "施肥", "安全", "新版", "ok"])


def _base(library: Library) -> dict[str, Any]:
    members = [catalog.save_member(library, catalog.MemberData(name=f"队员{i}")) for i in range(4)]
    team = catalog.save_team(
        library,
        catalog.TeamData(name="一队", members=[catalog.Membership(m) for m in members[:2]]),
    )
    other_team = catalog.save_team(library, catalog.TeamData(name="二队"))
    guide = catalog.save_guide(
        library,
        catalog.GuideData(
            title="指南", team_id=team, author_ids=members[:1], steps=[catalog.StepData("一")]
        ),
    )
    from datetime import UTC, datetime

    session = catalog.save_session(
        library,
        catalog.SessionData(
            starts_at=datetime(2025, 4, 20, 1, 30, tzinfo=UTC),
            theme="活动",
            team_ids=[team],
            guide_ids=[guide],
            attendees=[catalog.AttendeeData(members[0])],
        ),
    )
    return {"members": members, "teams": [team, other_team], "guide": guide, "session": session}


EDITS = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["technical", "education", "medical"]),
        "description": WORDS,
        "members": st.lists(st.integers(0, 3), unique=True, max_size=3),
        "title": WORDS,
        "team": st.integers(0, 1),
        "authors": st.lists(st.integers(0, 3), unique=True, max_size=2),
        "steps": st.lists(WORDS, min_size=1, max_size=3),
        "theme": WORDS,
        "attendees": st.lists(st.integers(0, 3), unique=True, max_size=3),
        "hours": st.integers(0, 5),
    }
)


def _edit(library: Library, ids: dict[str, Any], edit: dict[str, Any], mark: str) -> None:
    members, teams = ids["members"], ids["teams"]
    team = catalog.load_team(library, teams[0])
    team.category, team.description = edit["category"], edit["description"] + mark
    team.members = [catalog.Membership(members[i]) for i in edit["members"]]
    catalog.save_team(library, team, teams[0])
    guide = catalog.load_guide(library, ids["guide"])
    guide.title, guide.team_id = edit["title"] + mark, teams[edit["team"]]
    guide.author_ids = [members[i] for i in edit["authors"]]
    guide.steps = [catalog.StepData(t) for t in edit["steps"]]
    catalog.save_guide(library, guide, ids["guide"])
    fs = catalog.load_session(library, ids["session"])
    from datetime import timedelta

    fs.theme = edit["theme"] + mark
    fs.attendees = [catalog.AttendeeData(members[i]) for i in edit["attendees"]]
    fs.starts_at = fs.starts_at + timedelta(hours=edit["hours"])
    fs.ends_at = fs.starts_at + timedelta(hours=2)
    catalog.save_session(library, fs, ids["session"])


def _swap(a: Library, b: Library, tmp: Path, tag: str) -> None:
    pa = packs.export_pack(a, tmp / f"a-{tag}.jxpack").path
    pb = packs.export_pack(b, tmp / f"b-{tag}.jxpack").path
    packs.import_pack(a, pb, backup=False)
    packs.import_pack(b, pa, backup=False)


@settings(PROFILES["default"], max_examples=6)
@given(
    mine=EDITS,
    theirs=EDITS,
    picks=st.fixed_dictionaries(
        {
            kind: st.sets(st.sampled_from(record_history.field_names(kind)))
            for kind in ("team", "guide", "session")
        }
    ),
)
def test_field_level_resolutions_converge(
    mine: dict[str, Any], theirs: dict[str, Any], picks: dict[str, set[str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        a = Library.create(tmp / "a", name="A")
        b = Library.create(tmp / "b", name="B")
        try:
            ids = _base(a)
            packs.import_pack(b, packs.export_pack(a, tmp / "first.jxpack").path, backup=False)
            _edit(a, ids, theirs, "A")
            _edit(b, ids, mine, "B")
            saved: dict[tuple[str, str], set[str]] = {}
            keys = [("team", ids["teams"][0]), ("guide", ids["guide"]), ("session", ids["session"])]
            for library in (a, b):
                for kind, rid in keys:
                    saved.setdefault((kind, rid), set()).add(
                        catalog.current_version(library, kind, rid)
                    )
            packs.import_pack(b, packs.export_pack(a, tmp / "a1.jxpack").path, backup=False)
            expected: dict[tuple[str, str], dict[str, Any]] = {}
            for conflict in merge.list_conflicts(b):
                assert conflict.mine is not None and conflict.theirs is not None
                fields = picks[conflict.kind]
                merge.resolve_conflict_fields(b, conflict.id, fields)
                merged = record_history.merge_fields(
                    conflict.kind, conflict.mine, conflict.theirs, fields
                )
                expected[(conflict.kind, conflict.record_id)] = merged
            assert len(expected) == 3  # every record changed on both laptops
            for _round in range(3):
                _swap(a, b, tmp, str(_round))
            check_converged([a, b], saved)
            for (kind, rid), merged in expected.items():
                for library in (a, b):
                    now = record_history.version_content(library, kind, rid, None)
                    rows = record_history.compare(library, kind, merged, now)
                    assert not [r.field for r in rows if r.changed], (library.name, kind)
        finally:
            a.close()
            b.close()
