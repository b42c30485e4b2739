"""The lists (plain SQL on the library's sqlite3 reader): every sort, every filter, fresh data."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.services import catalog as c
from desktop_app.services import listing
from desktop_app.storage.library import Library
from tests.fresh_python import run_json

KINDS = ["team", "member", "guide", "session", "photo"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_column_sorts_both_ways(demo_library: Library, kind: str) -> None:
    everything = set(listing.list_ids(demo_library, kind))
    for column in listing.COLUMNS[kind]:
        for descending in (False, True):
            ids = listing.list_ids(demo_library, kind, sort=column.key, descending=descending)
            assert set(ids) == everything and len(ids) == len(everything), column.key


def test_names_and_titles_sort_in_pinyin_order(demo_library: Library) -> None:
    titles = [r["title"] for r in listing.list_rows(demo_library, "guide")]
    # guan, hua, yu, yue — not code point order (月 U+6708 would come first).
    assert titles == ["管氏肿腿蜂防治光肩星天牛", "花后修剪", "榆叶梅修剪", "月季修剪"]
    for name in ("王建国", "汪峰", "李明"):
        c.save_member(demo_library, c.MemberData(name=name))
    names = [r["name"] for r in listing.list_rows(demo_library, "member")]
    assert names == ["李佳", "李明", "汪峰", "王建国", "周宗宝"]  # wang feng < wang jian guo
    for number in (10, 3):
        c.save_team(demo_library, c.TeamData(name=f"专业技术服务{number}队", category="technical"))
    teams = [r["name"] for r in listing.list_rows(demo_library, "team")]
    numbered = [t for t in teams if t.startswith("专业技术服务")]
    assert numbered == [f"专业技术服务{n}队" for n in (1, 2, 3, 10)]  # numbers in order
    pickers = list(listing.display_names(demo_library, "team").values())
    assert pickers == teams
    # A renamed record moves to its new place.
    first_id = listing.list_ids(demo_library, "guide")[0]
    data = c.load_guide(demo_library, first_id)
    data.title = "整形修剪"
    c.save_guide(demo_library, data, first_id)
    assert listing.list_ids(demo_library, "guide")[-1] == first_id


def test_sort_order_follows_the_column(demo_library: Library) -> None:
    desc = listing.list_ids(demo_library, "guide", sort="title", descending=True)
    assert desc == list(reversed(listing.list_ids(demo_library, "guide")))


def test_session_rows_join_teams_and_count_photos(demo_library: Library) -> None:
    (row,) = listing.list_rows(demo_library, "session")
    assert row["teams"] == "专业技术服务2队"
    assert row["photos"] == 0
    assert row["venue"] == "园博园"
    # Stored as UTC; shown in the computer's zone, to the minute.
    stored = c.load_session(demo_library, row["id"]).starts_at
    assert stored is not None
    assert row["starts_at"] == stored.astimezone().strftime("%Y-%m-%d %H:%M")


def test_member_rows_join_honours(demo_library: Library) -> None:
    rows = {r["name"]: r for r in listing.list_rows(demo_library, "member")}
    assert rows["周宗宝"]["honours"] == "北京市先进工作者"


def test_filters_by_team_guide_and_dates(demo_library: Library) -> None:
    (session_id,) = listing.list_ids(demo_library, "session")
    data = c.load_session(demo_library, session_id)
    team_id = data.team_ids[0]
    guide_id = data.guide_ids[0]
    other_team = next(t for t in listing.list_ids(demo_library, "team") if t != team_id)
    assert data.starts_at is not None
    day = data.starts_at

    def sessions(**kwargs: object) -> list[str]:
        return listing.list_ids(demo_library, "session", listing.ListFilter(**kwargs))  # type: ignore[arg-type]

    assert sessions(team_id=team_id) == [session_id]
    assert sessions(team_id=other_team) == []
    assert sessions(guide_id=guide_id) == [session_id]
    assert sessions(date_from=day, date_to=day.replace(year=day.year + 1)) == [session_id]
    assert sessions(date_from=day.replace(year=day.year + 1)) == []
    assert sessions(date_to=day) == []  # the end is exclusive
    assert sessions(text="园博园", team_id=team_id) == [session_id]
    assert sessions(text="修剪", fts=True, team_id=team_id) == [session_id]
    assert sessions(text="修剪", fts=True, team_id=other_team) == []


def test_text_filter_takes_wildcards_literally(demo_library: Library) -> None:
    assert listing.list_ids(demo_library, "team", listing.ListFilter(text="%")) == []
    assert listing.list_ids(demo_library, "team", listing.ListFilter(text="_")) == []
    c.save_team(demo_library, c.TeamData(name="100%_服务队", category="other"))
    found = listing.list_rows(demo_library, "team", listing.ListFilter(text="%_"))
    assert [r["name"] for r in found] == ["100%_服务队"]


def test_full_text_filter_finds_one_character_words(demo_library: Library) -> None:
    ids = listing.list_ids(demo_library, "guide", listing.ListFilter(text="蜂", fts=True))
    titles = [r["title"] for r in listing.fetch_rows(demo_library, "guide", ids).values()]
    assert titles == ["管氏肿腿蜂防治光肩星天牛"]
    ids = listing.list_ids(demo_library, "guide", listing.ListFilter(text="修剪", fts=True))
    assert len(ids) == 3
    assert listing.list_ids(demo_library, "guide", listing.ListFilter(text="！", fts=True)) == []


def test_the_reader_sees_every_commit_at_once(demo_library: Library) -> None:
    before = listing.list_ids(demo_library, "member")
    new_id = c.save_member(demo_library, c.MemberData(name="新队员"))
    assert set(listing.list_ids(demo_library, "member")) == {*before, new_id}
    c.delete_record(demo_library, "member", new_id)
    assert listing.list_ids(demo_library, "member") == before
    assert new_id not in listing.fetch_rows(demo_library, "member", [new_id])
    assert listing.display_names(demo_library, "member").get(new_id) is None


def test_each_thread_reads_with_its_own_connection(demo_library: Library) -> None:
    seen: list[object] = []

    def work() -> None:
        seen.append(demo_library.reader())
        seen.append(len(listing.list_ids(demo_library, "guide")))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen[0] is not demo_library.reader()
    assert seen[1] == len(listing.list_ids(demo_library, "guide"))


def test_opening_and_listing_do_not_import_sqlalchemy(demo_dir: Path) -> None:
    # The window paints its first list before the ORM is loaded (start-up time).
    script = (
        "import json, sys\n"
        "from desktop_app.services import listing\n"
        "from desktop_app.storage.library import Library\n"
        f"library = Library.open({str(demo_dir)!r})\n"
        "rows = listing.list_rows(library, 'session')\n"
        "names = listing.display_names(library, 'team')\n"
        "out = {'rows': len(rows), 'teams': len(names), 'name': library.name,\n"
        "       'sqlalchemy': 'sqlalchemy' in sys.modules}\n"
        "library.close()\n"
        "print(json.dumps(out))\n"
    )
    out = run_json(["-c", script])
    assert out == {"rows": 1, "teams": 5, "name": out["name"], "sqlalchemy": False}
    assert out["name"]


def test_closing_drops_the_readers_and_a_later_read_reopens(demo_library: Library) -> None:
    count = len(listing.list_ids(demo_library, "team"))
    old = demo_library.reader()
    demo_library.close()
    assert demo_library.reader() is not old
    assert len(listing.list_ids(demo_library, "team")) == count


def test_dates_compare_as_stored(demo_library: Library) -> None:
    # A filter bound in another zone means the same instant.
    (session_id,) = listing.list_ids(demo_library, "session")
    start = c.load_session(demo_library, session_id).starts_at
    assert start is not None
    from datetime import timedelta, timezone

    beijing = start.astimezone(timezone(timedelta(hours=8)))
    flt = listing.ListFilter(date_from=beijing, date_to=beijing + timedelta(minutes=1))
    assert listing.list_ids(demo_library, "session", flt) == [session_id]
    flt = listing.ListFilter(date_from=beijing + timedelta(seconds=1))
    assert listing.list_ids(demo_library, "session", flt) == []
    assert datetime.now(UTC) > start
    assert json.dumps(listing.list_rows(demo_library, "session"), ensure_ascii=False)


def test_records_from_a_pack_get_their_sort_keys(demo_library: Library, tmp_path: Path) -> None:
    from desktop_app.services import packs

    pack = packs.export_pack(demo_library, tmp_path / "demo.jxpack").path
    other = Library.create(tmp_path / "laptop2")
    try:
        packs.import_pack(other, pack)
        for kind in ("team", "member", "guide"):
            assert listing.list_ids(other, kind) == listing.list_ids(demo_library, kind)
        empty_keys = other.reader().execute(
            "SELECT (SELECT count(*) FROM guide WHERE title_key = '')"
            " + (SELECT count(*) FROM member WHERE name_key = '')"
            " + (SELECT count(*) FROM service_team WHERE name_key = '')"
        )
        assert empty_keys.fetchone() == (0,)
    finally:
        other.close()


def test_sessions_sort_by_their_first_team(demo_library: Library) -> None:
    (first,) = listing.list_ids(demo_library, "session")  # 专业技术服务2队 (zhuan...)
    teams = listing.display_names(demo_library, "team")
    education = next(tid for tid, name in teams.items() if name == "教育培训服务队")  # jiao...
    data = c.load_session(demo_library, first)
    data.team_ids = [education]
    data.attendees = []
    second = c.save_session(demo_library, data)
    by_team = listing.list_ids(demo_library, "session", sort="teams", descending=False)
    assert by_team == [second, first]
    assert listing.list_ids(demo_library, "session", sort="teams", descending=True) == [
        first,
        second,
    ]
