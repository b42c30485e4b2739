"""Exports of a period: the workbook read back with openpyxl (sheets, Chinese titles, row
counts, real dates, empty cells for figures not recorded) and the CSV read as Excel reads it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import translator_for
from desktop_app.services.reports import csvfile, stats, tables, xlsx
from desktop_app.services.reports.period import Period
from desktop_app.storage.library import Library
from tests.services.report_fixtures import make_gapped_library

YEAR = Period(date(2024, 1, 1), date(2024, 12, 31))
ZH = translator_for("zh_CN")


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("gapped") / "lib"
    make_gapped_library(root)
    with Library.open(root) as library:
        yield library


def _count(library: Library, sql: str) -> int:
    lo, hi = YEAR.bounds()
    return int(library.reader().execute(sql, (lo, hi)).fetchone()[0])


LIVE = "s.deleted_at IS NULL AND s.starts_at >= ? AND s.starts_at < ?"


def test_workbook_has_a_sheet_per_table_with_chinese_titles_and_real_dates(
    gapped: Library, tmp_path: Path
) -> None:
    result = stats.compute(gapped, YEAR, "team", ZH)
    target = xlsx.write_xlsx(tmp_path / "台账.xlsx", tables.all_tables(gapped, result, ZH))
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["汇总", "活动", "出勤", "参与群体", "学员反馈"]

    summary = book["汇总"]
    assert [c.value for c in summary[1]][:4] == [
        "服务队",
        "活动场次",
        "服务时长（小时）",
        "受益学员（人次）",
    ]
    total_row = [c.value for c in summary[len(result.groups) + 2]]
    assert total_row[0] == "合计"
    assert total_row[1] == result.total.sessions
    assert total_row[3] == result.total.trainees
    assert total_row[7] == result.total.left_out_of("hours") > 0
    notes = [
        summary.cell(row=r, column=1).value
        for r in range(len(result.groups) + 4, summary.max_row + 1)
    ]
    assert any("未计入服务时长" in (n or "") for n in notes)

    sessions = book["活动"]
    assert sessions.freeze_panes == "A2"
    titles = [c.value for c in sessions[1]]
    assert titles[:5] == ["开始时间", "结束时间", "时长（小时）", "地点", "主题"]
    n_sessions = _count(gapped, f"SELECT count(*) FROM field_session s WHERE {LIVE}")
    assert sessions.max_row == n_sessions + 1 == result.total.sessions + 1
    rows = list(sessions.iter_rows(min_row=2, values_only=True))
    assert all(isinstance(r[0], datetime) for r in rows)
    assert sessions.cell(row=2, column=1).is_date
    assert sessions.cell(row=2, column=1).number_format == "yyyy-mm-dd hh:mm"
    # No end time: the end and hours cells are empty and the notes say why; never a 0.
    no_end = [r for r in rows if r[1] is None]
    assert len(no_end) == result.total.left_out["no_end"]
    assert all(r[2] is None and "无结束时间" in r[12] for r in no_end)
    no_counts = [r for r in rows if r[8] is None]
    assert len(no_counts) == result.total.left_out["no_counts"] + result.total.left_out["no_groups"]
    assert sum(r[8] or 0 for r in rows) == result.total.trainees
    # Width fits the Chinese text: a theme of 12 characters needs about 24 columns.
    theme_width = sessions.column_dimensions["E"].width
    longest = max(len(r[4]) for r in rows)
    assert theme_width >= min(2 * longest, xlsx.MAX_WIDTH)

    attendance = book["出勤"]
    assert [c.value for c in attendance[1]][:5] == ["日期", "地点", "主题", "劳模工匠", "现场角色"]
    assert attendance.max_row - 1 == _count(
        gapped,
        "SELECT count(*) FROM session_attendee sa JOIN field_session s ON s.id = sa.session_id"
        f" JOIN member m ON m.id = sa.member_id AND m.deleted_at IS NULL WHERE {LIVE}",
    )
    assert attendance.cell(row=2, column=1).is_date
    assert attendance.cell(row=2, column=5).value in {"讲解", "示范", "指导"}
    groups = book["参与群体"]
    assert groups.max_row - 1 == _count(
        gapped,
        "SELECT count(*) FROM participant_group pg JOIN field_session s"
        f" ON s.id = pg.session_id WHERE {LIVE}",
    )
    feedback = book["学员反馈"]
    assert feedback.max_row - 1 == _count(
        gapped,
        "SELECT count(*) FROM feedback_quote f JOIN field_session s"
        f" ON s.id = f.session_id WHERE {LIVE}",
    )


def test_csv_has_a_bom_and_reads_back_intact(gapped: Library, tmp_path: Path) -> None:
    result = stats.compute(gapped, YEAR, "team", ZH)
    table = tables.summary_table(result, ZH)
    target = csvfile.write_csv(tmp_path / "统计.csv", table)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    # Excel opens a BOM file as UTF-8; decoding as utf-8-sig is what it does.
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["服务队", "活动场次"]
    assert [r[0] for r in rows[1 : len(result.groups) + 1]] == [g.name for g in result.groups]
    total = rows[len(result.groups) + 1]
    assert total[0] == "合计" and int(total[1]) == result.total.sessions
    assert rows[-1][0].startswith("有 ") and rows[-1][0] in result.total.notes(ZH)


def test_the_demo_workbook_leaves_unknown_head_counts_empty(
    demo_library: Library, tmp_path: Path
) -> None:
    period = Period(date(2025, 8, 1), date(2025, 8, 31))
    result = stats.compute(demo_library, period, "member", ZH)
    book = openpyxl.load_workbook(
        xlsx.write_xlsx(tmp_path / "d.xlsx", tables.all_tables(demo_library, result, ZH))
    )
    summary = book["汇总"]
    assert [c.value for c in summary[2]][:4] == ["李佳", 1, 2, None]
    sessions = book["活动"]
    assert sessions.cell(row=2, column=4).value == "园博园"
    assert sessions.cell(row=2, column=13).value == "未填人数"


def test_writing_into_a_missing_folder_fails_in_one_sentence(
    demo_library: Library, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x")
    result = stats.compute(demo_library, YEAR, "team", ZH)
    with pytest.raises(UserError, match="Cannot write"):
        xlsx.write_xlsx(tmp_path / "file" / "x.xlsx", tables.all_tables(demo_library, result, ZH))
    with pytest.raises(UserError, match="Cannot write"):
        csvfile.write_csv(tmp_path / "file" / "x.csv", tables.summary_table(result, ZH))


def test_photo_bundle_has_a_folder_per_session_with_upright_photos(
    gapped: Library, tmp_path: Path
) -> None:
    import zipfile

    from PIL import Image

    from desktop_app.services.reports import photo_bundle

    march = Period(date(2024, 3, 1), date(2024, 3, 31))
    lo, hi = march.bounds()
    # Every photo the sessions' grids show (photos.session_photos), as Export photos… does.
    sql = (
        "SELECT count(DISTINCT sp.session_id), count(*) FROM session_photo sp"
        " JOIN field_session s ON s.id = sp.session_id"
        " WHERE s.deleted_at IS NULL AND s.starts_at >= ? AND s.starts_at < ?"
    )
    expected = gapped.reader().execute(sql, (lo, hi)).fetchone()
    result = photo_bundle.build_bundle(gapped, march, tmp_path / "照片.zip", long_edge=64)
    assert (result.sessions, result.photos) == tuple(expected)
    with zipfile.ZipFile(result.path) as bundle:
        names = bundle.namelist()
        assert len(names) == result.photos
        folders = {n.split("/")[0] for n in names}
        assert len(folders) == result.sessions
        assert all(f.startswith("2024-03-") and "_" in f for f in folders)
        with bundle.open(names[0]) as first:
            assert Image.open(first).format == "JPEG"
    with pytest.raises(UserError, match="No session of this period has photos"):
        photo_bundle.build_bundle(
            gapped, Period(date(2030, 1, 1), date(2030, 1, 2)), tmp_path / "x.zip"
        )
    assert not (tmp_path / "x.zip").exists()
    assert photo_bundle.folder_name("2024-03-01", "a/b:c", set()) == "2024-03-01_a b c"
    used: set[str] = set()
    assert [photo_bundle.folder_name("d", "园博园", used) for _ in range(2)] == [
        "d_园博园",
        "d_园博园_2",
    ]
