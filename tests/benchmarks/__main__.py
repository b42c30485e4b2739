"""`make bench` = `python -m tests.benchmarks [NAME ...]`: run every `bench_*` module, one table.

Each module exposes `run() -> list[BenchResult]` (see `harness.py`). NAME picks modules by
their short name (`large`, `photo_import`, `handouts`, `packs`); without names all run, the
large library first. A module that fails is reported as a row and the others still run.
Progress notes go to stderr, the table to stdout.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from tests.benchmarks.harness import BenchResult, format_table

HERE = Path(__file__).resolve().parent
FIRST = ["large"]


def module_names() -> list[str]:
    found = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    return [n for n in FIRST if n in found] + [n for n in found if n not in FIRST]


def machine() -> str:
    import os

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    return (
        f"{platform.system()} {platform.release()}, {cpu or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    wanted = argv or module_names()
    unknown = [n for n in wanted if n not in module_names()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have {module_names()}", file=sys.stderr)
        return 2
    results: list[BenchResult] = []
    failed = 0
    for name in wanted:
        print(f"== {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"tests.benchmarks.bench_{name}")
            results.extend(module.run())
        except Exception:
            failed += 1
            traceback.print_exc()
            results.append(BenchResult(f"{name}: FAILED (see stderr)", 0.0, "-"))
        print(f"   {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"Machine: {machine()}")
    print(f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(format_table(results))
    met = [r for r in results if r.goal_met is not None]
    print(f"Goals met: {sum(1 for r in met if r.goal_met)} of {len(met)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
