"""Handout build time and size (not a timed test): `python -m tests.benchmarks.bench_handouts`.

1. A guide handout with 12 photos from 12-megapixel camera JPEGs (≈35 MB of originals).
   Floor: decoding and downscaling those 12 photos alone (the same code, the same two
   threads), so the ratio shows what typesetting and writing add on this machine.
   Goal: under 1.5 s and under 3 MB.
2. A take-home pack of 10 guides (each with two 12 MP photos) for one session.
   Floor: preparing its 20 photos alone.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.core.progress import NullProgress
from desktop_app.services import catalog as c
from desktop_app.services import handouts
from desktop_app.services.demo import fill_demo
from desktop_app.services.handouts.data import load_guide_docs, load_session_doc
from desktop_app.services.handouts.photos import PhotoPlanner
from desktop_app.storage.library import Library
from tests.benchmarks.harness import BenchResult, format_table
from tests.services.handout_fixtures import (
    add_photo,
    attach_to_steps,
    camera_like_jpegs,
)

GUIDE_REPEAT = 7
PACK_REPEAT = 3


def _timed(fn: object, repeat: int) -> list[float]:
    assert callable(fn)
    fn()  # warm-up: fonts registered, modules imported
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _photo_floor(library: Library, guide_ids: list[str], repeat: int) -> list[float]:
    """Prepare (decode, orient, downscale, encode) exactly the photos the handout prints."""
    from desktop_app.services.handouts.guide import _steps  # the same boxes as the handout
    from desktop_app.services.handouts.styles import make_styles

    guides = load_guide_docs(library, guide_ids)
    styles = make_styles("A4")

    def run_once() -> None:
        planner = PhotoPlanner(lambda s: s)
        for guide in guides:
            _steps(guide, styles, planner, heading=_Nothing())
        planner.prepare_all(NullProgress())

    return _timed(run_once, repeat)


class _Nothing:
    """Stands in for a heading flowable; the floor only plans photos."""


def run() -> list[BenchResult]:
    work = Path(tempfile.mkdtemp(prefix="jiangxin-bench-handouts-"))
    try:
        return _run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path) -> list[BenchResult]:
    library = Library.create(work / "lib")
    try:
        fill_demo(library)
        photos = camera_like_jpegs(work / "camera", 32)
        originals_mb = sum(p.stat().st_size for p in photos[:12]) / 1e6
        photo_ids = [add_photo(library, p) for p in photos]
        guides = {r["title"]: str(r["id"]) for r in _guides(library)}
        rose = guides["月季修剪"]
        attach_to_steps(library, rose, photo_ids[:12], 2)

        out = work / "guide.pdf"
        sizes: list[int] = []

        def build_guide() -> None:
            result = handouts.build_guide_handout(library, rose, out)
            sizes.append(result.size)

        guide_times = _timed(build_guide, GUIDE_REPEAT)
        floor_times = _photo_floor(library, [rose], GUIDE_REPEAT)

        # Ten guides for one session: the four demo guides plus six more, two photos each.
        session_id = _session_with_ten_guides(library, guides, photo_ids[12:])
        session = load_session_doc(library, session_id)
        assert len(session.guides) == 10
        pack_out = work / "pack.pdf"
        pack_sizes: list[int] = []
        pack_pages: list[int] = []

        def build_pack() -> None:
            result = handouts.build_session_pack(library, session_id, pack_out)
            pack_sizes.append(result.size)
            pack_pages.append(result.pages)

        pack_times = _timed(build_pack, PACK_REPEAT)
        pack_floor = _photo_floor(library, [g.id for g in session.guides], PACK_REPEAT)
    finally:
        library.close()

    guide_ms = statistics.median(guide_times) * 1000
    size_mb = statistics.median(sizes) / 1e6
    pack_ms = statistics.median(pack_times) * 1000
    return [
        BenchResult(
            "guide handout, 12 photos of 12 MP",
            guide_ms,
            "ms",
            "prepare the 12 photos alone",
            statistics.median(floor_times) * 1000,
            "< 1500 ms",
            guide_ms < 1500,
        ),
        BenchResult(
            "guide handout size",
            size_mb,
            "MB",
            "the 12 original JPEGs",
            originals_mb,
            "< 3 MB",
            size_mb < 3,
        ),
        BenchResult(
            f"take-home pack, 10 guides, 20 photos, {statistics.median(pack_pages):.0f} pages",
            pack_ms,
            "ms",
            "prepare the 20 photos alone",
            statistics.median(pack_floor) * 1000,
        ),
        BenchResult("take-home pack size", statistics.median(pack_sizes) / 1e6, "MB"),
    ]


def _guides(library: Library) -> list[dict[str, object]]:
    from desktop_app.services import listing

    return listing.list_rows(library, "guide")


def _session_with_ten_guides(library: Library, guides: dict[str, str], photo_ids: list[str]) -> str:
    ids = list(guides.values())
    template = c.load_guide(library, guides["花后修剪"])
    for n in range(10 - len(ids)):
        template.title = f"花灌木修剪（第{n + 1}部分）"
        template.steps = [c.StepData(s.text) for s in template.steps]
        ids.append(c.save_guide(library, template))
    for i, gid in enumerate(ids):
        attach_to_steps(library, gid, photo_ids[2 * i : 2 * i + 2], 1)
    return c.save_session(
        library,
        c.SessionData(
            starts_at=datetime(2025, 9, 1, 1, 30, tzinfo=UTC),
            theme="花灌木养护培训",
            venue="园博园",
            guide_ids=ids,
        ),
    )


def main() -> int:
    results = run()
    print(format_table(results))
    return 0 if all(r.goal_met is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
