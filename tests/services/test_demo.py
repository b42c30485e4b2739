"""The demo library carries the seed article's people, teams, guides and session."""

from __future__ import annotations

from desktop_app.services import catalog as c
from desktop_app.services import listing
from desktop_app.storage.library import Library


def test_five_teams_of_the_fengtai_union(demo_library: Library) -> None:
    rows = listing.list_rows(demo_library, "team")
    assert {r["name"] for r in rows} == {
        "综合管理服务队",
        "专业技术服务1队",
        "专业技术服务2队",
        "教育培训服务队",
        "医疗卫生服务队",
    }
    assert {r["parent_union"] for r in rows} == {"丰台区总工会"}


def test_team2_expertise_and_named_people(demo_library: Library) -> None:
    team_id = listing.list_ids(demo_library, "team", listing.ListFilter(text="2队"))[0]
    team = c.load_team(demo_library, team_id)
    assert team.expertise == [
        "园林绿地规划建设",
        "无线通信技术应用",
        "新材料推广",
        "档案规范化管理",
    ]
    members = {c.load_member(demo_library, m.member_id).name: m for m in team.members}
    assert set(members) == {"周宗宝", "李佳"}
    zhou = c.load_member(demo_library, members["周宗宝"].member_id)
    assert [h.title for h in zhou.honours] == ["北京市先进工作者"]
    li = c.load_member(demo_library, members["李佳"].member_id)
    assert [h.title for h in li.honours] == ["首都劳动奖章获得者"]
    # Nobody the article does not name.
    assert {r["name"] for r in listing.list_rows(demo_library, "member")} == {"周宗宝", "李佳"}


def test_guides_carry_the_key_points_from_the_article(demo_library: Library) -> None:
    guides = {
        r["title"]: c.load_guide(demo_library, r["id"])
        for r in listing.list_rows(demo_library, "guide")
    }
    assert set(guides) == {"管氏肿腿蜂防治光肩星天牛", "花后修剪", "月季修剪", "榆叶梅修剪"}
    assert any("留3到5个饱满芽" in k for k in guides["花后修剪"].key_points)
    rose = guides["月季修剪"]
    assert "剪去病弱枝，保留健壮枝" in rose.key_points
    assert any("切口要斜向45度" in k for k in rose.key_points)
    assert all(g.is_demo for g in guides.values())
    assert all(len(g.steps) >= 4 and g.safety_notes for g in guides.values())


def test_the_garden_expo_session(demo_library: Library) -> None:
    (row,) = listing.list_rows(demo_library, "session")
    session = c.load_session(demo_library, row["id"])
    assert session.theme == "绿色养护提质增效"
    assert session.venue == "园博园"
    assert {"劳模工匠代表", "高校教授团队", "绿化公司养护人员"} <= {g.name for g in session.groups}
    (quote,) = session.feedback
    assert quote.speaker == "张志峰"
    assert "以虫治虫" in quote.text
    assert len(session.guide_ids) == 4
