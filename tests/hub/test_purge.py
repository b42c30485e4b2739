"""Purging the hub and collecting unused photo files, on a real PostgreSQL; and the cursor
checks that send a laptop back to the beginning (a restored hub, purged deletions).

What a user relies on: an administrator can reclaim the space of old deletions, superseded
versions and photo files nothing uses, without losing anything a laptop or a live record still
needs (a deleted guide a live session shows, a deletion with an open conflict, a photo file a
publish has just uploaded); a laptop that could have missed a purged deletion is told to start
over instead of missing it silently; a dry run changes nothing and reports what the real run
does, and refuses what it refuses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from desktop_app.hub import purge, sync
from desktop_app.hub.blobs import DatabaseBlobStore
from desktop_app.hub.database import HubStore
from desktop_app.hub.errors import HubError
from desktop_app.hub.tables import HubBlob, HubChange, HubState
from desktop_app.storage.models import (
    Guide,
    MergeConflict,
    Photo,
    RecordAncestry,
    RecordHistory,
    utcnow,
)
from tests.hub.wire import (
    admin,
    entry,
    guide_data,
    new_id,
    photo_data,
    session_data,
    team_data,
    tombstone,
)

LATER = utcnow() + timedelta(days=400)  # "now" for a purge: every deletion is a year old


def outcomes(result: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in result["results"]]


def table_counts(hub: HubStore) -> dict[str, int]:
    with hub.session() as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Guide, Photo, RecordHistory, HubChange, HubBlob, MergeConflict)
        }


def state_row(hub: HubStore) -> tuple[str, int, int]:
    with hub.session() as s:
        state = s.get(HubState, 1)
        assert state is not None
        return state.epoch, state.version, state.purge_horizon


def pulled_ids(hub: HubStore, since: int = 0) -> set[str]:
    ids: set[str] = set()
    while True:
        page = sync.pull(hub, since, 500)
        ids.update(e["record"]["id"] if "record" in e else e["id"] for e in page["entries"])
        since = page["cursor"]
        if not page["more"]:
            return ids


def test_a_cursor_of_another_history_is_told_to_start_over(hub: HubStore) -> None:
    epoch, _version, _horizon = state_row(hub)
    sync.publish(hub, admin(), new_id(), [entry("team", team_data(new_id(), "队"))])
    assert sync.pull(hub, 0, epoch=epoch)["epoch"] == epoch
    for since, sent in ((1, "another-epoch"), (5, None), (5, epoch)):
        with pytest.raises(HubError) as refused:
            sync.pull(hub, since, epoch=sent)
        assert refused.value.status == 410 and refused.value.code == "resync_required"
        assert refused.value.details == {"reason": "restored"}
    assert sync.pull(hub, 1, epoch=epoch)["entries"] == []  # up to date: nothing to do


def test_purge_removes_old_deletions_but_nothing_still_needed(hub: HubStore) -> None:
    blobs = DatabaseBlobStore(hub)
    team, gone_guide, shown_guide, argued_guide, session, photo = (new_id() for _ in range(6))
    content = b"\xff\xd8 a photo only a deleted guide used"
    assert blobs.put(photo_data(photo, content)["sha256"], content)
    shows = session_data(session, [team], "现场教学")
    shows["guide_ids"] = [shown_guide]
    first = [
        entry("photo", photo_data(photo, content)),
        entry("team", team_data(team, "园林队")),
        entry("guide", guide_data(gone_guide, team, "要删的", photos=[photo])),
        entry("guide", guide_data(shown_guide, team, "活动还在用")),
        entry("guide", guide_data(argued_guide, team, "有冲突的")),
        entry("session", shows),
    ]
    assert set(outcomes(sync.publish(hub, admin(), new_id(), first))) == {"applied"}
    behind = state_row(hub)[1]  # a laptop that pulled up to here, then went away
    deletions = [
        tombstone("photo", photo, 2, [first[0]["tag"]]),
        tombstone("guide", gone_guide, 2, [first[2]["tag"]]),
        tombstone("guide", shown_guide, 2, [first[3]["tag"]]),
        tombstone("guide", argued_guide, 2, [first[4]["tag"]]),
    ]
    assert outcomes(sync.publish(hub, admin(), new_id(), deletions)) == ["applied"] * 4
    deleted_at = state_row(hub)[1]
    # Someone edited the argued guide from before its deletion: an open conflict.
    edit = entry(
        "guide", guide_data(argued_guide, team, "有冲突的（改）", revision=2), [first[4]["tag"]]
    )
    assert outcomes(sync.publish(hub, admin(), new_id(), [edit])) == ["conflict"]

    before = table_counts(hub)
    dry = purge.purge(hub, 30, grace_hours=1, dry_run=True, now=LATER)
    assert table_counts(hub) == before and state_row(hub)[2] == 0  # nothing changed
    real = purge.purge(hub, 30, grace_hours=1, now=LATER)
    assert dry.to_json() | {"dry_run": True} == real.to_json() | {"dry_run": True}
    assert real.deleted_records == {"guide": 1, "photo": 1}
    assert real.kept_referenced == 1 and real.kept_in_conflict == 1
    assert real.blobs == 1 and real.blob_bytes == len(content)
    assert real.horizon == deleted_at == state_row(hub)[2]
    assert blobs.missing([photo_data(photo, content)["sha256"]]) != []
    with hub.session() as s:
        assert s.get(Guide, gone_guide) is None and s.get(Photo, photo) is None
        assert s.get(Guide, shown_guide) is not None  # a live session still shows it
        assert s.get(Guide, argued_guide) is not None  # its conflict is still open

    # A laptop that pulled before the deletions could have missed one: told to start over.
    with pytest.raises(HubError) as refused:
        sync.pull(hub, behind)
    assert refused.value.status == 410 and refused.value.details == {"reason": "purged"}
    # From the beginning, or from after the purged deletions, pulling works.
    assert pulled_ids(hub) == {team, shown_guide, argued_guide, session}
    assert sync.pull(hub, deleted_at)["entries"] == []
    # A second purge finds nothing more and keeps the horizon.
    again = purge.purge(hub, 30, grace_hours=1, now=LATER)
    assert again.deleted_records == {} and again.horizon == deleted_at


def test_purging_superseded_versions_keeps_every_merge_decision(hub: HubStore) -> None:
    team, guide = new_id(), new_id()
    v1 = entry("guide", guide_data(guide, team, "第一版"))
    sync.publish(hub, admin(), new_id(), [entry("team", team_data(team, "队")), v1])
    v2 = entry("guide", guide_data(guide, team, "第二版", revision=2), [v1["tag"]])
    assert outcomes(sync.publish(hub, admin(), new_id(), [v2])) == ["applied"]
    # A version replaced here may be known only from its history row (as a library's own
    # edits are): the purge must keep its tag. Make it so for v1.
    with hub.transaction() as s:
        s.execute(delete(RecordAncestry).where(RecordAncestry.record_id == guide))
    assert purge.purge(hub, 30, now=LATER).history_versions == 1
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(RecordHistory)) == 0
    # The replaced version is still known as an ancestor: pulled with v2, and a laptop that
    # sends v1 again (starting over) is told the hub has newer, not put in conflict; one
    # still on v1 that edits it is a conflict (not an apply over v2); one on v2 applies.
    page = sync.pull(hub, 0)
    current = next(e for e in page["entries"] if e["record"]["id"] == guide)
    assert current["tag"] == v2["tag"] and v1["tag"] in current["ancestry"]
    assert outcomes(sync.publish(hub, admin(), new_id(), [v1])) == ["unchanged"]
    stale = entry("guide", guide_data(guide, team, "从第一版改", revision=2), [v1["tag"]])
    assert outcomes(sync.publish(hub, admin(), new_id(), [stale])) == ["conflict"]
    v3 = entry("guide", guide_data(guide, team, "第三版", revision=3), [v1["tag"], v2["tag"]])
    assert outcomes(sync.publish(hub, admin(), new_id(), [v3])) == ["applied"]
    page = sync.pull(hub, 0)
    pulled = next(e for e in page["entries"] if e["record"]["id"] == guide)
    assert {v1["tag"], v2["tag"]} <= set(pulled["ancestry"])


def test_unused_photo_files_go_after_the_grace_period_only(hub: HubStore) -> None:
    blobs = DatabaseBlobStore(hub)
    used, fresh = b"\xff\xd8 used by a live photo", b"\xff\xd8 uploaded, records not yet"
    photo = new_id()
    for content in (used, fresh):
        blobs.put(photo_data(new_id(), content)["sha256"], content)
    sync.publish(hub, admin(), new_id(), [entry("photo", photo_data(photo, used))])
    shas = [photo_data(photo, c)["sha256"] for c in (used, fresh)]
    # Just uploaded, its publish still on the way: kept.
    report = purge.purge(hub, None, grace_hours=1)
    assert report.blobs == 0 and blobs.missing(shas) == []
    # Still unused two hours later: collected; the live photo's file never is.
    dry = purge.purge(hub, None, grace_hours=1, dry_run=True, now=utcnow() + timedelta(hours=2))
    assert dry.blobs == 1 and blobs.missing(shas) == []
    report = purge.purge(hub, None, grace_hours=1, now=utcnow() + timedelta(hours=2))
    assert report.blobs == 1 and blobs.missing(shas) == [shas[1]]
    assert report.cutoff is None and report.deleted_records == {}


@pytest.mark.parametrize("dry_run", [False, True])
def test_too_short_a_horizon_or_grace_is_refused_dry_or_not(hub: HubStore, dry_run: bool) -> None:
    before = table_counts(hub)
    with pytest.raises(purge.PurgeRefused, match="7"):
        purge.purge(hub, 3, dry_run=dry_run)
    with pytest.raises(purge.PurgeRefused, match="1"):
        purge.purge(hub, 30, grace_hours=0.5, dry_run=dry_run)
    with pytest.raises(purge.PurgeRefused):
        purge.purge(hub, -1, dry_run=dry_run)
    assert table_counts(hub) == before


def test_a_publish_waits_for_a_collection_and_never_refers_to_a_file_it_removed(
    hub: HubStore,
) -> None:
    import threading
    import time

    from sqlalchemy import text

    blobs = DatabaseBlobStore(hub)
    content, photo = b"\xff\xd8 uploaded long ago, its publish only now", new_id()
    sha = photo_data(photo, content)["sha256"]
    blobs.put(sha, content)
    answers: list[dict[str, Any]] = []
    with hub.transaction() as s:  # a collection in progress, deciding to remove that file
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": sync.MAINTENANCE_LOCK})
        publisher = threading.Thread(
            target=lambda: answers.append(
                sync.publish(hub, admin(), new_id(), [entry("photo", photo_data(photo, content))])
            )
        )
        publisher.start()
        time.sleep(1.0)
        assert not answers and publisher.is_alive()  # it waits for the collection
        s.execute(delete(HubBlob).where(HubBlob.sha256 == sha))
    publisher.join(timeout=30)
    # Planned after the collection: the file is gone, so the photo is refused (the laptop
    # uploads it again at its next sync), never stored without its file.
    assert [(r["outcome"], r.get("code")) for r in answers[0]["results"]] == [
        ("refused", "missing_blob")
    ]
    with hub.session() as s:
        assert s.get(Photo, photo) is None
