"""What uses a record (services/usage.py), the delete confirmation built from it, and how a
reference to a deleted or unknown record is shown: lists, `show`, handout data and PDFs."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import set_language, translator_for
from desktop_app.services import catalog as c
from desktop_app.services import handouts, listing, records, usage
from desktop_app.services.describe import describe
from desktop_app.services.handouts.data import load_session_doc
from desktop_app.storage.kinds import KINDS
from desktop_app.storage.library import Library
from tests.services.handout_fixtures import add_photo
from tests.services.photo_fixtures import distinct_jpeg

ZH = translator_for("zh_CN")


def ids_of(library: Library, kind: str) -> dict[str, str]:
    key = "title" if kind == "guide" else "name"
    return {r[key]: r["id"] for r in listing.list_rows(library, kind)}


def the_session(library: Library) -> str:
    (session_id,) = listing.list_ids(library, "session")
    return session_id


def demo_session_label(library: Library) -> str:
    starts = c.load_session(library, the_session(library)).starts_at
    return starts.astimezone().strftime("%Y-%m-%d") + " 绿色养护提质增效"


def uses(found: usage.Usage) -> dict[str, tuple[int, tuple[str, ...]]]:
    return {u.relation: (u.count, u.labels) for u in found.uses}


# --- usage counts on the demo library -------------------------------------------------------


def test_usage_of_demo_guides_members_and_teams(demo_library: Library) -> None:
    guides = ids_of(demo_library, "guide")
    members = ids_of(demo_library, "member")
    teams = ids_of(demo_library, "team")
    session = demo_session_label(demo_library)

    assert uses(usage.usage_of(demo_library, "guide", [guides["花后修剪"]])) == {
        "guide_sessions": (1, (session,))
    }
    assert uses(usage.usage_of(demo_library, "member", [members["周宗宝"]])) == {
        "member_teams": (1, ("专业技术服务2队",)),
        "member_sessions": (1, (session,)),
        # Three guides, named in pinyin order (hua, yu, yue).
        "member_guides": (3, ("花后修剪", "榆叶梅修剪", "月季修剪")),
    }
    assert uses(usage.usage_of(demo_library, "member", [members["李佳"]]))["member_guides"] == (
        2,
        ("榆叶梅修剪", "月季修剪"),
    )
    team2 = uses(usage.usage_of(demo_library, "team", [teams["专业技术服务2队"]]))
    assert team2["team_sessions"] == (1, (session,))
    # Four guides, the first three named: the confirmation then says "…".
    assert team2["team_guides"] == (4, ("管氏肿腿蜂防治光肩星天牛", "花后修剪", "榆叶梅修剪"))
    unused_team = usage.usage_of(demo_library, "team", [teams["医疗卫生服务队"]])
    assert not unused_team.is_used and unused_team.uses == ()
    assert not usage.usage_of(demo_library, "session", [the_session(demo_library)]).is_used


def test_several_records_count_each_user_once_and_deleted_users_not_at_all(
    demo_library: Library,
) -> None:
    guides = list(ids_of(demo_library, "guide").values())
    both = usage.usage_of(demo_library, "guide", guides)
    assert both.count("guide_sessions") == 1  # one session covers all four guides

    # A second session covering one of them counts; once deleted it no longer does.
    second = c.save_session(
        demo_library,
        c.SessionData(starts_at=c.load_session(demo_library, the_session(demo_library)).starts_at,
                      theme="复训", guide_ids=[guides[0]]),
    )  # fmt: skip
    assert usage.usage_of(demo_library, "guide", guides).count("guide_sessions") == 2
    c.delete_record(demo_library, "session", second)
    c.delete_record(demo_library, "session", the_session(demo_library))
    assert not usage.usage_of(demo_library, "guide", guides).is_used


def test_usage_of_a_photo_in_a_session_a_guide_step_and_a_portrait(
    demo_library: Library, tmp_path: Path
) -> None:
    photo = add_photo(demo_library, distinct_jpeg(tmp_path / "p.jpg", 3))
    session_id = the_session(demo_library)
    data = c.load_session(demo_library, session_id)
    data.photo_ids = [photo]
    c.save_session(demo_library, data, session_id)
    guide_id = ids_of(demo_library, "guide")["月季修剪"]
    guide = c.load_guide(demo_library, guide_id)
    guide.steps[0].photo_ids = [photo]
    guide.steps[1].photo_ids = [photo]  # two steps of one guide: one guide
    c.save_guide(demo_library, guide, guide_id)
    member_id = ids_of(demo_library, "member")["李佳"]
    member = c.load_member(demo_library, member_id)
    member.portrait_photo_id = photo
    c.save_member(demo_library, member, member_id)

    assert uses(usage.usage_of(demo_library, "photo", [photo])) == {
        "photo_sessions": (1, (demo_session_label(demo_library),)),
        "photo_guides": (1, ("月季修剪",)),
        "photo_members": (1, ("李佳",)),
    }


def test_one_query_per_relation_however_many_users(demo_library: Library) -> None:
    """No N+1: a member in 30 sessions costs the same three queries as one in a single one."""
    members = ids_of(demo_library, "member")
    starts = c.load_session(demo_library, the_session(demo_library)).starts_at
    for n in range(30):
        c.save_session(
            demo_library,
            c.SessionData(
                starts_at=starts, theme=f"复训{n}", attendees=[c.AttendeeData(members["李佳"])]
            ),
        )
    statements: list[str] = []
    conn = demo_library.reader()
    conn.set_trace_callback(statements.append)
    try:
        found = usage.usage_of(demo_library, "member", [members["李佳"]])
    finally:
        conn.set_trace_callback(None)
    assert found.count("member_sessions") == 31
    assert len(statements) == len([r for r in usage.RELATIONS if r.kind == "member"]) == 3


def test_every_declared_reference_is_a_relation() -> None:
    """A reference added to a record kind must be said before deleting what it points to."""
    declared = {
        (target, kind.name, path) for kind in KINDS.values() for path, target in kind.references
    }
    assert {(r.kind, r.user_kind, r.path) for r in usage.RELATIONS} == declared
    assert len({r.key for r in usage.RELATIONS}) == len(usage.RELATIONS)


# --- the confirmation -----------------------------------------------------------------------


def test_delete_question_names_the_sessions_in_chinese(demo_library: Library) -> None:
    guide_id = ids_of(demo_library, "guide")["花后修剪"]
    set_language("zh_CN")
    text = usage.delete_question(demo_library, "guide", [guide_id], "花后修剪")
    assert text.startswith("删除“花后修剪”？")
    assert f"1 次现场活动涉及此指南：{demo_session_label(demo_library)}" in text
    assert "显示为“花后修剪（已删除）”" in text
    assert "学员手册不再收录" in text
    assert text.rstrip().endswith("可以按 Ctrl+Z 撤销。")

    team_id = ids_of(demo_library, "team")["专业技术服务2队"]
    text = usage.delete_question(demo_library, "team", [team_id], "专业技术服务2队")
    assert "4 份指南属于此服务队：管氏肿腿蜂防治光肩星天牛、花后修剪、榆叶梅修剪 等" in text
    assert "此服务队开展过 1 次现场活动" in text

    both = list(ids_of(demo_library, "member").values())
    text = usage.delete_question(demo_library, "member", both)
    assert text.startswith("删除 2 条记录？")
    assert "这些成员参加过 1 次现场活动" in text and "这些成员编写了 3 份指南" in text


def test_delete_question_for_an_unused_record_is_short(demo_library: Library) -> None:
    team_id = ids_of(demo_library, "team")["医疗卫生服务队"]
    text = usage.delete_question(demo_library, "team", [team_id], "医疗卫生服务队")
    assert text == "Delete “医疗卫生服务队”?\n\nYou can undo this with Ctrl+Z."


# --- references to deleted and unknown records -----------------------------------------------


def test_reference_names_live_deleted_unknown_and_back_after_undo(demo_library: Library) -> None:
    guide_id = ids_of(demo_library, "guide")["花后修剪"]
    nowhere = str(uuid.uuid4())
    c.delete_record(demo_library, "guide", guide_id)
    names = listing.reference_names(demo_library, "guide", [guide_id, nowhere])
    assert names[guide_id] == listing.RefName("花后修剪", listing.DELETED)
    assert names[nowhere].state == listing.UNKNOWN
    assert listing.reference_labels(demo_library, "guide", [guide_id, nowhere]) == {
        guide_id: "花后修剪 (deleted)",
        nowhere: "(unknown record)",
    }
    set_language("zh_CN")
    assert names[guide_id].label() == "花后修剪（已删除）"
    assert names[nowhere].label() == "（未知记录）"
    c.restore_record(demo_library, "guide", guide_id)  # what undo does
    assert listing.reference_labels(demo_library, "guide", [guide_id]) == {guide_id: "花后修剪"}


def test_session_list_marks_a_deleted_team(demo_library: Library) -> None:
    team_id = ids_of(demo_library, "team")["专业技术服务2队"]
    c.delete_record(demo_library, "team", team_id)
    (row,) = listing.list_rows(demo_library, "session")
    assert row["teams"] == "专业技术服务2队 (deleted)"
    c.restore_record(demo_library, "team", team_id)
    (row,) = listing.list_rows(demo_library, "session")
    assert row["teams"] == "专业技术服务2队"


def test_show_names_deleted_references_marked_and_never_an_id(demo_library: Library) -> None:
    guides = ids_of(demo_library, "guide")
    members = ids_of(demo_library, "member")
    team_id = ids_of(demo_library, "team")["专业技术服务2队"]
    session_id = the_session(demo_library)
    c.delete_record(demo_library, "guide", guides["花后修剪"])
    c.delete_record(demo_library, "member", members["李佳"])
    c.delete_record(demo_library, "team", team_id)
    set_language("zh_CN")
    with demo_library.session() as s:
        data = records.record_to_dict("session", records.get_record(s, "session", session_id))
        rose = records.record_to_dict("guide", records.get_record(s, "guide", guides["月季修剪"]))
    lines = describe(demo_library, "session", data)
    shown = {(k, v) for k, v in lines}
    assert ("指南", "花后修剪（已删除）") in shown
    assert ("服务队", "专业技术服务2队（已删除）") in shown
    assert any(v.startswith("李佳（已删除）") for k, v in lines)
    guide_lines = dict(describe(demo_library, "guide", rose))
    assert guide_lines["服务队"] == "专业技术服务2队（已删除）"
    assert guide_lines["编写人"] == "周宗宝、李佳（已删除）"
    # A reference this library never received (e.g. in a conflicting version from a pack).
    data["guide_ids"].append(str(uuid.uuid4()))
    lines = describe(demo_library, "session", data)
    assert ("指南", "（未知记录）") in set(lines)
    everything = " ".join(v for _k, v in lines[1:])  # the first line is the session's own id
    for record_id in [*guides.values(), *members.values(), team_id, *data["guide_ids"]]:
        assert record_id not in everything


# --- handouts -------------------------------------------------------------------------------


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def test_session_doc_keeps_deleted_references_marked(demo_library: Library) -> None:
    guides = ids_of(demo_library, "guide")
    members = ids_of(demo_library, "member")
    team_id = ids_of(demo_library, "team")["专业技术服务2队"]
    c.delete_record(demo_library, "guide", guides["花后修剪"])
    c.delete_record(demo_library, "member", members["李佳"])
    c.delete_record(demo_library, "team", team_id)
    doc = load_session_doc(demo_library, the_session(demo_library))
    # What trainees get: only what the library still holds.
    assert [g.title for g in doc.guides] == ["管氏肿腿蜂防治光肩星天牛", "月季修剪", "榆叶梅修剪"]
    assert doc.teams == []
    # What the record lists: everything, in order, deleted ones marked.
    assert [(g.title.label(ZH), g.category) for g in doc.covered] == [
        ("管氏肿腿蜂防治光肩星天牛", "生物防治"),
        ("花后修剪（已删除）", "修剪"),
        ("月季修剪", "修剪"),
        ("榆叶梅修剪", "修剪"),
    ]
    assert [r.label(ZH) for r in doc.deleted_guides] == ["花后修剪（已删除）"]
    assert [r.label(ZH) for r in doc.held_by] == ["丰台区总工会 专业技术服务2队（已删除）"]
    assert [(a.name, a.deleted) for a in doc.attendees] == [("周宗宝", False), ("李佳", True)]


def test_report_lists_a_deleted_guide_and_the_pack_says_it_left_it_out(
    demo_library: Library, tmp_path: Path
) -> None:
    guides = ids_of(demo_library, "guide")
    session_id = the_session(demo_library)
    c.delete_record(demo_library, "guide", guides["花后修剪"])
    c.delete_record(demo_library, "member", ids_of(demo_library, "member")["李佳"])

    report = tmp_path / "report.pdf"
    handouts.build_session_report(demo_library, session_id, report)
    flat = "".join(pdf_text(report).split())  # the attendees' name column is narrow
    assert "花后修剪（已删除）" in flat
    assert "李佳（已删除）" in flat
    assert "榆叶梅修剪" in flat

    pack = tmp_path / "pack.pdf"
    opts = handouts.HandoutOptions(confirm_missing_safety=True)
    handouts.build_session_pack(demo_library, session_id, pack, opts)
    text = pdf_text(pack)
    flat = "".join(text.split())  # the note may wrap
    assert "本手册未收录：花后修剪" in flat
    assert "花后修剪的" not in flat and "花后修剪（已删除）" not in flat
    assert "榆叶梅修剪" in text  # the other guides are all there
    assert "疏除过密枝" in text  # 榆叶梅's steps: its pages are printed

    # Undo brings the guide back into the pack, and the note goes.
    c.restore_record(demo_library, "guide", guides["花后修剪"])
    handouts.build_session_pack(demo_library, session_id, pack, opts)
    assert "未收录" not in "".join(pdf_text(pack).split())


def test_pack_whose_guides_were_all_deleted_is_refused_with_the_reason(
    demo_library: Library, tmp_path: Path
) -> None:
    for guide_id in ids_of(demo_library, "guide").values():
        c.delete_record(demo_library, "guide", guide_id)
    with pytest.raises(UserError, match="all been deleted"):
        handouts.build_session_pack(demo_library, the_session(demo_library), tmp_path / "p.pdf")
    assert not (tmp_path / "p.pdf").exists()
