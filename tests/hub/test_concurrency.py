"""No missed change: many publishers at once and a puller running alongside (HUB.md, acceptance
test 1). A sequence or timestamp cursor misses rows here (HUB.md measured 1,961 of 3,008);
the hub's counter, bumped under its row lock at the end of each publish, misses none.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select

from desktop_app.hub import sync
from desktop_app.hub.database import HubStore
from desktop_app.storage.models import Guide
from tests.hub.wire import admin, entry, guide_data, new_id

PUBLISHERS = 50
BATCHES = 20


def test_a_puller_alongside_50_publishers_misses_nothing(hub: HubStore) -> None:
    who = admin()
    versions: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(PUBLISHERS + 1)
    done = threading.Event()

    def publisher(n: int) -> None:
        try:
            barrier.wait()
            for b in range(BATCHES):
                # Every publish makes a record nobody changes again: a change the puller
                # skipped would stay missing at the end.
                guide = entry("guide", guide_data(new_id(), None, f"发布者{n} 第{b}批"))
                result = sync.publish(hub, who, new_id(), [guide])
                assert result["results"][0]["outcome"] == "applied"
                with lock:
                    versions.append(result["hub_version"])
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    seen: dict[str, tuple[str, int]] = {}  # guide id -> (tag, server_version)
    cursors: list[int] = []

    def puller() -> None:
        try:
            barrier.wait()
            cursor = 0
            while True:
                finished = done.is_set()  # read BEFORE pulling: a last full pass follows it
                page: dict[str, Any] = sync.pull(hub, cursor, 100)
                for e in page["entries"]:
                    assert e["server_version"] > cursor  # never one at or below the cursor
                    seen[e["record"]["id"]] = (e["tag"], e["server_version"])
                if page["entries"]:
                    assert page["cursor"] > cursor
                    cursors.append(page["cursor"])
                cursor = page["cursor"]
                if finished and not page["more"]:
                    return
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(PUBLISHERS)]
    pull_thread = threading.Thread(target=puller)
    started = time.perf_counter()
    for t in [*threads, pull_thread]:
        t.start()
    for t in threads:
        t.join()
    done.set()
    pull_thread.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[0]

    # Every publish got its own version, handed out without gaps.
    assert sorted(versions) == list(range(1, PUBLISHERS * BATCHES + 1))
    # The puller ends with exactly the hub's set, and its cursors only moved forward.
    with hub.session() as s:
        on_hub = {gid: tag for gid, tag in s.execute(select(Guide.id, Guide.version_tag))}
    assert len(on_hub) == PUBLISHERS * BATCHES
    assert {gid: tag for gid, (tag, _v) in seen.items()} == on_hub
    assert cursors == sorted(set(cursors))
    # Each record carries the version of the publish that made it: unique per publish.
    assert len({v for _tag, v in seen.values()}) == PUBLISHERS * BATCHES
    assert elapsed < 60, f"{elapsed:.1f} s"
