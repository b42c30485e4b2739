"""Statistics for a period: every figure equals an independent count from the ORM objects,
sessions lacking what a figure is made of are reported as left out, and the rows lead back to
their sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from desktop_app.core.errors import UserError
from desktop_app.services.reports import period as periods
from desktop_app.services.reports import stats
from desktop_app.storage.library import Library
from tests.services.report_fixtures import Expected, expected_figures, make_gapped_library

YEAR = periods.Period(date(2024, 1, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """Opened read-only and shared: statistics change nothing."""
    root = tmp_path_factory.mktemp("gapped") / "lib"
    make_gapped_library(root)
    with Library.open(root) as library:
        yield library


def _check(fig: stats.Figures, exp: Expected) -> None:
    assert fig.sessions == len(exp.sessions)
    assert fig.hours == pytest.approx(exp.hours, abs=1e-6)
    assert fig.trainees == exp.trainees
    assert fig.hosts == len(exp.hosts)
    assert fig.guides == len(exp.guides)
    assert fig.photos == exp.photos
    assert fig.left_out == {k: v for k, v in exp.left_out.items() if v}


@pytest.mark.parametrize("by", stats.GROUPINGS)
def test_every_figure_matches_an_independent_count(gapped: Library, by: str) -> None:
    result = stats.compute(gapped, YEAR, by)
    groups, total = expected_figures(gapped, YEAR.start, YEAR.end, by)
    assert {g.key for g in result.groups} == set(groups)
    for fig in result.groups:
        _check(fig, groups[fig.key])
    _check(result.total, total)
    # The gaps the fixture made fall partly in 2024: every reason shows up somewhere.
    assert result.total.sessions > 100
    assert set(result.total.left_out) == set(stats.REASONS)


def test_total_counts_distinct_sessions_not_the_sum_of_rows(gapped: Library) -> None:
    result = stats.compute(gapped, YEAR, "team")
    # Sessions run by two teams appear in both rows but once in the total.
    assert sum(g.sessions for g in result.groups) > result.total.sessions
    assert result.total.sessions == sum(b.sessions for b in result.buckets)
    assert result.total.trainees == sum(b.trainees for b in result.buckets)
    assert [b.name for b in result.buckets] == [f"2024-{m:02d}" for m in range(1, 13)]


def test_left_out_sessions_are_said_in_a_sentence(gapped: Library) -> None:
    result = stats.compute(gapped, YEAR, "team")
    notes = result.total.notes()
    assert any("no end time" in n for n in notes)
    assert any("no head counts" in n for n in notes)
    n = result.total.left_out["no_end"]
    assert f"{n} sessions have no end time" in " ".join(notes)
    assert result.total.left_out_of("trainees") == sum(
        result.total.left_out.get(r, 0) for r in ("no_groups", "no_counts", "partial_counts")
    )


def test_a_row_leads_to_its_sessions(gapped: Library) -> None:
    result = stats.compute(gapped, YEAR, "team")
    groups, _total = expected_figures(gapped, YEAR.start, YEAR.end, "team")
    for fig in result.groups:
        ids = stats.session_ids(gapped, YEAR, "team", fig.key)
        assert set(ids) == groups[fig.key].sessions
        assert len(ids) == fig.sessions
    no_team = next(g for g in result.groups if g.key is None)
    assert no_team.name == "(no service team recorded)"
    assert result.groups[-1] is no_team  # the "no team" row comes last


def test_an_empty_period_gives_zero_rows_and_a_zero_total(gapped: Library) -> None:
    result = stats.compute(gapped, periods.Period(date(2030, 1, 1), date(2030, 1, 31)), "guide")
    assert result.groups == []
    assert result.total.sessions == 0 and result.total.left_out == {}
    assert [b.sessions for b in result.buckets] == [0]


def test_demo_session_is_left_out_of_trainees_not_counted_as_zero(
    demo_library: Library,
) -> None:
    result = stats.compute(demo_library, periods.preset("year", date(2025, 3, 1)), "member")
    assert [g.name for g in result.groups] == ["李佳", "周宗宝"]
    assert result.total.hours == pytest.approx(2.0)
    assert result.total.hosts == 2 and result.total.guides == 4
    assert result.total.left_out == {"no_counts": 1}
    assert not result.total.counted("trainees") and result.total.counted("hours")


def test_periods_presets_and_bad_input() -> None:
    assert periods.preset("month", date(2025, 12, 9)) == periods.Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    assert periods.preset("quarter", date(2025, 11, 9)) == periods.Period(
        date(2025, 10, 1), date(2025, 12, 31)
    )
    assert periods.preset("quarter", date(2025, 2, 28)) == periods.Period(
        date(2025, 1, 1), date(2025, 3, 31)
    )
    assert periods.preset("year", date(2024, 2, 29)).end == date(2024, 12, 31)
    assert periods.parse_day("2025/8/15") == date(2025, 8, 15)
    with pytest.raises(UserError, match="not a date"):
        periods.parse_day("2025-02-30")
    with pytest.raises(UserError, match="ends"):
        periods.Period(date(2025, 2, 1), date(2025, 1, 1))
    with pytest.raises(UserError, match="Cannot group"):
        stats.session_ids(
            None,  # type: ignore[arg-type]
            periods.preset("year"),
            "venue",
            None,
        )
    long = periods.Period(date(2019, 3, 1), date(2026, 2, 1))
    assert [b.label for b in long.buckets()] == [str(y) for y in range(2019, 2027)]


def test_periods_and_months_are_cut_at_local_midnight(
    empty_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    from datetime import UTC, datetime

    from desktop_app.services import catalog as c
    from desktop_app.services.reports import tables

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    monkeypatch.setattr(tables, "_LOCAL_OFFSETS", {})
    try:
        # 00:30 on 1 September in Beijing, stored as 16:30 on 31 August UTC.
        c.save_session(
            empty_library,
            c.SessionData(starts_at=datetime(2025, 8, 31, 16, 30, tzinfo=UTC), venue="园博园"),
        )
        august = stats.compute(empty_library, periods.Period(date(2025, 8, 1), date(2025, 8, 31)))
        autumn = stats.compute(empty_library, periods.Period(date(2025, 8, 1), date(2025, 9, 30)))
        assert august.total.sessions == 0
        assert [(b.name, b.sessions) for b in autumn.buckets] == [("2025-08", 0), ("2025-09", 1)]
        row = tables.sessions_table(empty_library.reader(), autumn.period, lambda s: s).rows[0]
        assert row[0] == datetime(2025, 9, 1, 0, 30)
    finally:
        monkeypatch.undo()
        time.tzset()
