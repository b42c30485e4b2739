"""The news draft (通讯稿): built from the session's facts, no empty slots, wording that follows
what the session holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.core.errors import RecordNotFoundError, UserError
from desktop_app.services import catalog as c
from desktop_app.services.reports import news
from desktop_app.storage.library import Library

PLACEHOLDERS = re.compile(r"None|null|\{|\}|“”|、、|，，|。。|、。|，。|：。|\[\]")


def _demo_session(library: Library) -> str:
    return str(library.reader().execute("SELECT id FROM field_session").fetchone()[0])


def _assert_clean(text: str) -> None:
    assert text.strip()
    assert not PLACEHOLDERS.search(text), PLACEHOLDERS.search(text)
    for paragraph in text.strip().split("\n\n")[1:]:
        assert paragraph[-1] in "。！？…”）", paragraph


def test_demo_draft_tells_the_story_from_the_session(demo_library: Library) -> None:
    text = news.news_draft(demo_library, _demo_session(demo_library))
    _assert_clean(text)
    headline, lead = text.split("\n\n")[:2]
    assert "园博园" in headline and "绿色养护提质增效" in headline
    assert lead.startswith("本报讯 近日，丰台区专业技术服务2队的劳模工匠走进园博园，")
    assert "以“绿色养护提质增效”为主题" in lead
    assert "丰台区总工会" in lead
    # Honours, names, and a key point of a guide the member wrote.
    assert "北京市先进工作者周宗宝" in text
    assert "首都劳动奖章获得者李佳" in text
    assert "“花后修剪要留3到5个饱满芽……”" in text
    # The trainee's quote, its inner quotation marks turned into single ones.
    assert "用管氏肿腿蜂‘以虫治虫’的门道" in text
    assert "学员代表张志峰" in text
    # The demo's groups have no head counts: the draft names them and says no number.
    assert "劳模工匠代表、高校教授团队、绿化公司养护人员及北京农业职业学院团队等齐聚一堂" in text
    assert "人次" not in text
    assert "技术智囊团" in text and "园林绿地规划建设" in text


def test_a_session_with_almost_nothing_still_reads_cleanly(empty_library: Library) -> None:
    sid = c.save_session(
        empty_library, c.SessionData(starts_at=datetime(2025, 5, 1, tzinfo=UTC), venue="活动室")
    )
    text = news.news_draft(empty_library, sid)
    _assert_clean(text)
    assert text == "劳模工匠走进活动室\n\n本报讯 近日，劳模工匠走进活动室，开展现场技能服务活动。\n"
    assert text.count("\n\n") == 1  # headline and lead only: no empty paragraphs


def test_wording_follows_head_counts_teams_and_speakers(empty_library: Library) -> None:
    team = c.save_team(
        empty_library, c.TeamData(name="海淀区电力维修服务队", parent_union="海淀区总工会")
    )
    base = c.SessionData(
        starts_at=datetime(2025, 5, 1, tzinfo=UTC),
        theme="安全用电",
        venue="",
        host_organisations=["中关村街道工会"],
        team_ids=[team],
        groups=[c.GroupData("物业电工", 12), c.GroupData("社区居民", 20)],
        feedback=[c.FeedbackData("学到了漏电保护器的检查方法。")],
    )
    text = news.news_draft(empty_library, c.save_session(empty_library, base))
    _assert_clean(text)
    # The district is not repeated when the team's name already carries it.
    assert "本报讯 近日，海淀区电力维修服务队的劳模工匠以“安全用电”为主题" in text
    assert "海淀区海淀区" not in text
    assert "物业电工及社区居民等32人参加活动。" in text
    assert "共服务学员32人次" in text
    assert "一位学员这样说" in text
    assert text.startswith("海淀区劳模工匠走进中关村街道工会开展“安全用电”活动")

    base.groups = [c.GroupData("物业电工", 12), c.GroupData("社区居民")]
    text = news.news_draft(empty_library, c.save_session(empty_library, base))
    _assert_clean(text)
    assert "等齐聚一堂" in text and "32" not in text
    assert "登记在册的受益学员有12人" in text


def test_unknown_session_and_unwritable_target(demo_library: Library, tmp_path: Path) -> None:
    with pytest.raises(RecordNotFoundError):
        news.news_draft(demo_library, "no-such-session")
    text = news.news_draft(demo_library, _demo_session(demo_library)[:8])
    saved = news.write_news(tmp_path / "通讯稿.txt", text)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").replace("\r\n", "\n") == text
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match="Cannot write"):
        news.write_news(tmp_path / "f" / "x.txt", text)
