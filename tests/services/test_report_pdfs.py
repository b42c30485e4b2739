"""The printed reports: the service ledger (服务台账) with its charts and the member's service
record (个人服务记录); fonts embedded, Chinese labels present as text, figures as counted."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from desktop_app.core.errors import RecordNotFoundError
from desktop_app.core.i18n import translator_for
from desktop_app.services.reports import ledger, member_record, stats
from desktop_app.services.reports.period import Period
from desktop_app.storage.library import Library
from tests.services.report_fixtures import make_gapped_library
from tests.services.test_handouts import assert_fonts_embedded, pages_of
from tests.services.test_handouts import text_of as pdf_text

ZH = translator_for("zh_CN")
YEAR = Period(date(2024, 1, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("gapped") / "lib"
    make_gapped_library(root)
    with Library.open(root) as library:
        yield library


def _flat(text: str) -> str:
    return "".join(text.split())


def test_ledger_has_figures_charts_sessions_and_a_sign_off(gapped: Library, tmp_path: Path) -> None:
    result = stats.compute(gapped, YEAR, "team", ZH)
    target = tmp_path / "台账.pdf"
    pages = ledger.render_ledger(gapped, result, target, tr=ZH)
    assert pages == pages_of(target) >= 2
    assert_fonts_embedded(target)
    first = _flat(pdf_text(target, 1, 1))
    assert "服务台账" in first and "统计时间：2024-01-01至2024-12-31" in first
    for label in ("统计数字", "活动场次", "服务时长", "受益人次", "合计", "未计入统计的活动"):
        assert label in first, label
    for note in result.total.notes(ZH):
        assert _flat(note) in first
    # The charts' titles and axis labels are text, in the bundled font.
    # (The month labels are slanted: pdftotext cannot read them back in order.)
    for label in ("各月活动场次", "各月受益学员（人次）"):
        assert label in first, label
    assert "各服务队活动场次（前3名）" in _flat(pdf_text(target, 1, 2))
    everything = _flat(pdf_text(target))
    for g in result.groups:
        assert _flat(g.name) in everything
    layout = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(target), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    total_line = next(line for line in layout.splitlines() if line.strip().startswith("合计"))
    t = result.total
    assert total_line.split() == [
        "合计",
        *map(str, (t.sessions, round(t.hours), t.trainees, t.hosts, t.guides, t.photos)),
    ]
    # Every session of the period is a row of the ledger: count the dates printed.
    assert everything.count("2024-") >= result.total.sessions
    for label in ("填报与审核", "填报人：", "审核人：", "填报单位（盖章）：", "日期："):
        assert label in everything, label


def test_ledger_of_an_empty_period_says_so(demo_library: Library, tmp_path: Path) -> None:
    period = Period(date(2030, 1, 1), date(2030, 3, 31))
    result = stats.compute(demo_library, period, "guide", ZH)
    target = tmp_path / "empty.pdf"
    ledger.render_ledger(demo_library, result, target, tr=ZH)
    assert_fonts_embedded(target)
    text = _flat(pdf_text(target))
    assert "本期没有活动。" in text and "2030-01" in text


def test_member_record_lists_sessions_roles_hours_and_guides(
    demo_library: Library, tmp_path: Path
) -> None:
    zhou = (
        demo_library.reader().execute("SELECT id FROM member WHERE name = '周宗宝'").fetchone()[0]
    )
    record = member_record.load_record(demo_library, zhou[:8])
    assert record.name == "周宗宝" and len(record.sessions) == 1
    assert record.hours == pytest.approx(2.0)
    assert sorted(g.title for g in record.guides) == ["月季修剪", "榆叶梅修剪", "花后修剪"]
    target = tmp_path / "周宗宝.pdf"
    member_record.render_member_record(demo_library, record, target, tr=ZH)
    assert_fonts_embedded(target)
    text = _flat(pdf_text(target))
    for expected in (
        "个人服务记录：周宗宝",
        "北京市先进工作者",
        "专业技术服务2队（队员）",
        "参加活动1场，服务时长2小时，编写指南3篇",
        "2025-08-15",
        "园博园",
        "绿色养护提质增效",
        "讲解",
        "讲解花后修剪和月季修剪要点",
        "月季修剪",
        "李佳",  # co-author
        "本人签字：",
        "所在单位意见（盖章）：",
    ):
        assert expected in text, expected


def test_member_record_for_a_period_and_a_missing_member(
    demo_library: Library, tmp_path: Path
) -> None:
    li = demo_library.reader().execute("SELECT id FROM member WHERE name = '李佳'").fetchone()[0]
    record = member_record.load_record(
        demo_library, li, Period(date(2026, 1, 1), date(2026, 12, 31))
    )
    assert record.sessions == [] and len(record.guides) == 2
    target = tmp_path / "li.pdf"
    member_record.render_member_record(
        demo_library, record, target, tr=ZH, period=Period(date(2026, 1, 1), date(2026, 12, 31))
    )
    assert "没有活动记录。" in _flat(pdf_text(target))
    with pytest.raises(RecordNotFoundError):
        member_record.load_record(demo_library, "nobody-at-all")
