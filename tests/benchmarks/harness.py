"""Shared harness for `make bench` (`python -m tests.benchmarks`).

Convention for every benchmark module in this package (``bench_*.py``): expose
``run() -> list[BenchResult]``. Each result carries the median of the measured figure and
the median of a *floor* measured in the same run on the same machine (e.g. bare QApplication
start-up, copying the same bytes, an empty query), so the printed ratio stays meaningful on a
busy shared machine where absolute times drift. ``__main__`` imports every ``bench_*`` module,
calls ``run()`` and prints one table.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchResult:
    """One row of the benchmark table.

    name: what was measured ("search 2-char 修剪").
    median: median of the measured figure, in ``unit``.
    unit: "ms", "s", "MB", "photos/s"... (the floor uses the same unit).
    floor_name: what the floor is ("bare QMainWindow shown"); "" when there is none.
    floor_median: median of the floor in ``unit``; None when there is none.
    goal: human-readable goal ("<= 4x floor", "< 30 ms"); "" when none.
    goal_met: whether the goal is met; None when there is no goal or it cannot be judged.
    """

    name: str
    median: float
    unit: str
    floor_name: str = ""
    floor_median: float | None = None
    goal: str = ""
    goal_met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.floor_median is None or self.floor_median <= 0:
            return None
        return self.median / self.floor_median


def measure(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def median(values: list[float]) -> float:
    return statistics.median(values)


def format_table(results: list[BenchResult]) -> str:
    """One plain-text table: figure, median, floor, ratio, goal, met."""
    headers = ["figure", "median", "floor", "floor median", "ratio", "goal", "met"]
    rows: list[list[str]] = []
    for r in results:
        rows.append(
            [
                r.name,
                f"{r.median:.1f} {r.unit}",
                r.floor_name or "-",
                f"{r.floor_median:.1f} {r.unit}" if r.floor_median is not None else "-",
                f"{r.ratio:.2f}x" if r.ratio is not None else "-",
                r.goal or "-",
                {True: "yes", False: "NO", None: "-"}[r.goal_met],
            ]
        )
    widths = [max(_width(h), *(_width(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines = [_row(headers, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(row, widths) for row in rows]
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _row(cells: list[str], widths: list[int]) -> str:
    return " | ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
