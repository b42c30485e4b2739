"""First sync from a hub into an empty laptop, against importing a pack of the same content
(not a timed test): `python -m tests.benchmarks hub_sync` (JIANGXIN_BENCH_HUB_SCALES=0.1,1 for
2,000 and 20,000 sessions; default 0.1).

Set-up, not timed: a generated large library (`services/largegen.py`: at scale 0.1, 5 teams,
50 members, 200 guides, 2,000 sessions, 5,000 photos) is published to a hub (a throw-away
PostgreSQL cluster from tests/pgserver.py, the hub app served by uvicorn over HTTPS on
loopback, in this process), and exported as a whole-library pack.

Timed, in the same run on the same machine: `hub_sync.sync` of an empty, connected library
(pull every page, download and check every photo, merge in one transaction) and
`packs.import_pack` of the pack into another empty library; the pack import is the floor, and
issue 14's goal is a first sync ≤ 1.5× the import. Also timed: an incremental sync after one
changed record on another laptop (goal: median ≤ 150 ms on loopback), and the status (with its
count of changes waiting to be published) of that laptop.

`JIANGXIN_BENCH_HUB_ONLY=incremental` skips the pack export and imports and makes one first
sync only (the laptop the incremental syncs are timed on): at 20,000 sessions the set-up is
most of the run. `JIANGXIN_BENCH_HUB_BATCH` sets the records per publish of the set-up (default
the laptop's 500; the hub takes up to 2,000).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop_app.services import catalog, hub_sync, packs
from desktop_app.services.largegen import generate_large
from desktop_app.storage.library import Library
from desktop_app.storage.models import ServiceTeam
from tests.benchmarks.harness import BenchResult, format_table

PASSWORD = "benchmark-password-1"
REPEAT = int(os.environ.get("JIANGXIN_BENCH_HUB_REPEAT", "3"))
ONLY_INCREMENTAL = os.environ.get("JIANGXIN_BENCH_HUB_ONLY", "") == "incremental"
SETUP_BATCH = int(os.environ.get("JIANGXIN_BENCH_HUB_BATCH", str(hub_sync.PUBLISH_BATCH)))


def _scales() -> list[float]:
    raw = os.environ.get("JIANGXIN_BENCH_HUB_SCALES", "0.1")
    return [float(x) for x in raw.split(",") if x.strip()]


def _note(text: str) -> None:
    print(f"[hub_sync] {text}", file=sys.stderr, flush=True)


SERVE = """
import sys, uvicorn
from desktop_app.hub.app import create_app
from desktop_app.hub.database import HubStore
url, port, cert, key = sys.argv[1:5]
uvicorn.run(create_app(HubStore.open(url)), host="127.0.0.1", port=int(port),
            ssl_certfile=cert, ssl_keyfile=key, log_level="warning")
"""


class _HubProcess:
    """The hub app served by uvicorn in its own process, as `jiangxin-hub serve` runs it (in
    this process it would share the client's interpreter lock and slow both)."""

    def __init__(self, url: str, cert: Any) -> None:
        from tests.services.hubkit import free_port

        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, url, str(self.port), str(cert.cert_file),
             str(cert.key_file)],
            cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the hub did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _hub(cluster: Any, folder: Path) -> tuple[Any, Any, Any]:
    from desktop_app.hub import accounts
    from desktop_app.hub.database import HubStore, migrate_hub
    from tests.services.hubkit import make_cert

    url = cluster.create_database()
    migrate_hub(url, name="基准中心")
    store = HubStore.open(url)
    with store.transaction() as s:
        accounts.create_user(s, "admin", "admin", PASSWORD)
    cert = make_cert(folder / "cert")
    served = _HubProcess(url, cert)
    return store, served, cert


def _connect(library: Library, served: Any, cert: Any) -> None:
    hub_sync.connect(library, served.url, "admin", PASSWORD, fingerprint=cert.fingerprint)


def _one_scale(cluster: Any, tmp: Path, scale: float) -> list[BenchResult]:
    sessions = int(20000 * scale)
    _note(f"generating {sessions} sessions…")
    source_root = tmp / f"source-{scale}"
    generate_large(source_root, scale=scale)  # versions stamped, as in a real library
    store, served, cert = _hub(cluster, tmp / f"hub-{scale}")
    results: list[BenchResult] = []
    try:
        with Library.open(source_root) as source:
            _connect(source, served, cert)
            _note("publishing the source library to the hub (set-up)…")
            started = time.perf_counter()
            first = hub_sync.sync(source, backup=False, batch_size=SETUP_BATCH)
            publish_s = time.perf_counter() - started
            _note(f"published {first.published} records in {publish_s:.1f} s")
            assert first.published and not first.refused, first.to_json()["refused"][:3]
            pack = tmp / f"all-{scale}.jxpack"
            if not ONLY_INCREMENTAL:
                packs.export_pack(source, pack)

            sync_times: list[float] = []
            import_times: list[float] = []
            runs = 1 if ONLY_INCREMENTAL else REPEAT
            for n in range(runs):
                if not ONLY_INCREMENTAL:
                    target = tmp / f"pack-{scale}-{n}"
                    with Library.create(target) as library:
                        started = time.perf_counter()
                        packs.import_pack(library, pack, backup=False)
                        import_times.append(time.perf_counter() - started)
                    shutil.rmtree(target)
                laptop = tmp / f"laptop-{scale}-{n}"
                with Library.create(laptop) as library:
                    _connect(library, served, cert)
                    started = time.perf_counter()
                    hub_sync.sync(library, backup=False)
                    sync_times.append(time.perf_counter() - started)
                    if n == runs - 1:
                        results += _incremental(source, library, scale)
                shutil.rmtree(laptop)
                _note(
                    f"run {n + 1}: first sync {sync_times[-1]:.1f} s"
                    + (f", pack import {import_times[-1]:.1f} s" if import_times else "")
                )
        sync_s = statistics.median(sync_times)
        import_s = statistics.median(import_times) if import_times else None
        results.insert(
            0,
            BenchResult(
                name=f"first sync from hub, {sessions} sessions",
                median=sync_s,
                unit="s",
                floor_name="import a pack of the same content" if import_s else "",
                floor_median=import_s,
                goal="<= 1.5x floor" if import_s else "",
                goal_met=sync_s <= 1.5 * import_s if import_s else None,
            ),
        )
        results.append(
            BenchResult(
                name=f"publish whole library to hub (set-up), {sessions} sessions",
                median=publish_s,
                unit="s",
            )
        )
    finally:
        served.stop()
        store.close()
    return results


def _incremental(source: Library, laptop: Library, scale: float) -> list[BenchResult]:
    """One team changed on the source laptop and published; the other laptop's sync timed,
    then its status (the window's status bar asks for it after every sync)."""
    times: list[float] = []
    status_times: list[float] = []
    with source.session() as s:
        team_id = s.scalars(select(ServiceTeam.id).order_by(ServiceTeam.id)).first()
    assert team_id is not None
    for n in range(7):
        data = catalog.load_team(source, team_id)
        data.description = f"第{n}次修改"
        catalog.save_team(source, data, team_id)
        hub_sync.sync(source, backup=False)
        started = time.perf_counter()
        report = hub_sync.sync(laptop, backup=False)
        times.append((time.perf_counter() - started) * 1000)
        assert report.updated == 1, report.to_json()
        started = time.perf_counter()
        assert hub_sync.status(laptop).waiting == 0
        status_times.append((time.perf_counter() - started) * 1000)
    _note("incremental syncs (ms): " + ", ".join(f"{t:.0f}" for t in times))
    median = statistics.median(times)
    return [
        BenchResult(
            name=f"incremental sync, 1 changed record ({int(20000 * scale)} sessions)",
            median=median,
            unit="ms",
            goal="<= 150 ms",
            goal_met=median <= 150,
        ),
        BenchResult(
            name=f"hub status with its waiting count ({int(20000 * scale)} sessions)",
            median=statistics.median(status_times),
            unit="ms",
        ),
    ]


def run() -> list[BenchResult]:
    from tests.pgserver import start_cluster

    tmp = Path(tempfile.mkdtemp(prefix="jx-bench-hub-"))
    clusters = start_cluster()
    try:
        cluster = next(clusters)
        results: list[BenchResult] = []
        for scale in _scales():
            results += _one_scale(cluster, tmp, scale)
        return results
    finally:
        with contextlib.suppress(StopIteration):
            next(clusters)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(format_table(run()))
