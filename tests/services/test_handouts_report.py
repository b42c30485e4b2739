"""The session report as the union files it: the header block, the right column labels, words
not split on A5, feedback before the photos, every photo's caption and time, the sign-off."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from desktop_app.core.i18n import translator_for
from desktop_app.services import catalog as c
from desktop_app.services import handouts
from desktop_app.services.handouts import session as hsession
from desktop_app.services.handouts.data import SessionDoc
from desktop_app.storage.enums import TeamRole
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide, Member, Photo, TeamMembership
from tests.services.handout_fixtures import add_photo, attach_to_session
from tests.services.test_handouts import run, text_of

ZH = translator_for("zh_CN")


def session_id(library: Library) -> str:
    with library.session() as s:
        return s.scalars(select(FieldSession.id)).one()


def layout_text(pdf: Path) -> str:
    return run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-")


def test_header_block_and_sign_off(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    data = c.load_session(demo_library, sid)
    data.groups = [c.GroupData("劳模工匠代表", 6), c.GroupData("绿化公司养护人员", 30)]
    c.save_session(demo_library, data, sid)
    # 周宗宝 becomes the team's captain, with a phone: the report names him in charge.
    with demo_library.transaction() as s:
        zhou = s.scalars(select(Member).where(Member.name == "周宗宝")).one()
        zhou.phone = "13800001111"
        s.execute(
            update(TeamMembership)
            .where(TeamMembership.member_id == zhou.id)
            .values(role=TeamRole.CAPTAIN.value)
        )
    target = tmp_path / "report.pdf"
    result = handouts.build_session_report(demo_library, sid, target)
    flat = re.sub(r"\s+", "", text_of(target))
    for label, value in (
        (hsession.ACTIVITY, "绿色养护提质增效"),
        (hsession.DATE, "2025年8月15日"),
        (hsession.VENUE, "园博园"),
        (hsession.HOSTS, "丰台区总工会、园博园"),
        (hsession.TEAMS, "丰台区总工会专业技术服务2队"),
        (hsession.LEADER_ROW, "周宗宝"),
        (hsession.LEADER_PHONE, "13800001111"),
        (hsession.HEADCOUNT, "共36人（劳模工匠代表6人、绿化公司养护人员30人）"),
        (hsession.ATTENDING, "周宗宝（北京市先进工作者）、李佳（首都劳动奖章获得者）"),
    ):
        assert ZH(label) + value in flat, ZH(label) + value
    assert "活动名称" in flat and "主办/承办单位" in flat and "参加人数" in flat
    assert "主题绿色养护提质增效" not in flat  # the theme is not repeated as a row of its own
    # The sign-off block ends the record, on its last page.
    last = re.sub(r"\s+", "", text_of(target, result.pages, result.pages, body_only=True))
    for label in ("填报人", "填报日期", "审核", "（盖章）"):
        assert label in last
    assert flat.rindex("填报人") > flat.rindex("后续跟进")


def test_attendee_columns_are_labelled_right(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    target = tmp_path / "report.pdf"
    handouts.build_session_report(demo_library, sid, target)
    lines = layout_text(target).splitlines()
    (head,) = [line for line in lines if "荣誉" in line and "备注" in line]
    # People are 姓名, not 名称; the part they took (讲解) is under 分工, the note under 备注.
    assert "姓名" in head and "名称" not in head and "职务" not in head
    (zhou,) = [line for line in lines if line.lstrip().startswith("周宗宝") and "讲解" in line]
    note = "讲解花后修剪和月季修剪要点"
    part_col = zhou.index("讲解 ")
    assert abs(part_col - head.index("分工")) <= 2
    assert abs(zhou.index(note) - head.index("备注")) <= 2


def test_a5_columns_do_not_split_words(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    # Two teams, so the report shows the team column too.
    team = c.TeamData(name="高级技师服务队", parent_union="丰台区总工会")
    other = c.save_team(demo_library, team)
    data = c.load_session(demo_library, sid)
    data.team_ids = [*data.team_ids, other]
    c.save_session(demo_library, data, sid)
    target = tmp_path / "a5.pdf"
    handouts.build_session_report(demo_library, sid, target, handouts.HandoutOptions("A5"))
    text = text_of(target)
    # The attendee table: from its 姓名 column head to the next section (参与群体).
    start = text.index(ZH(hsession.NAME))
    region = text[start : text.index(ZH(hsession.PARTICIPANTS), start)]
    for word in ("北京市先进工作者", "首都劳动奖章获得者", "专业技术服务2队", "高级技师服务队"):
        assert word in region, word
    # The agenda's leader column too.
    agenda = text[text.index(ZH(hsession.LEADER)) :]
    assert "专业技术服务2队" in agenda and "劳模工匠现场指导" in agenda


def test_feedback_before_photos_each_with_caption_and_time(
    demo_library: Library, tmp_path: Path, testdata: Path
) -> None:
    sid = session_id(demo_library)
    photos = [
        add_photo(demo_library, testdata / n, caption=f"现场{i}")
        for i, n in enumerate(("landscape_1.jpg", "DSCN0010.jpg"), 1)
    ]
    attach_to_session(demo_library, sid, photos)
    taken = datetime(2025, 8, 15, 2, 10, tzinfo=UTC)
    with demo_library.transaction() as s:
        s.execute(update(Photo).where(Photo.id == photos[0]).values(taken_at=taken))
    target = tmp_path / "report.pdf"
    handouts.build_session_report(demo_library, sid, target)
    flat = re.sub(r"\s+", "", text_of(target, body_only=True))
    feedback, photos_heading = ZH(hsession.FEEDBACK), ZH(hsession.PHOTOS)
    assert flat.index(feedback) < flat.index(photos_heading) < flat.index("照片1现场1")
    when = ZH(hsession.TAKEN).format(when=hsession.photo_time(taken, "zh_CN", "Asia/Shanghai"))
    assert "照片1现场1" + re.sub(r"\s+", "", when) in flat
    assert "照片2现场2" in flat  # no time known: caption only


def _doc(groups: list[tuple[str, int | None]]) -> SessionDoc:
    return SessionDoc(
        id="x",
        theme="",
        venue="",
        starts_at=datetime(2025, 1, 1, tzinfo=UTC),
        ends_at=None,
        time_zone="Asia/Shanghai",
        host_organisations=[],
        summary="",
        teams=[],
        attendees=[],
        groups=groups,
        agenda=[],
        guides=[],
        feedback=[],
        follow_ups=[],
        photos=[],
    )


def test_headcount_says_what_was_counted() -> None:
    assert hsession.headcount(_doc([("学员", 20), ("职工", 5)]), ZH, "zh_CN") == (
        "共25人（学员20人、职工5人）"
    )
    assert hsession.headcount(_doc([("学员", 20), ("职工", None)]), ZH, "zh_CN") == (
        "至少20人（学员20人、职工；部分群体未统计人数）"
    )
    assert hsession.headcount(_doc([("学员", None)]), ZH, "zh_CN") == "未统计人数（学员）"
    assert hsession.headcount(_doc([]), ZH, "zh_CN") == ""


def test_photos_pointed_out_before_printing(
    demo_library: Library, tmp_path: Path, testdata: Path
) -> None:
    sid = session_id(demo_library)
    good = add_photo(demo_library, testdata / "landscape_1.jpg", caption="现场示范")  # 600 px
    small = add_photo(demo_library, testdata / "RGBA_8__128x128.png", caption="小图")  # 128 px
    attach_to_session(demo_library, sid, [good, small])
    day = c.load_session(demo_library, sid).starts_at
    with demo_library.transaction() as s:
        s.execute(update(Photo).where(Photo.id == good).values(taken_at=day + timedelta(hours=2)))
        s.execute(update(Photo).where(Photo.id == small).values(taken_at=day - timedelta(days=30)))
    warnings = handouts.photo_warnings(demo_library, "report", [sid])
    assert len(warnings) == 2
    far, blurred = sorted(warnings, key=lambda w: "ppi" in w)
    assert "“小图”" in far and "30 days" in far
    assert "“小图”" in blurred and re.search(r"print at \d+ ppi, less than 150", blurred)
    # The same photo on a guide step, in a box large enough for the 600 px one only.
    guide_id = c.save_guide(
        demo_library,
        c.GuideData(title="识别图", steps=[c.StepData("看。", photo_ids=[small, good])]),
    )
    (step,) = handouts.photo_warnings(demo_library, "guide", [guide_id])
    assert "“小图”" in step
    # Nothing to point out for the demo's own guides.
    with demo_library.session() as s:
        demo_guides = [g.id for g in s.scalars(select(Guide).where(Guide.id != guide_id))]
    assert handouts.photo_warnings(demo_library, "booklet", demo_guides, title="x") == []


def test_the_user_chooses_the_photos_and_their_order(
    demo_library: Library, tmp_path: Path, testdata: Path
) -> None:
    import pytest

    from desktop_app.core.errors import UserError

    sid = session_id(demo_library)
    first, second, third = (
        add_photo(demo_library, testdata / n, caption=cap)
        for n, cap in (
            ("landscape_1.jpg", "甲图"),
            ("DSCN0010.jpg", "乙图"),
            ("RGBA_8__128x128.png", "丙图"),
        )
    )
    attach_to_session(demo_library, sid, [first, second, third])
    # The grid order is the default, and the one the window offers.
    day = c.load_session(demo_library, sid).starts_at
    with demo_library.transaction() as s:
        s.execute(update(Photo).where(Photo.id == second).values(taken_at=day - timedelta(days=9)))
    offered = handouts.session_photos(demo_library, sid)
    assert [(p.id, p.label, p.days_off) for p in offered] == [
        (first, "甲图", None),
        (second, "乙图", 9),
        (third, "丙图", None),
    ]
    target = tmp_path / "report.pdf"
    # The third first, then the first (an 8-character prefix is enough); the second left out.
    handouts.build_session_report(demo_library, sid, target, photo_ids=[third, first[:8], third])
    flat = re.sub(r"\s+", "", text_of(target, body_only=True))
    assert flat.index("照片1丙图") < flat.index("照片2甲图")
    assert "乙图" not in flat and "照片3" not in flat
    # Only what is chosen is checked before printing: the second's far date is not pointed
    # out when it is left out, and is when it goes in.
    chosen = handouts.photo_warnings(demo_library, "report", [sid], photo_ids=[third, first])
    assert not any("乙图" in w for w in chosen) and any("丙图" in w for w in chosen)
    (far,) = handouts.photo_warnings(demo_library, "report", [sid], photo_ids=[second])
    assert "“乙图”" in far and "9 days" in far
    # None at all is a report without the photo pages.
    handouts.build_session_report(demo_library, sid, target, photo_ids=[])
    assert ZH(hsession.PHOTOS) not in text_of(target, body_only=True)
    # A photo that is not the session's is one sentence, and nothing is written.
    other = tmp_path / "other.pdf"
    with pytest.raises(UserError, match="not one of this session's photos"):
        handouts.build_session_report(demo_library, sid, other, photo_ids=["nonexistent-id"])
    assert not other.exists()
