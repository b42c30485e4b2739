"""Benchmark: importing 100 distinct 12-megapixel JPEGs against a decode-only floor.

The figure is the whole import as the app does it (copy + SHA-256, EXIF, upright preview and
thumbnail written to the cache, rename into the store, each file and folder fsynced before the
group commit that records it, the WAL fsynced) into a fresh library. The floor, measured in the
same run on the same worker pool: decoding the same files with Pillow's JPEG draft mode at
thumbnail size on all cores. Goal: ≤ 2× the floor.

On Linux it also reports the CPU time both sides used (the app's process and the workers):
on a shared machine another user's load stretches wall times unevenly, CPU time much less.

Run with `python -m tests.benchmarks.bench_photo_import` (the JPEGs are generated once and kept
in /tmp/jiangxin-bench-photos).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.benchmarks.harness import BenchResult, format_table

COUNT = 100
SIZE = (4000, 3000)  # 12 megapixels
CACHE = Path(tempfile.gettempdir()) / "jiangxin-bench-photos"
RUNS = 5


def make_photos() -> list[Path]:
    """100 distinct 12 MP JPEGs that compress like photos (smooth areas, texture, edges)."""
    from PIL import Image, ImageDraw, ImageFilter

    CACHE.mkdir(parents=True, exist_ok=True)
    paths = [CACHE / f"IMG_{i:04d}.jpg" for i in range(COUNT)]
    if all(p.is_file() for p in paths):
        return paths
    base = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    texture = Image.effect_noise((SIZE[0] // 4, SIZE[1] // 4), 60).resize(SIZE).convert("RGB")
    base = Image.blend(base, texture, 0.35).filter(ImageFilter.GaussianBlur(1))
    for i, path in enumerate(paths):
        if path.is_file():
            continue
        img = base.copy()
        draw = ImageDraw.Draw(img)
        for k in range(12):
            x = (i * 97 + k * 331) % (SIZE[0] - 400)
            y = (i * 53 + k * 211) % (SIZE[1] - 400)
            draw.ellipse((x, y, x + 300, y + 260), fill=((i * 23 + k * 40) % 256, 120, 80))
        draw.text((50, 50), f"photo {i}", fill=(255, 255, 255))
        img.save(path, "JPEG", quality=90)
    return paths


def floor_decode(path: str) -> tuple[int, int]:
    """Decode one JPEG in draft mode at thumbnail size (the floor's unit of work)."""
    from PIL import Image

    with Image.open(path) as img:
        img.draft("RGB", (256, 256))
        img.load()
        return img.size


def cpu_seconds() -> float | None:
    """CPU time (user + system) used so far by this process and the import's worker pool;
    None where /proc is not available."""
    from desktop_app.services import photos

    pool = photos._get_pool()
    total = sum(os.times()[:2])
    try:
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return total


def measure_floor(paths: list[Path]) -> tuple[float, float | None]:
    """Wall time and CPU time of the floor."""
    from desktop_app.services import photos

    pool = photos._get_pool()
    cpu = cpu_seconds()
    start = time.perf_counter()
    list(pool.map(floor_decode, [str(p) for p in paths], chunksize=1))
    elapsed = time.perf_counter() - start
    after = cpu_seconds()
    return elapsed, (after - cpu if after is not None and cpu is not None else None)


def measure_import(paths: list[Path], work: Path) -> tuple[float, float | None]:
    """Wall time and CPU time of importing `paths` into a fresh library."""
    from desktop_app.services import photos
    from desktop_app.storage.library import Library

    root = work / f"lib-{time.monotonic_ns()}"
    library = Library.create(root)
    try:
        cpu = cpu_seconds()
        start = time.perf_counter()
        results = photos.import_photos(library, paths)
        elapsed = time.perf_counter() - start
        after = cpu_seconds()
        assert all(r.status == photos.IMPORTED for r in results), results[:3]
    finally:
        library.close()
        shutil.rmtree(root, ignore_errors=True)
    return elapsed, (after - cpu if after is not None and cpu is not None else None)


def run() -> list[BenchResult]:
    from desktop_app.services import photos

    paths = make_photos()
    work = Path(tempfile.mkdtemp(prefix="jiangxin-bench-"))
    try:
        # Warm up: start the worker pool and fill the OS file cache, for both sides alike.
        measure_floor(paths)
        measure_import(paths[:4], work)
        floors, imports = [], []
        cpu_ratios: list[float] = []
        for _ in range(RUNS):
            floor_wall, floor_cpu = measure_floor(paths)
            import_wall, import_cpu = measure_import(paths, work)
            floors.append(floor_wall)
            imports.append(import_wall)
            if floor_cpu and import_cpu is not None:
                cpu_ratios.append(import_cpu / floor_cpu)
            print(
                f"photo import run: {import_wall:.2f} s / floor {floor_wall:.2f} s"
                f" = {import_wall / floor_wall:.2f}x"
                + (
                    f"; CPU {import_cpu:.2f} s / {floor_cpu:.2f} s"
                    if floor_cpu and import_cpu
                    else ""
                ),
                file=sys.stderr,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = statistics.median(floors)
    full = statistics.median(imports)
    # Each run pairs an import with a floor measured just before it; on a shared machine the
    # median of the paired ratios drifts less than the ratio of the medians.
    paired = statistics.median(i / f for i, f in zip(imports, floors, strict=True))
    results = [
        BenchResult(
            name=f"import {COUNT} × 12 MP JPEG ({photos.worker_count()} workers)",
            median=full,
            unit="s",
            floor_name="draft decode at thumbnail size, all cores",
            floor_median=floor,
            goal="<= 2x floor",
            goal_met=full <= 2 * floor,
        ),
        BenchResult(name="paired ratio import/floor (median)", median=paired, unit="x"),
    ]
    if len(cpu_ratios) == RUNS:
        cpu = statistics.median(cpu_ratios)
        results.append(BenchResult(name="CPU time import/floor (median)", median=cpu, unit="x"))
    results.append(BenchResult(name="import rate", median=COUNT / full, unit="photos/s"))
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}"
    )


def main() -> None:
    from PIL import __version__ as pillow_version

    results = run()
    print(f"machine: {machine()}, Pillow {pillow_version}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, median of {RUNS} runs")
    print(format_table(results))


if __name__ == "__main__":
    main()
