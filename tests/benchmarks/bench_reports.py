"""Reporting on the large library (20,000 sessions): statistics and the Excel export.

- statistics for a year grouped by team (every figure, the left-out counts, the month
  buckets, the names), against a plain SQL aggregate of the same year's sessions, hours and
  head counts per team as the floor; goal <= 100 ms median;
- the .xlsx export of all 20,000 sessions (the rows read from the library, typed, widths
  measured, written with formats), against XlsxWriter alone writing the same rows, already
  in memory, with no formats; goal <= 2x the floor.

The library is the one `bench_large` generates and reuses.
"""

from __future__ import annotations

import io
import sys
from datetime import date

from tests.benchmarks.bench_large import ensure_library, library_dir
from tests.benchmarks.harness import BenchResult, format_table, measure

STATS_GOAL_MS = 100.0
XLSX_GOAL_RATIO = 2.0

# The floor: what any statistics for a year must at least do, as one grouped aggregate over
# the year's sessions (found through the date index) and their teams: sessions, hours and
# head counts per team, with none of the left-out accounting, distinct counts or months.
FLOOR_SQL = """
WITH s AS MATERIALIZED (
  SELECT id, starts_at, ends_at FROM field_session
  WHERE deleted_at IS NULL AND starts_at >= ? AND starts_at < ?
)
SELECT st.team_id, count(*), sum((julianday(s.ends_at) - julianday(s.starts_at)) * 24),
  sum((SELECT sum(count) FROM participant_group pg WHERE pg.session_id = s.id))
FROM s JOIN session_team st ON st.session_id = s.id
GROUP BY st.team_id
"""


def run() -> list[BenchResult]:
    from desktop_app.core.i18n import translator_for
    from desktop_app.services.reports import stats, tables, xlsx
    from desktop_app.services.reports.period import Period
    from desktop_app.storage.library import Library

    root = library_dir()
    seconds = ensure_library(root)
    if seconds is not None:
        print(f"generated the large library in {seconds:.0f} s", file=sys.stderr)
    tr = translator_for("zh_CN")
    year = Period(date(2024, 1, 1), date(2024, 12, 31))
    everything = Period(date(2000, 1, 1), date(2030, 12, 31))
    results: list[BenchResult] = []
    with Library.open(root) as library:
        conn = library.reader()
        lo, hi = year.bounds()
        stats_ms = measure(lambda: stats.compute(library, year, "team", tr), repeat=9)
        floor_ms = measure(lambda: conn.execute(FLOOR_SQL, (lo, hi)).fetchall(), repeat=9)
        sessions = stats.compute(library, year, "team", tr).total.sessions
        results.append(
            BenchResult(
                f"statistics, a year by team ({sessions} sessions)",
                stats_ms,
                "ms",
                "plain SQL aggregate per team",
                floor_ms,
                f"<= {STATS_GOAL_MS:.0f} ms",
                stats_ms <= STATS_GOAL_MS,
            )
        )

        def export() -> bytes:
            return xlsx.workbook_bytes([tables.sessions_table(conn, everything, tr)])

        table = tables.sessions_table(conn, everything, tr)
        rows = table.rows
        titles = [c.title for c in table.columns]

        def xlsxwriter_alone() -> bytes:
            import xlsxwriter

            buffer = io.BytesIO()
            book = xlsxwriter.Workbook(buffer, {"in_memory": True})
            sheet = book.add_worksheet()
            sheet.write_row(0, 0, titles)
            for r, row in enumerate(rows, start=1):
                sheet.write_row(r, 0, row)
            book.close()
            return buffer.getvalue()

        export_ms = measure(export, repeat=5)
        alone_ms = measure(xlsxwriter_alone, repeat=5)
        results.append(
            BenchResult(
                f"xlsx export of all {len(rows)} sessions",
                export_ms,
                "ms",
                "XlsxWriter alone, same rows",
                alone_ms,
                f"<= {XLSX_GOAL_RATIO:.0f}x floor",
                export_ms <= XLSX_GOAL_RATIO * alone_ms,
            )
        )
        read_ms = measure(lambda: tables.sessions_table(conn, everything, tr), repeat=5)
        results.append(BenchResult("  of which: reading the 20,000 session rows", read_ms, "ms"))
    return results


if __name__ == "__main__":
    print(format_table(run()))
