"""Catalog edits: validation messages, revisions and history, soft delete and restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core.errors import RecordNotFoundError, ValidationError
from desktop_app.services import catalog as c
from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.storage.models import RecordHistory


def _members(library: Library, *names: str) -> list[str]:
    return [c.save_member(library, c.MemberData(name=n)) for n in names]


def test_team_with_captain_and_members(empty_library: Library) -> None:
    cap, m1, m2 = _members(empty_library, "队长甲", "队员乙", "队员丙")
    team_id = c.save_team(
        empty_library,
        c.TeamData(
            name="新服务队",
            category="technical",
            members=[c.Membership(cap, "captain"), c.Membership(m1), c.Membership(m2)],
        ),
    )
    data = c.load_team(empty_library, team_id)
    assert [(m.member_id, m.role) for m in data.members] == [
        (cap, "captain"),
        (m1, "member"),
        (m2, "member"),
    ]


def test_second_captain_is_refused_and_nothing_is_saved(empty_library: Library) -> None:
    a, b = _members(empty_library, "甲", "乙")
    with pytest.raises(ValidationError) as err:
        c.save_team(
            empty_library,
            c.TeamData(name="T", members=[c.Membership(a, "captain"), c.Membership(b, "captain")]),
        )
    assert "members" in err.value.fields
    assert "one captain" in err.value.fields["members"]
    assert listing.list_ids(empty_library, "team") == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (c.TeamData(name="  "), "name"),
        (c.TeamData(name="X", category="pirates"), "category"),
    ],
)
def test_team_validation(empty_library: Library, data: c.TeamData, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        c.save_team(empty_library, data)
    assert field in err.value.fields


def test_duplicate_team_name(demo_library: Library) -> None:
    with pytest.raises(ValidationError, match="already exists"):
        c.save_team(demo_library, c.TeamData(name="专业技术服务2队"))


@pytest.mark.parametrize("phone", ["abc", "12", "138-0000-000x"])
def test_phone_must_look_like_a_phone_number(empty_library: Library, phone: str) -> None:
    with pytest.raises(ValidationError) as err:
        c.save_member(empty_library, c.MemberData(name="甲", phone=phone))
    assert "phone" in err.value.fields


@pytest.mark.parametrize("phone", ["13800000000", "010-63812345", "+86 138 0000 0000"])
def test_real_phone_numbers_are_accepted(empty_library: Library, phone: str) -> None:
    c.save_member(empty_library, c.MemberData(name="甲", phone=phone))


def test_saving_bumps_revision_and_keeps_the_old_version(demo_library: Library) -> None:
    guide_id = listing.list_ids(demo_library, "guide", listing.ListFilter(text="月季"))[0]
    data = c.load_guide(demo_library, guide_id)
    data.title = "月季修剪（改）"
    data.steps.reverse()
    c.save_guide(demo_library, data, guide_id)
    assert c.revision_of(demo_library, "guide", guide_id) == 2
    again = c.load_guide(demo_library, guide_id)
    assert again.title == "月季修剪（改）"
    assert [s.text for s in again.steps] == [s.text for s in data.steps]
    with demo_library.session() as s:
        history = s.scalars(select(RecordHistory).where(RecordHistory.record_id == guide_id)).all()
    assert [h.revision for h in history] == [1]
    assert history[0].data["title"] == "月季修剪"


def test_soft_delete_hides_and_restore_brings_back(demo_library: Library) -> None:
    team_id = listing.list_ids(demo_library, "team", listing.ListFilter(text="医疗"))[0]
    c.delete_record(demo_library, "team", team_id)
    assert team_id not in listing.list_ids(demo_library, "team")
    with pytest.raises(RecordNotFoundError):
        c.load_team(demo_library, team_id)
    c.restore_record(demo_library, "team", team_id)
    assert team_id in listing.list_ids(demo_library, "team")
    assert c.revision_of(demo_library, "team", team_id) == 3


def test_session_validation(empty_library: Library) -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2025, 8, 15, 1, 30, tzinfo=UTC)
    with pytest.raises(ValidationError) as err:
        c.save_session(
            empty_library,
            c.SessionData(
                starts_at=start,
                theme="T",
                ends_at=start - timedelta(hours=1),
                groups=[c.GroupData("学员", -3)],
            ),
        )
    assert {"ends_at", "groups"} <= set(err.value.fields)


def test_list_filter_and_sort(demo_library: Library) -> None:
    rows = listing.list_rows(demo_library, "guide", listing.ListFilter(text="修剪"))
    assert {r["title"] for r in rows} == {"花后修剪", "月季修剪", "榆叶梅修剪"}
    asc = listing.list_ids(demo_library, "guide", sort="title", descending=False)
    desc = listing.list_ids(demo_library, "guide", sort="title", descending=True)
    assert asc == list(reversed(desc))


def test_a_pasted_nul_character_is_dropped_so_the_record_can_still_be_shared(
    empty_library: Library, tmp_path: Path
) -> None:
    """A NUL (from a paste; invisible) used to be stored, and then every pack holding the
    record was refused by its importer and the hub refused the record: it could never be
    shared again."""
    from desktop_app.services import packs

    member_id = c.save_member(
        empty_library,
        c.MemberData(name="周\x00宗宝", honours=[c.Honour("北京市劳动模范\x00", 2020)]),
    )
    guide_id = c.save_guide(
        empty_library,
        c.GuideData(
            title="修剪\x00技术",
            tags=["修剪\x00"],
            steps=[c.StepData("留3到5个饱满芽\x00，剪口斜45°")],
            author_ids=[member_id],
        ),
    )
    guide = c.load_guide(empty_library, guide_id)
    assert guide.title == "修剪技术" and guide.tags == ["修剪"]
    assert guide.steps[0].text == "留3到5个饱满芽，剪口斜45°"
    member = c.load_member(empty_library, member_id)
    assert member.name == "周宗宝" and member.honours[0].title == "北京市劳动模范"

    pack = packs.export_pack(empty_library, tmp_path / "guide.jxpack").path
    with Library.create(tmp_path / "other") as other:
        packs.import_pack(other, pack, backup=False)
        assert c.load_guide(other, guide_id).title == "修剪技术"
