"""Sign-in sheets and feedback forms: what is printed, how the rows fill the pages, and that the
QR code and the printed code lead back to the session (decoded with zbarimg from a rendered
page, as a phone or a USB scanner would read it)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from desktop_app.core.i18n import translator_for
from desktop_app.services import catalog as c
from desktop_app.services import handouts, search, session_code
from desktop_app.services.handouts import sheets
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, ParticipantGroup
from tests.needs import tool
from tests.services.test_handouts import assert_fonts_embedded, page_size, pages_of, text_of

ZH = translator_for("zh_CN")


def session_id(library: Library) -> str:
    with library.session() as s:
        return s.scalars(select(FieldSession.id)).one()


def decode_qr(pdf: Path, page: int, tmp_path: Path) -> list[str]:
    tool("zbarimg", "zbarimg (Debian zbar-tools, installed by `make system-deps`) is missing")
    prefix = tmp_path / f"qr-{page}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", str(page), "-l", str(page), str(pdf), str(prefix)],
        check=True,
    )
    (png,) = tmp_path.glob(f"qr-{page}*.png")
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=False
    ).stdout
    png.unlink()
    return out.split()


def row_numbers(text: str) -> list[int]:
    """The numbers at the start of the sign-in rows, in reading order."""
    return [int(m) for m in re.findall(r"^\s*(\d{1,3})\s*$", text, flags=re.M)]


# --- the code -------------------------------------------------------------------------------


def test_session_code_is_short_unambiguous_and_forgiving() -> None:
    sid = "46e84cb0-b6ae-4438-8a79-abd08c0f6b92"
    code = session_code.session_code(sid)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    bits = session_code.parse_code(code)
    assert bits is not None and f"{bits:010x}" == "46e84cb0b6"
    # Typed by hand: lower case, no hyphen, spaces, O for 0 and I or L for 1 all mean the same.
    assert session_code.parse_code(code.lower().replace("-", " ")) == bits
    assert session_code.parse_code(code.replace("-", "")) == bits
    with_one = session_code.session_code("10000000-0000-4000-8000-000000000000")
    assert with_one == "2000-0000"  # 0x10000000 00: the first five bits are 00010
    assert session_code.parse_code("0O1I-L000") == session_code.parse_code("0011-1000")
    for not_a_code in ("", "修剪", "ABC", "ABCDEFGHJ", "ABCD-EFGU", "月季修剪技术"):
        assert session_code.parse_code(not_a_code) is None
    # An id that is not a UUID (an imported record) still gets a stable code.
    assert session_code.session_code("demo-1") == session_code.session_code("demo-1")
    assert session_code.session_code("demo-1") != session_code.session_code("demo-2")


def test_code_finds_its_session_in_search(demo_library: Library) -> None:
    sid = session_id(demo_library)
    code = session_code.session_code(sid)
    for typed in (code, code.lower(), code.replace("-", ""), f"  {code} "):
        hits = search.search(demo_library, typed)
        assert [(h.kind, h.id) for h in hits if h.rank == search.CODE_RANK] == [("session", sid)]
        (hit,) = [h for h in hits if h.kind == "session"]
        assert "绿色养护提质增效" in hit.title
    # Limited to other kinds, or a code no session has: nothing found by code.
    assert search.search(demo_library, code, kinds=["guide"]) == []
    other = "0000-0000" if code != "0000-0000" else "0000-0001"
    assert search.sessions_by_code(demo_library, other) == []
    # A deleted session is not found by its code.
    c.delete_record(demo_library, "session", sid)
    assert search.sessions_by_code(demo_library, code) == []


def test_code_of_a_session_whose_id_is_not_a_uuid(demo_library: Library) -> None:
    start = datetime(2025, 9, 1, 1, 30, tzinfo=UTC)
    sid = c.save_session(demo_library, c.SessionData(starts_at=start, theme="导入的活动"))
    with demo_library.transaction() as s:
        s.execute(update(FieldSession).where(FieldSession.id == sid).values(id="imported-42"))
    code = session_code.session_code("imported-42")
    assert [h.id for h in search.sessions_by_code(demo_library, code)] == ["imported-42"]


# --- sign-in sheet --------------------------------------------------------------------------


def test_signin_sheet(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    code = session_code.session_code(sid)
    target = tmp_path / "签到表.pdf"
    result = handouts.build_signin_sheet(demo_library, sid, target)
    assert result.pages == pages_of(target) == 1
    assert page_size(target) == pytest.approx((841.89, 595.28), abs=0.5)  # landscape A4
    assert_fonts_embedded(target)
    text = text_of(target)
    flat = re.sub(r"\s+", "", text)
    for label in (
        sheets.SIGNIN_TITLE,
        sheets.ACTIVITY,
        sheets.WHEN,
        sheets.VENUE,
        sheets.TEAM,
        sheets.NUMBER,
        sheets.NAME,
        sheets.EMPLOYER,
        sheets.GROUP_BY_NUMBER,
        sheets.PHONE,
        sheets.SIGNATURE,
        sheets.CODE,
    ):
        assert re.sub(r"\s+", "", ZH(label)) in flat, ZH(label)
    assert "签到表" in flat and "姓名" in flat and "联系电话" in flat and "签名" in flat
    # The header: activity, date, venue, team.
    assert "绿色养护提质增效" in flat and "2025年8月15日" in flat and "园博园" in flat
    assert "专业技术服务2队" in flat
    # The group legend, numbered, and the expected service team written in rows 1 and 2.
    assert "①劳模工匠代表" in flat and "④北京农业职业学院团队" in flat
    assert re.search(r"1\s*周宗宝\s*专业技术服务2队\s*服务队", text)
    assert re.search(r"2\s*李佳\s*专业技术服务2队\s*服务队", text)
    # Numbered rows to the foot of the page.
    numbers = row_numbers(text)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 8
    assert code in flat
    assert decode_qr(target, 1, tmp_path) == [code]


def test_signin_sheet_has_rows_for_everyone_expected(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    code = session_code.session_code(sid)
    with demo_library.transaction() as s:
        s.execute(
            update(ParticipantGroup).where(ParticipantGroup.session_id == sid).values(count=15)
        )
    target = tmp_path / "big.pdf"
    result = handouts.build_signin_sheet(demo_library, sid, target)
    assert result.pages >= 3
    numbers: list[int] = []
    for page in range(1, result.pages + 1):
        page_text = text_of(target, page, page)
        on_page = row_numbers(page_text)
        assert len(on_page) >= 8, f"page {page} has only {len(on_page)} rows"
        numbers += on_page
        # Pages come back separately: each carries the column heads and the session's code.
        assert "签名" in page_text and code in page_text
    # 60 trainees and 2 of the service team, with room to spare, numbered without gaps.
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 62 + 3


# --- feedback form --------------------------------------------------------------------------


def test_feedback_form(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    code = session_code.session_code(sid)
    target = tmp_path / "反馈表.pdf"
    result = handouts.build_feedback_form(demo_library, sid, target)
    assert result.pages == pages_of(target) == 1  # one A4 sheet to hand out
    assert page_size(target) == pytest.approx((595.28, 841.89), abs=0.5)
    assert_fonts_embedded(target)
    flat = re.sub(r"\s+", "", text_of(target))
    assert "学员反馈表" in flat and "绿色养护提质增效" in flat and "园博园" in flat
    for question in sheets.QUESTIONS:
        assert re.sub(r"\s+", "", ZH(question)) in flat
    # Four tick boxes under each of the four questions.
    assert flat.count("□非常满意") == len(sheets.QUESTIONS)
    assert flat.count("□不满意") == len(sheets.QUESTIONS)
    # The session's groups and guides to tick, space to write, and the code.
    assert "□劳模工匠代表" in flat and "□月季修剪" in flat
    assert ZH(sheets.WISHES).replace(" ", "") in flat and "姓名（可不填）" in flat
    assert code in flat
    assert decode_qr(target, 1, tmp_path) == [code]


def test_sheets_on_a5_and_in_english(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    a5 = handouts.HandoutOptions("A5", language="en")
    signin = handouts.build_signin_sheet(demo_library, sid, tmp_path / "s.pdf", a5)
    assert page_size(signin.path) == pytest.approx((595.28, 419.53), abs=0.5)
    text = text_of(signin.path)
    assert "Sign-in sheet" in text and "Signature" in text
    feedback = handouts.build_feedback_form(demo_library, sid, tmp_path / "f.pdf", a5)
    assert "Verysatisfied" in re.sub(r"\s+", "", text_of(feedback.path))
    assert decode_qr(signin.path, 1, tmp_path) == [session_code.session_code(sid)]


def test_unknown_session_is_a_user_error(demo_library: Library, tmp_path: Path) -> None:
    with pytest.raises(handouts.UserError):
        handouts.build_signin_sheet(demo_library, "no-such-session", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX file modes")
def test_exported_pdf_gets_the_users_umask(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    old = os.umask(0o022)
    try:
        result = handouts.build_feedback_form(demo_library, sid, tmp_path / "a.pdf")
        assert stat.S_IMODE(result.path.stat().st_mode) == 0o644  # readable by others
        os.umask(0o027)
        result = handouts.build_signin_sheet(demo_library, sid, tmp_path / "b.pdf")
        assert stat.S_IMODE(result.path.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_sheets_with_hostile_text_and_many_groups(demo_library: Library, tmp_path: Path) -> None:
    sid = session_id(demo_library)
    data = c.load_session(demo_library, sid)
    data.theme = "剪刀<b>安全</b> & </para> " + "很长的活动名称" * 12
    data.groups = [c.GroupData(f"第{i}组<学员>&", None) for i in range(1, 13)]
    c.save_session(demo_library, data, sid)
    signin = handouts.build_signin_sheet(demo_library, sid, tmp_path / "s.pdf")
    flat = re.sub(r"\s+", "", text_of(signin.path))
    assert "剪刀<b>安全</b>&</para>" in flat
    # More groups than circled numbers: plain numbers, every group listed.
    assert "12.第12组<学员>&" in flat and "1.第1组<学员>&" in flat
    feedback = handouts.build_feedback_form(demo_library, sid, tmp_path / "f.pdf")
    assert "□第12组<学员>&" in re.sub(r"\s+", "", text_of(feedback.path))
    assert decode_qr(signin.path, 1, tmp_path) == [session_code.session_code(sid)]
