"""The hub's sync service on a real PostgreSQL: publish and pull as a laptop relies on them.

What a user relies on: what one laptop publishes, the others pull (tombstones too, without
personal fields); a version from a stale base is kept as a conflict, never lost; a retry does
not apply twice; a leader publishes only their teams' records; a record whose references or
photo file are missing is refused alone, the rest goes through.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select, update

from desktop_app.hub import sync
from desktop_app.hub.blobs import DatabaseBlobStore
from desktop_app.hub.database import HubStore, current_version, migrate_hub
from desktop_app.hub.errors import Forbidden, HubError
from desktop_app.hub.tables import HubChange, PublishLog
from desktop_app.storage.models import Guide, MergeConflict, RecordHistory, ServiceTeam
from tests.hub.wire import (
    admin,
    entry,
    guide_data,
    leader,
    member_data,
    new_id,
    photo_data,
    reader,
    session_data,
    team_data,
    tombstone,
)


def outcomes(result: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in result["results"]]


def pull_all(hub: HubStore, since: int = 0, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
    entries: list[dict[str, Any]] = []
    while True:
        page = sync.pull(hub, since, limit)
        entries += page["entries"]
        since = page["cursor"]
        if not page["more"]:
            return entries, since


def counts(hub: HubStore) -> tuple[int, int, int, int]:
    with hub.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Guide)) or 0,
            s.scalar(select(func.count()).select_from(HubChange)) or 0,
            s.scalar(select(func.count()).select_from(RecordHistory)) or 0,
            current_version(s),
        )


def test_publish_then_pull_carries_records_and_tombstones(hub: HubStore) -> None:
    team, guide, member = new_id(), new_id(), new_id()
    person = member_data(member, "周宗宝")
    person["phone"], person["notes"] = "13800000000", "私人备注"
    first = sync.publish(
        hub,
        admin(),
        new_id(),
        [
            entry("member", person),
            entry("team", team_data(team, "园林队", members=[member])),
            entry("guide", guide_data(guide, team, "月季修剪")),
        ],
    )
    assert outcomes(first) == ["applied"] * 3
    assert first["hub_version"] == 1
    assert {r["server_version"] for r in first["results"]} == {1}

    entries, cursor = pull_all(hub)
    assert cursor == 1
    assert sorted((e["kind"], e["record"]["id"]) for e in entries) == sorted(
        [("member", member), ("team", team), ("guide", guide)]
    )
    pulled_member = next(e for e in entries if e["kind"] == "member")
    assert "phone" not in pulled_member["record"] and "notes" not in pulled_member["record"]

    # The laptop deletes the guide: the tombstone travels, and the record stays deleted.
    v1 = entry("guide", guide_data(guide, team, "月季修剪"))
    gone = tombstone("guide", guide, 2, ancestry=[v1["tag"]])
    second = sync.publish(hub, admin(), new_id(), [gone])
    assert outcomes(second) == ["applied"] and second["hub_version"] == 2
    page = sync.pull(hub, cursor)
    assert [(e["kind"], e["record"]["id"]) for e in page["entries"]] == [("guide", guide)]
    assert page["entries"][0]["record"]["deleted_at"] is not None
    assert page["entries"][0]["tag"] == gone["tag"]
    assert v1["tag"] in page["entries"][0]["ancestry"]
    empty = sync.pull(hub, 2)
    assert empty.pop("epoch")  # the hub's history is named (docs/hub-protocol.md)
    assert empty == {"entries": [], "cursor": 2, "more": False, "hub_version": 2}


def test_an_edit_from_a_stale_base_is_a_conflict_kept_on_the_hub(hub: HubStore) -> None:
    team, guide = new_id(), new_id()
    base = entry("guide", guide_data(guide, None, "修剪"))
    sync.publish(hub, admin(), new_id(), [entry("team", team_data(team, "队")), base])
    mine = entry("guide", guide_data(guide, None, "修剪（张）", revision=2), [base["tag"]])
    theirs = entry("guide", guide_data(guide, None, "修剪（李）", revision=2), [base["tag"]])
    assert outcomes(sync.publish(hub, admin(), new_id(), [mine])) == ["applied"]
    result = sync.publish(hub, admin(), new_id(), [theirs])
    assert outcomes(result) == ["conflict"]
    assert result["results"][0]["current"]["tag"] == mine["tag"]
    assert result["hub_version"] == 2  # nothing changed: the counter did not move
    conflicts = sync.open_conflicts(hub, admin())
    assert [(c["record_id"], c["incoming"]["tag"]) for c in conflicts] == [(guide, theirs["tag"])]
    assert conflicts[0]["current_tag"] == mine["tag"]

    # The laptop resolves: a version superseding both settles the hub's conflict too.
    resolved = entry(
        "guide",
        guide_data(guide, None, "修剪（合并）", revision=3),
        [base["tag"], mine["tag"], theirs["tag"]],
    )
    assert outcomes(sync.publish(hub, admin(), new_id(), [resolved])) == ["applied"]
    assert sync.open_conflicts(hub, admin()) == []


def test_a_retry_with_the_same_publish_id_applies_once(hub: HubStore) -> None:
    who = admin()
    publish_id = new_id()
    guide = new_id()
    batch = [entry("guide", guide_data(guide, None, "修剪"))]
    first = sync.publish(hub, who, publish_id, batch)
    before = counts(hub)
    again = sync.publish(hub, who, publish_id, batch)
    assert again == first and counts(hub) == before
    # The same id from another laptop is refused, not answered with someone else's result.
    with pytest.raises(HubError) as refused:
        sync.publish(hub, admin(), publish_id, batch)
    assert refused.value.status == 409
    assert counts(hub) == before


def test_concurrent_retries_of_one_publish_apply_once(hub: HubStore) -> None:
    who = admin()
    publish_id = new_id()
    batch = [entry("guide", guide_data(new_id(), None, f"指南{i}")) for i in range(30)]
    barrier = threading.Barrier(6)
    results: list[dict[str, Any]] = []

    def send() -> None:
        barrier.wait()
        results.append(sync.publish(hub, who, publish_id, batch))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r == results[0] for r in results)
    assert counts(hub)[0] == 30 and counts(hub)[3] == 1
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(PublishLog)) == 1


def test_a_reader_cannot_publish(hub: HubStore) -> None:
    with pytest.raises(Forbidden):
        sync.publish(hub, reader(), new_id(), [entry("guide", guide_data(new_id(), None, "x"))])
    assert counts(hub) == (0, 0, 0, 0)


def test_a_leader_publishes_only_records_of_their_teams(hub: HubStore) -> None:
    mine, other = new_id(), new_id()
    my_guide, other_guide, other_member = new_id(), new_id(), new_id()
    my_session, other_session = new_id(), new_id()
    seed = [
        entry("member", member_data(other_member, "王")),
        entry("team", team_data(mine, "我的队")),
        entry("team", team_data(other, "别人的队", members=[other_member])),
        entry("guide", guide_data(my_guide, mine, "我的指南")),
        entry("guide", guide_data(other_guide, other, "别人的指南")),
        entry("session", session_data(my_session, [mine], "我的活动")),
        entry("session", session_data(other_session, [other], "别人的活动")),
    ]
    assert set(outcomes(sync.publish(hub, admin(), new_id(), seed))) == {"applied"}
    tags = {e["record"]["id"]: e["tag"] for e in seed}
    before = counts(hub)
    me = leader(mine)
    new_member = new_id()
    attempt = [
        # create another team's records
        entry("guide", guide_data(new_id(), other, "冒充")),
        entry("team", team_data(new_id(), "新队")),
        entry("member", member_data(new_member, "无队的人")),
        # change another team's records
        entry("guide", guide_data(other_guide, other, "改", revision=2), [tags[other_guide]]),
        entry("team", team_data(other, "改名", revision=2), [tags[other]]),
        entry("member", member_data(other_member, "改", revision=2), [tags[other_member]]),
        entry(
            "session", session_data(other_session, [other], "改", revision=2), [tags[other_session]]
        ),
        # delete another team's record
        tombstone("guide", other_guide, 2, [tags[other_guide]]),
        # move a record of theirs out, or another team's record in
        entry("guide", guide_data(my_guide, other, "移走", revision=2), [tags[my_guide]]),
        entry(
            "session",
            session_data(other_session, [mine], "拿来", revision=2),
            [tags[other_session]],
        ),
    ]
    # One publish per attempt (a batch may list a record once).
    for attempted in attempt:
        result = sync.publish(hub, me, new_id(), [attempted])
        assert [(r["outcome"], r.get("code")) for r in result["results"]] == [
            ("refused", "forbidden")
        ], attempted
        assert result["results"][0]["reason"] == "Only records of your own teams can be published."
    assert counts(hub) == before
    # Their own team's records go through, in the same publish as a refused one.
    ok = sync.publish(
        hub,
        me,
        new_id(),
        [
            entry("guide", guide_data(my_guide, mine, "我的指南 v2", revision=2), [tags[my_guide]]),
            entry("member", member_data(new_member, "新队员")),
            entry(
                "team", team_data(mine, "我的队", revision=2, members=[new_member]), [tags[mine]]
            ),
            entry(
                "guide", guide_data(other_guide, other, "又冒充", revision=2), [tags[other_guide]]
            ),
        ],
    )
    assert outcomes(ok) == ["applied", "applied", "applied", "refused"]
    with hub.session() as s:
        assert s.get(Guide, other_guide).title == "别人的指南"  # type: ignore[union-attr]
        assert s.get(ServiceTeam, other).name == "别人的队"  # type: ignore[union-attr]


def test_references_and_photo_files_must_resolve(hub: HubStore) -> None:
    blobs = DatabaseBlobStore(hub)
    team, guide, photo, lonely = new_id(), new_id(), new_id(), new_id()
    content = b"\xff\xd8 a photo"
    batch = [
        entry("photo", photo_data(photo, content)),  # its file is not uploaded yet
        entry("team", team_data(team, "队")),
        entry("guide", guide_data(guide, team, "带照片", photos=[photo])),  # refers to it
        entry("guide", guide_data(lonely, new_id(), "队不存在")),
    ]
    result = sync.publish(hub, admin(), new_id(), batch)
    assert [(r["outcome"], r.get("code")) for r in result["results"]] == [
        ("refused", "missing_blob"),
        ("applied", None),
        ("refused", "missing_reference"),
        ("refused", "missing_reference"),
    ]
    assert blobs.put(photo_data(photo, content)["sha256"], content) is True
    again = sync.publish(hub, admin(), new_id(), batch[:3])
    assert outcomes(again) == ["applied", "unchanged", "applied"]


def test_invalid_entries_are_refused_alone(hub: HubStore) -> None:
    good = entry("guide", guide_data(new_id(), None, "好的"))
    bad_rule = entry("guide", guide_data(new_id(), None, ""))  # a guide needs a title
    bad_tag = dict(entry("guide", guide_data(new_id(), None, "坏标签")), tag="9:" + "0" * 64)
    result = sync.publish(hub, admin(), new_id(), [good, bad_rule, bad_tag, "junk", None])
    assert outcomes(result) == ["applied", "refused", "refused", "refused", "refused"]
    assert {r.get("code") for r in result["results"][1:]} == {"invalid"}
    assert counts(hub)[0] == 1


@pytest.mark.parametrize(
    "publish_id,entries",
    [(None, []), ("../../etc", []), ("x", {"kind": "guide"}), ("x", None)],
)
def test_a_malformed_publish_is_refused_whole(hub: HubStore, publish_id: Any, entries: Any) -> None:
    with pytest.raises(HubError) as refused:
        sync.publish(hub, admin(), publish_id, entries)
    assert refused.value.status == 400
    assert counts(hub) == (0, 0, 0, 0)


def test_pages_never_split_one_publish(hub: HubStore) -> None:
    for size in (3, 4, 2):
        sync.publish(
            hub,
            admin(),
            new_id(),
            [entry("guide", guide_data(new_id(), None, f"g{i}")) for i in range(size)],
        )
    page = sync.pull(hub, 0, 5)  # 3 + 4 > 5: the page ends after the first publish
    assert [e["server_version"] for e in page["entries"]] == [1, 1, 1]
    assert page["cursor"] == 1 and page["more"]
    page = sync.pull(hub, 1, 2)  # one publish of 4 > 2: the page holds all of it
    assert [e["server_version"] for e in page["entries"]] == [2, 2, 2, 2] and page["more"]
    entries, cursor = pull_all(hub, 0, 2)
    assert len(entries) == 9 and cursor == 3
    with pytest.raises(HubError) as gone:
        sync.pull(hub, 7)
    assert gone.value.status == 410


def test_race_of_twenty_publishers_from_one_base(hub: HubStore) -> None:
    guide = new_id()
    base = entry("guide", guide_data(guide, None, "修剪"))
    sync.publish(hub, admin(), new_id(), [base])
    edits = [
        entry("guide", guide_data(guide, None, f"修剪（{i}号）", revision=2), [base["tag"]])
        for i in range(20)
    ]
    barrier = threading.Barrier(20)
    got: list[str] = []
    lock = threading.Lock()

    def publisher(i: int) -> None:
        barrier.wait()
        result = sync.publish(hub, admin(), new_id(), [edits[i]])
        with lock:
            got.append(result["results"][0]["outcome"])

    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == ["applied"] + ["conflict"] * 19
    with hub.session() as s:
        current = s.get(Guide, guide)
        assert current is not None
        stored = s.scalars(select(MergeConflict).where(MergeConflict.record_id == guide)).all()
    listed = {c["incoming"]["tag"] for c in sync.open_conflicts(hub, admin())}
    # Every one of the 20 versions survives: one current, 19 conflicts on the hub.
    assert listed | {current.version_tag} == {e["tag"] for e in edits}
    assert len(stored) == 19 and len(listed) == 19


def test_a_delete_racing_an_edit_is_a_conflict_not_a_loss(hub: HubStore) -> None:
    guide = new_id()
    base = entry("guide", guide_data(guide, None, "修剪"))
    sync.publish(hub, admin(), new_id(), [base])
    edit = entry("guide", guide_data(guide, None, "修剪（改）", revision=2), [base["tag"]])
    gone = tombstone("guide", guide, 2, [base["tag"]])
    assert outcomes(sync.publish(hub, admin(), new_id(), [edit])) == ["applied"]
    result = sync.publish(hub, admin(), new_id(), [gone])
    assert outcomes(result) == ["conflict"]
    with hub.session() as s:
        kept = s.get(Guide, guide)
        assert kept is not None and kept.deleted_at is None and kept.title == "修剪（改）"
    assert [c["incoming"]["tag"] for c in sync.open_conflicts(hub, admin())] == [gone["tag"]]


def test_rows_colliding_with_another_records_rows_refuse_the_publish_unwritten(
    hub: HubStore,
) -> None:
    first = guide_data(new_id(), None, "第一")
    sync.publish(hub, admin(), new_id(), [entry("guide", first)])
    before = counts(hub)
    thief = guide_data(new_id(), None, "第二")
    thief["steps"][0]["id"] = first["steps"][0]["id"]  # another guide's step row id
    with pytest.raises(HubError) as refused:
        sync.publish(hub, admin(), new_id(), [entry("guide", guide_data(new_id(), None, "x")),
                                              entry("guide", thief)])  # fmt: skip
    assert refused.value.status == 400
    assert counts(hub) == before


def test_each_request_gets_sentences_in_its_own_language() -> None:
    """Sentences are made per request while other requests run in other languages (the hub
    serves laptops from several threads); the process's language is left alone."""
    from desktop_app.core.i18n import _, current_language, request_language

    message = "Only records of your own teams can be published."
    got: dict[str, set[str]] = {"zh_CN": set(), "en": set()}
    barrier = threading.Barrier(8)

    def worker(lang: str) -> None:
        barrier.wait()
        for _round in range(200):
            with request_language(lang):
                got[lang].add(_(message))

    threads = [threading.Thread(target=worker, args=(("zh_CN", "en")[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {"zh_CN": {"只能上传本队的资料。"}, "en": {message}}
    assert current_language() == "en" and _(message) == message


def test_a_leaders_team_never_renames_another_teams_record(hub: HubStore) -> None:
    """Regression: a leader's team named like another team on the hub made the merge core
    rename that other team ("园林队 (2)", the one with the greater id) in the leader's
    publish: a change to another team's record that the permission check did not see."""
    low, high, mine_other = sorted(new_id() for _ in range(3))
    sync.publish(hub, admin(), new_id(), [entry("team", team_data(high, "园林队"))])
    # The leader's team has the smaller id: the hub's team would be the one renamed.
    result = sync.publish(
        hub,
        leader(low, mine_other),
        new_id(),
        [
            entry("team", team_data(low, "园林队")),
            entry("guide", guide_data(new_id(), low, "引用被拒的队")),
            entry("team", team_data(mine_other, "电工队")),
        ],
    )
    assert [(r["outcome"], r.get("code")) for r in result["results"]] == [
        ("refused", "forbidden"),
        ("refused", "missing_reference"),
        ("applied", None),
    ]
    assert "already has this name" in result["results"][0]["reason"]
    with hub.session() as s:
        assert s.get(ServiceTeam, high).name == "园林队"  # type: ignore[union-attr]
        assert s.get(ServiceTeam, low) is None
    # A leader whose team has the greater id: their own team is the one renamed, as on
    # every laptop, and it is applied.
    top = "f" * 8 + new_id()[8:]
    result = sync.publish(hub, leader(top), new_id(), [entry("team", team_data(top, "园林队"))])
    assert outcomes(result) == ["applied"]
    with hub.session() as s:
        assert s.get(ServiceTeam, high).name == "园林队"  # type: ignore[union-attr]
        assert s.get(ServiceTeam, top).name == "园林队 (2)"  # type: ignore[union-attr]


def _stored_and_made(hub: HubStore) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Each change row's stored entry, and the entry made from the records as they are now."""
    with hub.session() as s:
        rows = s.execute(select(HubChange.kind, HubChange.record_id, HubChange.wire)).all()
        made = sync.wire_entries(s, [(r.kind, r.record_id) for r in rows])
    stored = {(r.kind, r.record_id): json.loads(r.wire) if r.wire else None for r in rows}
    return stored, made


def _a_history(hub: HubStore) -> None:
    """Publishes that change records in every way the hub stamps: adds, an update, a
    conflict, a deletion, a deletion of a record the hub never held, and a team renamed by
    the merge core (two teams published under one name)."""
    team, other, guide, member = new_id(), new_id(), new_id(), new_id()
    base = entry("guide", guide_data(guide, team, "修剪"))
    sync.publish(
        hub,
        admin(),
        new_id(),
        [
            entry("member", member_data(member, "周宗宝")),
            entry("team", team_data(team, "园林队", members=[member])),
            base,
        ],
    )
    mine = entry("guide", guide_data(guide, team, "修剪（张）", revision=2), [base["tag"]])
    theirs = entry("guide", guide_data(guide, team, "修剪（李）", revision=2), [base["tag"]])
    assert outcomes(sync.publish(hub, admin(), new_id(), [mine])) == ["applied"]
    assert outcomes(sync.publish(hub, admin(), new_id(), [theirs])) == ["conflict"]
    gone = tombstone("guide", guide, 3, ancestry=[base["tag"], mine["tag"]])
    never = tombstone("guide", new_id(), 2, ancestry=[])
    sync.publish(hub, admin(), new_id(), [gone, never])
    sync.publish(hub, admin(), new_id(), [entry("team", team_data(other, "园林队"))])


def test_a_pull_sends_the_entry_each_publish_stored(hub: HubStore) -> None:
    # The hub makes a record's wire entry once, when a publish changes it, and pulls send it
    # as stored: it must be exactly the entry the record has now, for every way a publish
    # changes a record, or laptops would pull something the hub does not hold.
    _a_history(hub)
    stored, made = _stored_and_made(hub)
    assert len(made) == 4 and stored == made  # (the deletion never held has no row)
    entries, _cursor = pull_all(hub, limit=2)
    pulled = {(e["kind"], e["record"]["id"]): e for e in entries}
    assert all(isinstance(e.pop("server_version"), int) for e in entries)
    assert pulled == made


def test_a_hub_from_before_stored_entries_pulls_the_same_and_is_filled_on_upgrade(
    hub: HubStore, hub_url: str
) -> None:
    _a_history(hub)
    before = pull_all(hub, limit=3)
    with hub.transaction() as s:
        s.execute(update(HubChange).values(wire=None))  # as schema h0002 left them
    assert pull_all(hub, limit=3) == before  # made from the records meanwhile
    migrate_hub(hub_url)  # `jiangxin-hub init` on the upgraded hub fills them
    stored, made = _stored_and_made(hub)
    assert all(v is not None for k, v in stored.items() if k in made)
    assert {k: v for k, v in stored.items() if v is not None} == made
    assert pull_all(hub, limit=3) == before


def test_stored_entries_are_made_again_when_the_library_schema_changes(
    hub: HubStore, hub_url: str
) -> None:
    # An entry is the record's wire form under the schema it was made in; after a library
    # migration (here: the last one undone, then `init` again) every entry is made anew.
    from alembic import command

    from desktop_app.storage import migrate as library_migrations

    _a_history(hub)
    with hub.transaction() as s:
        s.execute(update(HubChange).values(wire='{"kind":"team","stale":true}'))
    with hub.engine.begin() as connection:
        command.downgrade(library_migrations.alembic_config(connection), "-1")
    migrate_hub(hub_url)
    stored, made = _stored_and_made(hub)
    assert len(made) == 4 and stored == made
