"""Full-text search: Chinese 1- and 2-character words, folding, AND, ranking, snippets, and an
index that is never stale (same transaction as every edit, delete, restore, bulk write)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from desktop_app.services import catalog as c
from desktop_app.services import listing, search
from desktop_app.services.integrity import check_library
from desktop_app.storage import searchindex, searchtext
from desktop_app.storage.library import Library
from desktop_app.storage.models import AgendaItem, Guide, Photo, ServiceTeam

BEIJING = timezone(timedelta(hours=8))


def titles(library: Library, query: str, kind: str | None = None) -> list[str]:
    kinds = None if kind is None else [kind]
    return [h.title for h in search.search(library, query, kinds)]


def hit_ids(library: Library, query: str, kind: str) -> set[str]:
    return {h.id for h in search.search(library, query, [kind])}


# --- the query language ---------------------------------------------------------------------


def test_one_and_two_character_chinese_words_are_found(demo_library: Library) -> None:
    assert "管氏肿腿蜂防治光肩星天牛" in titles(demo_library, "蜂", "guide")
    assert "管氏肿腿蜂防治光肩星天牛" in titles(demo_library, "天牛", "guide")
    assert "月季修剪" in titles(demo_library, "月季", "guide")
    pruning = titles(demo_library, "修剪", "guide")
    assert {"月季修剪", "榆叶梅修剪", "花后修剪"} <= set(pruning)
    assert "管氏肿腿蜂防治光肩星天牛" not in pruning


def test_characters_must_be_adjacent_in_a_word(demo_library: Library) -> None:
    # 天 and 牛 both occur in many texts; only the word 天牛 counts.
    both = hit_ids(demo_library, "天 牛", "guide")
    word = hit_ids(demo_library, "天牛", "guide")
    assert word <= both
    assert searchtext.match_expression("天牛") == '"天 牛"'


def test_mixed_digits_and_chinese(demo_library: Library) -> None:
    assert titles(demo_library, "45度", "guide") == ["月季修剪"]
    assert {"榆叶梅修剪", "花后修剪"} <= set(titles(demo_library, "3到5个", "guide"))


def test_full_width_and_half_width_match_each_other(demo_library: Library) -> None:
    assert titles(demo_library, "４５度", "guide") == titles(demo_library, "45度", "guide")
    assert titles(demo_library, "３到５个", "guide") == titles(demo_library, "3到5个", "guide")
    gid = c.save_guide(demo_library, c.GuideData(title="ＬＥＤ灯更换", problem="检查线路"))
    assert hit_ids(demo_library, "led灯", "guide") == {gid}


def test_latin_is_case_insensitive_and_prefix_matched(demo_library: Library) -> None:
    gid = c.save_guide(
        demo_library, c.GuideData(title="PLC控制柜巡检", problem="Siemens S7 面板报警")
    )
    for query in ("plc", "PLC", "Plc控制", "siemens", "SIEM"):
        assert hit_ids(demo_library, query, "guide") == {gid}, query


def test_several_words_are_anded(demo_library: Library) -> None:
    assert titles(demo_library, "月季 45度", "guide") == ["月季修剪"]
    assert titles(demo_library, "月季 天牛", "guide") == []
    assert titles(demo_library, "  ", "guide") == []
    assert titles(demo_library, "“”，。", "guide") == []  # punctuation only: no query


def test_hostile_query_text_is_not_fts_syntax(demo_library: Library) -> None:
    for query in ('"', "天牛 OR 月季", "NEAR(天 牛)", "title:天牛", "*", "a'b", "-修剪"):
        search.search(demo_library, query)  # must not raise
    assert titles(demo_library, "天牛 OR 月季", "guide") == []  # OR is a word, not an operator


def test_results_grouped_by_kind_and_limited(demo_library: Library) -> None:
    hits = search.search(demo_library, "修剪")
    kinds = [h.kind for h in hits]
    assert kinds == sorted(kinds, key=list(search.KINDS).index)
    assert {"member", "guide", "session"} <= set(kinds)
    assert len(search.search(demo_library, "修剪", ["guide"], limit=2)) == 2
    groups = search.group_by_kind(hits)
    assert all(h.kind == k for k, group in groups.items() for h in group)


def test_every_covered_field_is_searchable(demo_library: Library) -> None:
    team = c.save_team(
        demo_library, c.TeamData(name="电力抢修队", description="配网故障", expertise=["继电保护"])
    )
    member = c.save_member(
        demo_library,
        c.MemberData(name="李秀英", honours=[c.Honour("全国五一劳动奖章", 2019)], specialty="护理"),
    )
    guide = c.save_guide(
        demo_library,
        c.GuideData(
            title="静脉输液",
            materials=["止血带"],
            safety_notes=["核对医嘱"],
            steps=[c.StepData(text="消毒穿刺部位")],
        ),
    )
    session = c.save_session(
        demo_library,
        c.SessionData(
            starts_at=datetime(2025, 5, 1, 9, tzinfo=BEIJING),
            theme="急救培训",
            venue="社区卫生服务中心",
            host_organisations=["卢沟桥街道"],
            groups=[c.GroupData("社区网格员", 30)],
            agenda=[c.AgendaData("心肺复苏演练", "9:00", "王医生")],
            feedback=[c.FeedbackData("学会了胸外按压", "赵大妈")],
        ),
    )
    for kind, rid, words in [
        ("team", team, ["电力抢修", "配网", "继电保护"]),
        ("member", member, ["李秀英", "五一劳动奖章", "护理"]),
        ("guide", guide, ["静脉", "止血带", "医嘱", "穿刺"]),
        ("session", session, ["急救", "卫生服务中心", "卢沟桥", "网格员", "心肺复苏", "按压"]),
    ]:
        for word in words:
            assert rid in hit_ids(demo_library, word, kind), (kind, word)


# --- ranking and snippets -------------------------------------------------------------------


def test_title_match_ranks_above_body_match(demo_library: Library) -> None:
    body = c.save_guide(
        demo_library,
        c.GuideData(title="果树管理", problem="春季对苹果树进行嫁接，嫁接后注意绑缚"),
    )
    title = c.save_guide(demo_library, c.GuideData(title="嫁接", problem="选择接穗"))
    hits = search.search(demo_library, "嫁接", ["guide"])
    assert [h.id for h in hits] == [title, body]
    assert hits[0].rank < hits[1].rank


def test_snippet_highlights_the_match_in_the_original_text(demo_library: Library) -> None:
    hit = search.search(demo_library, "天牛", ["guide"])[0]
    assert f"{search.HL_START}天牛{search.HL_END}" in hit.snippet
    # Full-width query, half-width text: the original characters are marked.
    c.save_guide(demo_library, c.GuideData(title="剪枝", problem="剪口距芽0.5厘米，<斜剪>"))
    hit = search.search(demo_library, "０.５厘米", ["guide"])[0]
    plain, spans = search.mark_spans(hit.snippet)
    assert [plain[s:e] for s, e in spans] == ["0.5厘米"]
    html = search.to_html(hit.snippet)
    assert "&lt;斜剪&gt;" in html and "<span" in html and "0.5厘米</span>" in html


def test_snippet_is_cut_around_the_match(demo_library: Library) -> None:
    long_text = "前" * 200 + "嫁接" + "后" * 200
    c.save_guide(demo_library, c.GuideData(title="长文本", problem=long_text))
    hit = search.search(demo_library, "嫁接", ["guide"])[0]
    plain, spans = search.mark_spans(hit.snippet)
    assert plain.startswith("…") and plain.endswith("…")
    assert len(plain) <= search.SNIPPET_CHARS + 2
    assert [plain[s:e] for s, e in spans] == ["嫁接"]


def test_session_hit_is_labelled_with_its_date(demo_library: Library) -> None:
    hit = search.search(demo_library, "肿腿蜂", ["session"])[0]
    assert hit.title.startswith("2025-08-15 ")


# --- never stale ----------------------------------------------------------------------------


def test_edit_delete_restore_keep_the_index_current(demo_library: Library) -> None:
    gid = c.save_guide(demo_library, c.GuideData(title="冬令涂白", problem="石灰硫磺"))
    assert hit_ids(demo_library, "涂白", "guide") == {gid}
    data = c.load_guide(demo_library, gid)
    data.title = "树干刷白"
    data.steps = [c.StepData(text="调配涂白剂")]
    c.save_guide(demo_library, data, gid)
    assert hit_ids(demo_library, "刷白", "guide") == {gid}
    assert search.search(demo_library, "冬令", ["guide"]) == []  # old title gone
    assert hit_ids(demo_library, "涂白剂", "guide") == {gid}  # new step found
    c.delete_record(demo_library, "guide", gid)
    assert search.search(demo_library, "刷白") == []
    c.restore_record(demo_library, "guide", gid)
    assert hit_ids(demo_library, "刷白", "guide") == {gid}
    assert search.verify_index(demo_library).ok


def test_child_rows_and_bulk_core_writes_are_indexed(demo_library: Library) -> None:
    # The way a pack merge or a photo import might write: Core statements in one transaction.
    with demo_library.transaction() as s:
        s.execute(insert(Guide).values(id="g-bulk", title="嫁接刀使用", revision=1))
        sid = s.scalar(searchindex_session_id())
        s.execute(insert(AgendaItem).values(session_id=sid, title="高枝锯保养", position=9))
        s.execute(insert(Photo).values(id="p-1", sha256="0" * 64, ext="jpg", caption="放蜂现场"))
    assert hit_ids(demo_library, "嫁接刀", "guide") == {"g-bulk"}
    assert hit_ids(demo_library, "高枝锯", "session") == {sid}
    assert hit_ids(demo_library, "放蜂", "photo") == {"p-1"}
    with demo_library.transaction() as s:
        s.execute(update(Photo).where(Photo.id == "p-1").values(caption="修剪示范"))
        s.execute(update(ServiceTeam).values(description="全体改写"))
    assert search.search(demo_library, "放蜂", ["photo"]) == []
    assert hit_ids(demo_library, "修剪示范", "photo") == {"p-1"}
    assert len(search.search(demo_library, "全体改写", ["team"])) == 5


def searchindex_session_id():  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from desktop_app.storage.models import FieldSession

    return select(FieldSession.id).limit(1)


def test_a_failed_transaction_leaves_the_index_as_it_was(demo_library: Library) -> None:
    with pytest.raises(RuntimeError), demo_library.transaction() as s:
        s.add(Guide(title="不该出现的指南"))
        s.flush()
        raise RuntimeError("boom")
    assert search.search(demo_library, "不该出现") == []
    assert search.verify_index(demo_library).ok


# --- list filters combine with search -------------------------------------------------------


def test_list_filter_uses_the_index(demo_library: Library) -> None:
    with demo_library.session() as s:
        from sqlalchemy import select

        team2 = s.scalar(select(ServiceTeam.id).where(ServiceTeam.name == "专业技术服务2队"))
        team1 = s.scalar(select(ServiceTeam.id).where(ServiceTeam.name == "专业技术服务1队"))
    y2025 = {
        "date_from": datetime(2025, 1, 1, tzinfo=BEIJING),
        "date_to": datetime(2026, 1, 1, tzinfo=BEIJING),
    }
    found = listing.list_ids(
        demo_library, "session", listing.ListFilter(text="修剪", team_id=team2, fts=True, **y2025)
    )
    assert len(found) == 1
    assert (
        listing.list_ids(
            demo_library,
            "session",
            listing.ListFilter(text="修剪", team_id=team1, fts=True, **y2025),
        )
        == []
    )
    assert (
        listing.list_ids(
            demo_library,
            "session",
            listing.ListFilter(
                text="修剪",
                team_id=team2,
                fts=True,
                date_from=datetime(2024, 1, 1, tzinfo=BEIJING),
                date_to=datetime(2025, 1, 1, tzinfo=BEIJING),
            ),
        )
        == []
    )
    # The index sees the feedback quotes the plain filter does not search.
    assert listing.list_ids(demo_library, "session", listing.ListFilter(text="苗圃")) == []
    assert (
        listing.list_ids(demo_library, "session", listing.ListFilter(text="苗圃", fts=True))
        == found
    )
    assert listing.list_ids(demo_library, "guide", listing.ListFilter(text="，", fts=True)) == []


# --- check and repair -----------------------------------------------------------------------


def _codes(library: Library, repair: bool = False) -> list[str]:
    report = check_library(library, repair=repair, verify_hashes=False)
    return [p.code for p in report.problems if not p.repaired]


def test_check_finds_a_damaged_index_and_repair_rebuilds_it(demo_library: Library) -> None:
    assert _codes(demo_library) == []
    with demo_library.engine.begin() as conn:
        # Drop one record's document and rewrite another's, behind the app's back.
        conn.exec_driver_sql(
            "DELETE FROM search_fts WHERE rowid = (SELECT docid FROM search_fts_map"
            " WHERE kind = 'guide' LIMIT 1)"
        )
        conn.exec_driver_sql(
            "UPDATE search_fts SET body = '无 关' WHERE rowid = (SELECT docid FROM"
            " search_fts_map WHERE kind = 'session' LIMIT 1)"
        )
    problems = search.verify_index(demo_library)
    assert problems.outdated and not problems.ok
    report = check_library(demo_library, verify_hashes=False)
    assert [p.code for p in report.problems] == ["search_index"]
    assert report.damaged
    assert _codes(demo_library, repair=True) == []
    assert _codes(demo_library) == []
    assert "管氏肿腿蜂防治光肩星天牛" in titles(demo_library, "天牛", "guide")


def test_writes_outside_a_session_are_reported_until_indexed(demo_library: Library) -> None:
    with demo_library.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE guide SET title = '秘密改名' WHERE title = '月季修剪'")
    problems = search.verify_index(demo_library)
    assert problems.queued == 1
    # The next transaction through the app indexes what was queued.
    c.save_member(demo_library, c.MemberData(name="新队员"))
    assert titles(demo_library, "秘密改名", "guide") == ["秘密改名"]
    assert search.verify_index(demo_library).ok


def test_rebuild_counts_live_records(demo_library: Library) -> None:
    live = sum(c.live_count(demo_library, k) for k in searchindex.KINDS)
    assert search.rebuild_index(demo_library) == live


def test_huge_result_sets_rank_a_pool_but_keep_title_matches_first(
    demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "POOL", 5)
    title = c.save_guide(demo_library, c.GuideData(title="高接换头", problem="老树更新"))
    body = [
        c.save_guide(demo_library, c.GuideData(title=f"果园管理{i}", problem="可以高接换头"))
        for i in range(12)
    ]
    hits = search.search(demo_library, "高接换头", ["guide"], limit=8)
    assert hits[0].id == title  # older than every body match, still first
    assert len(hits) == 6  # the title match and a pool of the 5 newest body matches
    assert {h.id for h in hits[1:]} == set(body[-5:])


def test_a_merged_pack_is_searchable_at_once(demo_library: Library, tmp_path: Path) -> None:
    from desktop_app.services import packs

    gid = c.save_guide(demo_library, c.GuideData(title="枣树环剥", steps=[c.StepData("环剥宽度")]))
    pack = packs.export_pack(demo_library, tmp_path / "one", guides=[gid]).path
    with Library.create(tmp_path / "other") as other:
        assert search.search(other, "环剥") == []
        packs.import_pack(other, pack, backup=False)
        assert [h.id for h in search.search(other, "环剥")] == [gid]
        # An edit travels in a second pack and replaces the indexed text on merge.
        data = c.load_guide(demo_library, gid)
        data.title = "枣树开甲"
        c.save_guide(demo_library, data, gid)
        pack2 = packs.export_pack(demo_library, tmp_path / "two", guides=[gid]).path
        packs.import_pack(other, pack2, backup=False)
        assert [h.title for h in search.search(other, "开甲")] == ["枣树开甲"]
        assert search.verify_index(other).ok


def test_index_rows_without_a_record_are_found_and_repaired(demo_library: Library) -> None:
    with demo_library.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM search_fts_map WHERE kind = 'guide'")
    problems = search.verify_index(demo_library)
    assert problems.unmapped == 4 and len(problems.missing) == 4
    assert search.search(demo_library, "天牛", ["guide"]) == []
    assert _codes(demo_library, repair=True) == []
    assert search.verify_index(demo_library).ok
    assert titles(demo_library, "天牛", "guide") == ["管氏肿腿蜂防治光肩星天牛"]
