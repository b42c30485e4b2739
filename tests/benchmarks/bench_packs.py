"""Knowledge pack throughput (not a timed test): `python -m tests.benchmarks.bench_packs`.

A library with 1,000 guides (5 steps each, one photo per step: 5,000 photos of generated,
incompressible bytes, 8–40 KB like small JPEGs) is exported as a whole-library pack and
imported into an empty library. Floors, measured in the same run on the same files: `zip -r`
of the photo folder (default settings, as a user would type it) for export, and `unzip` of
that zip for import. Throughput is the pack's size over the wall time. Also timed: importing
the same pack again (every record unchanged), which is what a second swap costs.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desktop_app.services import packs
from desktop_app.storage.library import Library
from desktop_app.storage.models import Guide, GuideStep, GuideStepPhoto, Photo, ServiceTeam
from desktop_app.storage.photostore import photo_path
from tests.benchmarks.harness import BenchResult, format_table

GUIDES = 1000
STEPS = 5
REPEAT = 3


def build_library(root: Path, seed: int = 7) -> Library:
    """1,000 guides and 5,000 photos, written straight into the store and the tables."""
    rng = random.Random(seed)
    library = Library.create(root, name="基准资料库")
    start = datetime(2024, 3, 1, tzinfo=UTC)
    with library.transaction() as s:
        team = ServiceTeam(name="专业技术服务2队", category="technical")
        s.add(team)
        s.flush()
        for g in range(GUIDES):
            guide = Guide(
                title=f"第{g}号指南：{rng.choice(['修剪', '病虫害防治', '嫁接', '施肥'])}",
                category=rng.choice(["修剪", "生物防治", "养护"]),
                problem="、".join(rng.sample(["枯枝", "病枝", "交叉枝", "徒长枝", "虫害"], 3)),
                season=f"{rng.randint(1, 12)}月",
                materials=rng.sample(["修枝剪", "高枝剪", "手锯", "伤口愈合剂", "手套"], 3),
                key_points=[f"要点{g}-{k}：留3到5个饱满芽，剪口呈45°" for k in range(3)],
                tags=["基准"],
                team_id=team.id,
                created_at=start + timedelta(minutes=g),
                updated_at=start + timedelta(minutes=g),
            )
            steps = []
            for k in range(STEPS):
                data = rng.randbytes(rng.randint(8_000, 40_000))
                import hashlib

                sha = hashlib.sha256(data).hexdigest()
                path = photo_path(library.photos_dir, sha, "jpg")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                photo = Photo(
                    sha256=sha,
                    ext="jpg",
                    original_name=f"IMG_{g:04d}_{k}.jpg",
                    byte_size=len(data),
                    width=800,
                    height=600,
                )
                s.add(photo)
                s.flush()
                step = GuideStep(
                    text=f"第{k + 1}步：{rng.choice(['观察', '疏枝', '短截', '清理'])}"
                    f"，编号{g}-{k}",
                    position=k,
                )
                step.photos = [GuideStepPhoto(photo_id=photo.id, position=0)]
                steps.append(step)
            guide.steps = steps
            s.add(guide)
    return library


def timed(fn: Callable[[], object], before: Callable[[], object] | None = None) -> list[float]:
    times = []
    for _ in range(REPEAT):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run() -> list[BenchResult]:
    for tool in ("zip", "unzip"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install -y zip unzip)")
    work = Path(tempfile.mkdtemp(prefix="jiangxin-bench-packs-"))
    try:
        t0 = time.perf_counter()
        source = build_library(work / "source")
        print(f"built the library in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        photo_bytes = sum(p.stat().st_size for p in source.photos_dir.rglob("*") if p.is_file())
        pack = work / "all.jxpack"
        export_times = timed(lambda: packs.export_pack(source, pack))
        pack_mb = pack.stat().st_size / 1e6

        plain = work / "plain.zip"

        def zip_photos() -> None:
            plain.unlink(missing_ok=True)
            subprocess.run(["zip", "-q", "-r", str(plain), "photos"], cwd=source.root, check=True)

        zip_times = timed(zip_photos)
        zip_mb = plain.stat().st_size / 1e6

        target_dir = work / "target"
        state: dict[str, Library] = {}

        def fresh_target() -> None:
            if "lib" in state:
                state.pop("lib").close()
            shutil.rmtree(target_dir, ignore_errors=True)
            state["lib"] = Library.create(target_dir)

        import_times = timed(lambda: packs.import_pack(state["lib"], pack), fresh_target)
        again_times = timed(lambda: packs.import_pack(state["lib"], pack))
        state.pop("lib").close()

        unzip_dir = work / "unzipped"

        def clear_unzip() -> None:
            shutil.rmtree(unzip_dir, ignore_errors=True)

        unzip_times = timed(
            lambda: subprocess.run(["unzip", "-q", str(plain), "-d", str(unzip_dir)], check=True),
            clear_unzip,
        )
        source.close()
        med = statistics.median
        print(
            f"pack {pack_mb:.1f} MB ({photo_bytes / 1e6:.1f} MB of photos), "
            f"plain zip {zip_mb:.1f} MB; cores: {os.cpu_count()}",
            file=sys.stderr,
        )
        return [
            BenchResult(
                f"export 1,000 guides + 5,000 photos ({pack_mb:.0f} MB), MB/s",
                pack_mb / med(export_times),
                "MB/s",
                "zip -r of the photo folder",
                zip_mb / med(zip_times),
            ),
            BenchResult("export, wall time", med(export_times), "s", "zip -r", med(zip_times)),
            BenchResult(
                "import into an empty library, MB/s",
                pack_mb / med(import_times),
                "MB/s",
                "unzip of that zip",
                zip_mb / med(unzip_times),
            ),
            BenchResult("import, wall time", med(import_times), "s", "unzip", med(unzip_times)),
            BenchResult(
                "import the same pack again (all unchanged), wall time",
                med(again_times),
                "s",
                "unzip",
                med(unzip_times),
            ),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print(format_table(run()))
