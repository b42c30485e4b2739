"""District hub sync over HTTP (not a timed test): `python -m tests.benchmarks hub`.

A throw-away PostgreSQL cluster (tests/pgserver.py) holds a hub seeded with 2,000 guides; the
hub's app (`hub.app.create_app`) is served by uvicorn in its own process on 127.0.0.1 (plain
HTTP: TLS is the CLI's business and costs the same for every figure), and laptops are httpx
clients with keep-alive and TCP_NODELAY.

- Incremental sync: one laptop publishes one changed record (an edit from the hub's current
  version) and pulls what changed since its cursor, as `jiangxin hub sync` does after an edit.
  Goal (issue 14): ≤ 150 ms median. Floor: `GET /v1/hello` in the same run (one HTTP round
  trip and one one-row query: what any request costs at least).
- Throughput: 20 laptops publish at once, 25 publishes of 10 new guides each, then one pull
  collects everything; goal: 0 lost changes. Floor: the same publishes from one laptop in a
  row (so the ratio says how much concurrency adds).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from desktop_app.hub import accounts
from desktop_app.hub.app import schema_head
from desktop_app.hub.database import HubStore, migrate_hub
from tests import pgserver
from tests.benchmarks.harness import BenchResult, format_table
from tests.hub.wire import entry, guide_data, new_id

SEED_GUIDES = 2000
INCREMENTAL_RUNS = 30
LAPTOPS = 20
PUBLISHES = 25
PER_PUBLISH = 10
PASSWORD = "benchmark password"


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Hub:
    """A hub served by uvicorn in a thread, on its own PostgreSQL cluster."""

    def __init__(self) -> None:
        os.environ["LC_ALL"] = "C"  # initdb needs a locale the machine has
        self._cluster_gen: Iterator[pgserver.Cluster] = pgserver.start_cluster()
        cluster = next(self._cluster_gen)
        url = cluster.create_database()
        migrate_hub(url, name="基准中心")
        self.store = HubStore.open(url)
        with self.store.transaction() as s:
            accounts.create_user(s, "bench", "admin", PASSWORD)
        # The hub runs in its own process, as it is deployed: a server thread in this process
        # would fight the laptops' threads for the GIL (measured: 44 ms instead of 5 ms for a
        # trivial request).
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        code = (
            "import sys, uvicorn\n"
            "from desktop_app.hub.app import create_app\n"
            "from desktop_app.hub.database import HubStore\n"
            "uvicorn.run(create_app(HubStore.open(sys.argv[1])), host='127.0.0.1',"
            " port=int(sys.argv[2]), log_level='warning')\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code, url, str(port)])
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base + "/v1/hello", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)

    def laptop(self) -> httpx.Client:
        """A signed-in laptop (its own device token)."""
        headers = {"Jiangxin-Protocol": "1", "Jiangxin-Schema": schema_head()}
        # TCP_NODELAY: a request is written in pieces; Nagle would hold the last one back
        # for the server's delayed ACK (measured: 10 ms instead of 5 ms per request).
        nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        client = httpx.Client(base_url=self.base, headers=headers, timeout=60, transport=nodelay)
        answer = client.post(
            "/v1/login", json={"user": "bench", "password": PASSWORD, "device_name": "bench"}
        )
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
        return client

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.store.close()
        for _ in self._cluster_gen:
            pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def publish(client: httpx.Client, entries: list[dict[str, Any]]) -> dict[str, Any]:
    answer = client.post("/v1/publish", json={"publish_id": new_id(), "entries": entries})
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def pull_all(client: httpx.Client, since: int) -> tuple[list[dict[str, Any]], int]:
    entries: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/changes", params={"since": since, "limit": 2000}).json()
        entries += page["entries"]
        since = page["cursor"]
        if not page["more"]:
            return entries, since


def run() -> list[BenchResult]:
    hub = Hub()
    try:
        laptop = hub.laptop()
        note(f"seeding {SEED_GUIDES} guides")
        seed = [entry("guide", guide_data(new_id(), None, f"指南{i}")) for i in range(SEED_GUIDES)]
        for start in range(0, SEED_GUIDES, 500):
            publish(laptop, seed[start : start + 500])
        _entries, cursor = pull_all(laptop, 0)

        # Incremental: edit one guide, publish it, pull since the cursor.
        target = seed[0]
        gid, tag, ancestry = target["record"]["id"], target["tag"], [target["tag"]]
        hello_times, sync_times = [], []
        for run_no in range(INCREMENTAL_RUNS + 2):
            started = time.perf_counter()
            laptop.get("/v1/hello").raise_for_status()
            hello = (time.perf_counter() - started) * 1000
            revision = run_no + 2
            data = guide_data(gid, None, f"指南0 第{revision}版", revision=revision)
            edited = entry("guide", data, ancestry)
            started = time.perf_counter()
            result = publish(laptop, [edited])
            pulled, cursor = pull_all(laptop, cursor)
            elapsed = (time.perf_counter() - started) * 1000
            assert result["results"][0]["outcome"] == "applied", result
            assert [e["tag"] for e in pulled] == [edited["tag"]]
            ancestry = [*ancestry, edited["tag"]]
            tag = edited["tag"]
            if run_no >= 2:  # the first two warm the connection and the caches
                hello_times.append(hello)
                sync_times.append(elapsed)
        assert tag
        incremental = statistics.median(sync_times)
        hello_floor = statistics.median(hello_times)
        note(f"incremental sync {incremental:.1f} ms (hello {hello_floor:.1f} ms)")

        def batches(n: int) -> list[list[dict[str, Any]]]:
            return [
                [
                    entry("guide", guide_data(new_id(), None, f"L{n} P{p} #{i}"))
                    for i in range(PER_PUBLISH)
                ]
                for p in range(PUBLISHES)
            ]

        # Floor: one laptop, the same publishes in a row.
        serial = batches(-1)
        started = time.perf_counter()
        for one in serial:
            publish(laptop, one)
        serial_rate = PUBLISHES / (time.perf_counter() - started)

        clients = [hub.laptop() for _ in range(LAPTOPS)]
        work = [batches(n) for n in range(LAPTOPS)]
        sent: set[str] = {e["record"]["id"] for b in work for one in b for e in one}
        failures: list[BaseException] = []
        barrier = threading.Barrier(LAPTOPS + 1)

        def one_laptop(n: int) -> None:
            try:
                barrier.wait()
                for one in work[n]:
                    result = publish(clients[n], one)
                    assert {r["outcome"] for r in result["results"]} == {"applied"}
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=one_laptop, args=(n,)) for n in range(LAPTOPS)]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        concurrent_rate = LAPTOPS * PUBLISHES / (time.perf_counter() - started)
        assert not failures, failures[0]
        pulled, cursor = pull_all(laptop, cursor)
        got = {e["record"]["id"] for e in pulled}
        lost = len(sent - got)
        note(
            f"{LAPTOPS} laptops: {concurrent_rate:.0f} publishes/s "
            f"(one laptop {serial_rate:.0f}/s), lost {lost}"
        )
        for c in clients:
            c.close()
        laptop.close()
        return [
            BenchResult(
                name="hub: incremental sync, 1 changed record (publish + pull, loopback)",
                median=incremental,
                unit="ms",
                floor_name="GET /v1/hello",
                floor_median=hello_floor,
                goal="<= 150 ms",
                goal_met=incremental <= 150,
            ),
            BenchResult(
                name=f"hub: {LAPTOPS} laptops publishing at once ({PER_PUBLISH} records each)",
                median=concurrent_rate,
                unit="publishes/s",
                floor_name="one laptop, same publishes in a row",
                floor_median=serial_rate,
                goal="0 lost changes",
                goal_met=lost == 0,
            ),
            BenchResult(
                name=f"hub: changes lost of {len(sent)} published by {LAPTOPS} laptops",
                median=float(lost),
                unit="records",
                goal="0",
                goal_met=lost == 0,
            ),
        ]
    finally:
        hub.close()


if __name__ == "__main__":
    print(format_table(run()))
