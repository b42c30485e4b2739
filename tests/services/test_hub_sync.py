"""Laptops syncing with a real hub, end to end: a PostgreSQL cluster (tests/pgserver.py), the
hub's schema (`migrate_hub`), the hub app (`create_app`) served by uvicorn over HTTPS with a
self-signed certificate, and real libraries on the laptop side (services/hub_sync.py).

What a user relies on: connecting pins the certificate; the first sync brings a whole library
(records and checked photo files) onto an empty laptop; two laptops' edits meet through the
hub; a version changed on both sides reaches the conflicts list; a sync killed after its
publish was sent finishes on the next sync without applying twice; an unreachable hub and a
revoked laptop are sentences, and the library stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.core.progress import Cancelled, Progress
from desktop_app.services import catalog, hub_sync, merge
from desktop_app.services import hub_client as hc
from desktop_app.storage.library import Library
from desktop_app.storage.models import HubOutbox, RecordHistory, ServiceTeam
from desktop_app.storage.photostore import photo_path
from tests.services.convergence_model import state
from tests.services.hubkit import Cert, Served, make_cert
from tests.services.packkit import illustrate

PASSWORD = "correct-horse-battery-1"


@dataclass
class Hub:
    served: Served
    store: Any  # desktop_app.hub.database.HubStore
    cert: Cert

    @property
    def url(self) -> str:
        return self.served.url

    def version(self) -> int:
        from desktop_app.hub.database import current_version

        with self.store.session() as s:
            return current_version(s)

    def revoke_all(self) -> None:
        from desktop_app.hub import accounts
        from desktop_app.hub.tables import HubDevice

        with self.store.transaction() as s:
            for device_id in s.scalars(select(HubDevice.id)).all():
                accounts.revoke_device(s, device_id)


def start_hub(pg_cluster: Any, folder: Path) -> Hub:
    from desktop_app.hub import accounts
    from desktop_app.hub.app import create_app
    from desktop_app.hub.database import HubStore, migrate_hub

    url = pg_cluster.create_database()
    migrate_hub(url, name="丰台区总工会")
    store = HubStore.open(url)
    with store.transaction() as s:
        accounts.create_user(s, "admin", "admin", PASSWORD)
        accounts.create_user(s, "reader", "reader", PASSWORD)
    cert = make_cert(folder)
    served = Served(create_app(store), cert).start()
    return Hub(served, store, cert)


@pytest.fixture
def hub(pg_cluster: Any, tmp_path: Path) -> Iterator[Hub]:
    running = start_hub(pg_cluster, tmp_path / "cert")
    yield running
    running.served.stop()
    running.store.close()


@pytest.fixture
def laptop_a(demo_library: Library) -> Library:
    illustrate(demo_library)
    return demo_library


@pytest.fixture
def laptop_b(tmp_path: Path) -> Iterator[Library]:
    library = Library.create(tmp_path / "b", name="B")
    yield library
    library.close()


def connect(library: Library, hub: Hub, user: str = "admin") -> hub_sync.LinkInfo:
    return hub_sync.connect(library, hub.url, user, PASSWORD, fingerprint=hub.cert.fingerprint)


def live(library: Library) -> dict[tuple[str, str], str]:
    return {k: v for k, v in state(library).items() if v != "deleted"}


def test_connect_pins_the_certificate_and_a_first_sync_fills_an_empty_laptop(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    info = connect(laptop_a, hub)
    assert info.fingerprint == hub.cert.fingerprint and info.hub_name == "丰台区总工会"
    waiting = hub_sync.status(laptop_a).waiting
    assert waiting == len(live(laptop_a))
    first = hub_sync.sync(laptop_a)
    assert first.published == waiting and not first.refused and not first.conflicts
    assert first.photos_uploaded > 0
    assert hub_sync.status(laptop_a).waiting == 0
    assert state(hub.store) == state(laptop_a)

    # The second laptop confirms the fingerprint by looking at it.
    shown: list[str] = []
    hub_sync.connect(
        laptop_b,
        hub.url,
        "admin",
        PASSWORD,
        confirm=lambda cert: shown.append(cert.fingerprint) or True,
    )
    assert shown == [hub.cert.fingerprint]
    report = hub_sync.sync(laptop_b)
    assert report.added == len(state(laptop_a)) and report.published == 0
    assert state(laptop_b) == state(laptop_a)
    with laptop_b.session() as s:
        from desktop_app.storage.models import Photo

        for photo in s.scalars(select(Photo)):
            assert photo_path(laptop_b.photos_dir, photo.sha256, photo.ext).is_file()
    # Personal fields never reach the hub, so never another laptop.
    with laptop_b.session() as s:
        from desktop_app.storage.models import Member

        assert all(not m.phone and not m.notes for m in s.scalars(select(Member)))
    # Nothing left to do: a second sync moves nothing either way.
    again = hub_sync.sync(laptop_b)
    assert again.pulled == 0 and again.published == 0
    status = hub_sync.status(laptop_b)
    assert status.waiting == 0 and status.last_sync_at is not None


def _first_guide() -> Any:
    from desktop_app.storage.models import Guide

    return select(Guide.id).where(Guide.deleted_at.is_(None)).order_by(Guide.id)


def _rename_first_team(library: Library, description: str) -> str:
    with library.session() as s:
        team_id = s.scalars(
            select(ServiceTeam.id).where(ServiceTeam.deleted_at.is_(None)).order_by(ServiceTeam.id)
        ).first()
    assert team_id is not None
    data = catalog.load_team(library, team_id)
    data.description = description
    catalog.save_team(library, data, team_id)
    return team_id


def test_two_laptops_converge_and_a_conflict_reaches_the_list(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    connect(laptop_b, hub)
    hub_sync.sync(laptop_b)
    # B edits, A edits something else: after A, B, A sync, both hold both edits.
    team_id = _rename_first_team(laptop_b, "B 的介绍")
    with laptop_a.session() as s:
        guide_id = s.scalars(select(KIND_GUIDE.id).order_by(KIND_GUIDE.id)).first()
    assert guide_id is not None
    guide = catalog.load_guide(laptop_a, guide_id)
    guide.title = guide.title + "（修订）"
    catalog.save_guide(laptop_a, guide, guide_id)
    assert hub_sync.sync(laptop_b).published == 1
    report = hub_sync.sync(laptop_a)
    assert report.updated == 1 and report.published == 1
    hub_sync.sync(laptop_b)
    assert state(laptop_a) == state(laptop_b) == state(hub.store)
    assert catalog.load_team(laptop_a, team_id).description == "B 的介绍"

    # Both change the same team: the second to sync holds the conflict and shows it.
    _rename_first_team(laptop_a, "A 改的")
    _rename_first_team(laptop_b, "B 改的")
    hub_sync.sync(laptop_a)
    report = hub_sync.sync(laptop_b)
    assert [c.id for c in report.conflicts] == [team_id]
    conflicts = merge.list_conflicts(laptop_b)
    assert len(conflicts) == 1 and conflicts[0].record_id == team_id
    assert conflicts[0].theirs is not None and conflicts[0].theirs["description"] == "A 改的"
    assert catalog.load_team(laptop_b, team_id).description == "B 改的"  # mine is kept
    assert hub_sync.status(laptop_b).open_conflicts == 1
    # Settled on B, it travels through the hub; everyone agrees and nothing stays open.
    merge.resolve_conflict(laptop_b, conflicts[0].id, "mine")
    assert hub_sync.sync(laptop_b).published == 1
    hub_sync.sync(laptop_a)
    assert catalog.load_team(laptop_a, team_id).description == "B 改的"
    assert state(laptop_a) == state(laptop_b) == state(hub.store)
    assert not merge.list_conflicts(laptop_a) and not merge.list_conflicts(laptop_b)


KIND_GUIDE = __import__("desktop_app.storage.models", fromlist=["Guide"]).Guide


def test_a_sync_killed_after_sending_its_publish_applies_once_on_retry(
    hub: Hub, laptop_a: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    team_id = _rename_first_team(laptop_a, "只发一次")
    real_publish = hc.HubClient.publish

    def lost_answer(self: hc.HubClient, payload: dict[str, Any]) -> dict[str, Any]:
        real_publish(self, payload)  # the hub applies it...
        raise hc.HubUnreachableError(hc.unreachable_sentence())  # ...and the answer is lost

    monkeypatch.setattr(hc.HubClient, "publish", lost_answer)
    before = hub.version()
    with pytest.raises(hc.HubUnreachableError):
        hub_sync.sync(laptop_a)
    assert hub.version() == before + 1
    with laptop_a.session() as s:
        assert s.scalar(select(func.count()).select_from(HubOutbox)) == 1
    assert hub_sync.status(laptop_a).waiting == 1  # not yet known to have arrived
    monkeypatch.setattr(hc.HubClient, "publish", real_publish)
    report = hub_sync.sync(laptop_a)
    assert hub.version() == before + 1  # the retry got the stored answer: applied once
    assert report.published == 1 and not report.conflicts
    with laptop_a.session() as s:
        assert s.scalar(select(func.count()).select_from(HubOutbox)) == 0
    assert hub_sync.status(laptop_a).waiting == 0
    with hub.store.session() as s:
        history = s.scalar(
            select(func.count())
            .select_from(RecordHistory)
            .where(RecordHistory.record_id == team_id)
        )
    assert history == 1  # the hub replaced its version once


def test_cancel_during_the_pull_changes_nothing(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    connect(laptop_b, hub)

    class CancelOnPhotos(Progress):
        def on_step(self, done: int, total: int, text: str) -> None:
            if "photos" in text.lower():
                self.cancel()

    with pytest.raises(Cancelled):
        hub_sync.sync(laptop_b, CancelOnPhotos())
    assert live(laptop_b) == {}
    assert hub_sync.status(laptop_b).cursor == 0
    assert not any(laptop_b.photos_dir.rglob("*.*"))
    assert not any(laptop_b.tmp_dir.iterdir())
    hub_sync.sync(laptop_b)
    assert state(laptop_b) == state(laptop_a)


def test_unreachable_hub_and_revoked_laptop_are_sentences(hub: Hub, laptop_a: Library) -> None:
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    _rename_first_team(laptop_a, "离线修改")
    before = state(laptop_a)
    hub.served.stop()
    with pytest.raises(hc.HubUnreachableError) as unreachable:
        hub_sync.sync(laptop_a)
    assert str(unreachable.value) == hc.unreachable_sentence()
    assert state(laptop_a) == before
    status = hub_sync.status(laptop_a)
    assert status.waiting == 1 and status.last_result is not None
    assert status.last_result["ok"] is False
    hub.served.start()
    hub.revoke_all()
    with pytest.raises(hc.DeviceRevokedError) as revoked:
        hub_sync.sync(laptop_a)
    assert "disconnected" in str(revoked.value) or "断开" in str(revoked.value)
    assert state(laptop_a) == before
    # Disconnecting forgets the hub here; the library keeps everything.
    hub_sync.disconnect(laptop_a)
    assert not hub_sync.status(laptop_a).connected
    assert state(laptop_a) == before


def test_signing_in_again_after_a_revoke_clears_the_failed_attempt(
    hub: Hub, laptop_a: Library
) -> None:
    """The administrator disconnected the laptop; the leader connects again: the status no
    longer says the last attempt failed (the status bar's "上次尝试未成功"), and the last
    sync's time stays."""
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    synced_at = hub_sync.status(laptop_a).last_sync_at
    hub.revoke_all()
    with pytest.raises(hc.DeviceRevokedError):
        hub_sync.sync(laptop_a)
    failed = hub_sync.status(laptop_a).last_result
    assert failed is not None and failed["ok"] is False
    connect(laptop_a, hub)
    again = hub_sync.status(laptop_a)
    assert again.connected and again.last_sync_at == synced_at
    assert (again.last_result or {}).get("ok") is not False
    assert "message" not in (again.last_result or {})
    hub_sync.sync(laptop_a)
    assert (hub_sync.status(laptop_a).last_result or {}).get("ok") is True


def test_a_reader_cannot_publish_and_is_told_per_record(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    connect(laptop_b, hub, user="reader")
    hub_sync.sync(laptop_b)
    _rename_first_team(laptop_b, "读者的修改")
    # Meanwhile a guide changes on the hub: the reader's sync still brings it, and is a
    # sync that happened (its time in the status bar), not "the last attempt failed".
    with laptop_a.session() as s:
        guide_id = s.scalars(_first_guide()).first()
    assert guide_id is not None
    guide = catalog.load_guide(laptop_a, guide_id)
    guide.season = "管理员改的季节"
    catalog.save_guide(laptop_a, guide, guide_id)
    hub_sync.sync(laptop_a)
    before = hub_sync.status(laptop_b).last_sync_at
    report = hub_sync.sync(laptop_b)
    assert report.updated == 1 and report.published == 0
    assert catalog.load_guide(laptop_b, guide_id).season == "管理员改的季节"
    (note,) = report.notes
    assert "may read from the hub but not publish" in note and "stay here" in note
    status = hub_sync.status(laptop_b)
    assert status.waiting == 1  # the reader's change is kept, waiting
    assert status.last_sync_at is not None and before is not None
    assert status.last_sync_at > before
    assert (status.last_result or {}).get("ok") is True
    # Refused as a whole, nothing applied: not kept to be sent again.
    with laptop_b.session() as s:
        assert s.scalar(select(func.count()).select_from(HubOutbox)) == 0


# --- a hub restored from an older backup, or purged: laptops start over ---------------------


def _pg_tool(name: str) -> str:
    from tests.pgserver import _bin_dir

    bin_dir = _bin_dir()
    assert bin_dir is not None
    return str(bin_dir / name)


def dump_hub(pg_cluster: Any, hub: Hub, target: Path) -> None:
    """`pg_dump --format=custom`, as docs/hub-deploy.md's nightly backup does."""
    import subprocess

    from sqlalchemy.engine import make_url

    name = make_url(hub.store.engine.url).database
    subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={target}",
         "-h", str(pg_cluster.socket_dir), "-U", "postgres", str(name)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def restore_hub(pg_cluster: Any, hub: Hub, dump: Path) -> None:
    """docs/hub-deploy.md's restore: stop the hub, drop and create the database, pg_restore,
    start the hub again (same address and certificate). Nobody tells the hub it was
    restored: it must notice by itself."""
    import subprocess

    import psycopg
    from sqlalchemy.engine import make_url

    from desktop_app.hub.app import create_app
    from desktop_app.hub.database import HubStore

    url = hub.store.engine.url.render_as_string(hide_password=False)
    name = str(make_url(url).database)
    hub.served.stop()
    hub.store.close()
    with psycopg.connect(
        host=str(pg_cluster.socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [_pg_tool("pg_restore"), "--no-owner", "-h", str(pg_cluster.socket_dir),
         "-U", "postgres", f"--dbname={name}", str(dump)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    hub.store = HubStore.open(url)
    hub.served.app = create_app(hub.store)
    hub.served.restart_with(hub.cert)


def hub_epoch(hub: Hub) -> str:
    from desktop_app.hub.tables import HubState

    with hub.store.session() as s:
        state = s.get(HubState, 1)
        assert state is not None
        return state.epoch


def _edit_member(library: Library, name: str, *, besides: str = "") -> str:
    from desktop_app.storage.models import Member

    with library.session() as s:
        member_id = s.scalars(
            select(Member.id)
            .where(Member.deleted_at.is_(None), Member.id != besides)
            .order_by(Member.id)
        ).first()
    assert member_id is not None
    data = catalog.load_member(library, member_id)
    data.name = name
    catalog.save_member(library, data, member_id)
    return member_id


def test_a_hub_restored_from_an_older_backup_is_noticed_and_nothing_is_lost(
    pg_cluster: Any, hub: Hub, laptop_a: Library, laptop_b: Library, tmp_path: Path
) -> None:
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    connect(laptop_b, hub)
    hub_sync.sync(laptop_b)
    dump = tmp_path / "hub.dump"
    dump_hub(pg_cluster, hub, dump)
    epoch = hub_epoch(hub)

    # After the backup: A changes a team, deletes a guide and adds a member; B changes
    # another guide.
    team_id = _rename_first_team(laptop_a, "备份之后改的")
    with laptop_a.session() as s:
        guide_ids = s.scalars(
            select(KIND_GUIDE.id).where(KIND_GUIDE.deleted_at.is_(None)).order_by(KIND_GUIDE.id)
        ).all()
    assert len(guide_ids) >= 2
    catalog.delete_record(laptop_a, "guide", guide_ids[0])
    new_member = catalog.save_member(laptop_a, catalog.MemberData(name="备份之后来的新人"))
    assert hub_sync.sync(laptop_a).published == 3
    guide = catalog.load_guide(laptop_b, guide_ids[1])
    guide.title += "（备份之后）"
    catalog.save_guide(laptop_b, guide, guide_ids[1])
    hub_sync.sync(laptop_b)
    hub_sync.sync(laptop_a)
    assert state(laptop_a) == state(laptop_b) == state(hub.store)
    after_edits = state(laptop_a)
    cursor_a = hub_sync.status(laptop_a).cursor

    restore_hub(pg_cluster, hub, dump)
    assert hub_epoch(hub) != epoch  # noticed by the hub itself, at open
    assert state(hub.store) != after_edits  # the hub lost the four changes

    # B changes a member after the restore and syncs first, one record per publish, so the
    # hub's counter passes A's cursor: only the epoch tells A that the history was rewound.
    member_id = _edit_member(laptop_b, "恢复之后改的名字", besides=new_member)
    report_b = hub_sync.sync(laptop_b, batch_size=1)
    assert report_b.started_over == "restored"
    assert "restored" in report_b.started_over_message
    assert not report_b.conflicts and not report_b.refused
    # B sends back what the hub lost (the four changes; B had pulled A's) and its new one.
    assert report_b.published == 5 and report_b.pulled == 0
    assert hub.version() > cursor_a

    report_a = hub_sync.sync(laptop_a)
    assert report_a.started_over == "restored"
    assert not report_a.conflicts and not report_a.refused
    assert report_a.updated == 1 and report_a.published == 0  # B's member; nothing twice

    # Converged, and every version made survives as current.
    assert state(laptop_a) == state(laptop_b) == state(hub.store)
    final = state(hub.store)
    assert {k: v for k, v in final.items() if k != ("member", member_id)} == {
        k: v for k, v in after_edits.items() if k != ("member", member_id)
    }
    assert final[("guide", guide_ids[0])] == "deleted"
    assert catalog.load_member(laptop_b, new_member).name == "备份之后来的新人"
    assert catalog.load_team(laptop_a, team_id).description == "备份之后改的"
    assert catalog.load_member(laptop_a, member_id).name == "恢复之后改的名字"
    # Nothing duplicated: each lost change went back once (B's 4, A's 0 above), and no
    # conflict was made on the hub either.
    with hub.store.session() as s:
        assert s.scalar(select(func.count()).select_from(merge.MergeConflict)) == 0
    for library in (laptop_a, laptop_b):
        status = hub_sync.status(library)
        assert status.waiting == 0 and status.open_conflicts == 0
        assert status.last_result is not None and status.last_result["started_over"]
    # The next syncs are ordinary again.
    again = hub_sync.sync(laptop_a)
    assert again.started_over == "" and again.pulled == 0 and again.published == 0


def test_a_laptop_behind_a_purge_starts_over_and_misses_no_deletion(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    from desktop_app.hub import purge
    from desktop_app.storage.models import FieldSession, utcnow

    with laptop_a.session() as s:
        first = s.scalars(
            select(FieldSession.id)
            .where(FieldSession.deleted_at.is_(None))
            .order_by(FieldSession.id)
        ).first()
    assert first is not None
    second = catalog.save_session(laptop_a, catalog.load_session(laptop_a, first))  # a copy
    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    connect(laptop_b, hub)
    hub_sync.sync(laptop_b)
    # B goes away after changing the second session; A deletes both, and the hub purges the
    # deletions long after.
    session = catalog.load_session(laptop_b, second)
    session.theme += "（B 离线时改的）"
    catalog.save_session(laptop_b, session, second)
    catalog.delete_record(laptop_a, "session", first)
    catalog.delete_record(laptop_a, "session", second)
    assert hub_sync.sync(laptop_a).published == 2
    report = purge.purge(hub.store, 30, now=utcnow() + timedelta(days=60))
    assert report.deleted_records == {"session": 2}

    back = hub_sync.sync(laptop_b)
    assert back.started_over == "purged" and "cleared old deletions" in back.started_over_message
    # The deletion B never pulled still reaches it (its copy was the hub's, unchanged)...
    assert state(laptop_b)[("session", first)] == "deleted"
    assert ("session", first) not in state(hub.store)  # ...and is not published back to life
    # ...while B's own change to the other one is kept: it goes to the hub again.
    assert catalog.load_session(hub.store, second).theme.endswith("（B 离线时改的）")
    assert back.published == 1 and not back.refused
    status = hub_sync.status(laptop_b)
    assert status.waiting == 0 and status.last_result is not None
    assert status.last_result["started_over"] == back.started_over_message
    again = hub_sync.sync(laptop_b)
    assert again.started_over == "" and again.published == 0 and again.pulled == 0
    # A pulls B's version of the session it deleted: kept, as current or as a conflict.
    # (A's own cursor was below the horizon too: a laptop's cursor does not move with its
    # own publishes, so it starts over once as well, and loses nothing by it.)
    hub_sync.sync(laptop_a)
    assert state(laptop_a)[("session", second)] != "deleted" or any(
        c.record_id == second for c in merge.list_conflicts(laptop_a)
    )


def test_a_photo_cleaned_up_here_and_shown_by_a_pulled_record_comes_back_with_its_file(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    """Laptop A takes a photo out of its session and cleans up (the photo is deleted and its
    file removed); meanwhile laptop B makes the same photo a member's portrait and syncs. A's
    next sync brings the photo back (a record shows it) and must bring its file too: the hub
    sends only the member, not the photo it did not change, so the file is fetched for the
    revived photo. Before, the photo came back without a file and every pack export of A
    was refused ("the photo's file is missing")."""
    from desktop_app.services import packs, photos
    from desktop_app.storage.models import FieldSession, Member, Photo, SessionPhoto

    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    connect(laptop_b, hub)
    hub_sync.sync(laptop_b)
    hub_sync.sync(laptop_a)  # (A's cursor passes what A published itself)
    with laptop_a.session() as s:
        counts = dict(
            s.execute(
                select(SessionPhoto.photo_id, func.count())
                .join(FieldSession)
                .group_by(SessionPhoto.photo_id)
            ).all()
        )
        photo_id, session_id = next(
            (p, sid)
            for p, sid in s.execute(select(SessionPhoto.photo_id, SessionPhoto.session_id))
            if counts[p] == 1
            and not s.scalar(select(func.count()).where(Member.portrait_photo_id == p))
        )
        member_id = s.scalars(select(Member.id).where(Member.deleted_at.is_(None))).first()
        sha, ext = s.execute(select(Photo.sha256, Photo.ext).where(Photo.id == photo_id)).one()
    assert member_id is not None
    file_a = photo_path(laptop_a.photos_dir, sha, ext)

    session = catalog.load_session(laptop_a, session_id)
    session.photo_ids = [p for p in session.photo_ids if p != photo_id]
    catalog.save_session(laptop_a, session, session_id)
    assert photo_id in photos.unused_photos(laptop_a)
    photos.cleanup_unused(laptop_a)
    assert not file_a.exists()

    member = catalog.load_member(laptop_b, member_id)
    member.portrait_photo_id = photo_id
    catalog.save_member(laptop_b, member, member_id)
    hub_sync.sync(laptop_b)

    hub_sync.sync(laptop_a)
    with laptop_a.session() as s:
        assert s.get(Photo, photo_id).deleted_at is None  # type: ignore[union-attr]
    assert file_a.is_file()
    packs.export_pack(laptop_a, laptop_a.root.parent / "a.jxpack")
    hub_sync.sync(laptop_b)
    assert state(laptop_a) == state(laptop_b)


def test_a_refusal_is_told_once_per_version_and_the_change_is_still_offered(
    hub: Hub, laptop_a: Library, laptop_b: Library
) -> None:
    """A leader's change to another team's team is refused at every sync (it stays on the
    laptop, offered again in case the leader is given the team); the report marks a refusal
    of the very version refused last time as repeated, so the window tells it once. Changed
    again, it is new again."""
    from desktop_app.hub import accounts

    connect(laptop_a, hub)
    hub_sync.sync(laptop_a)
    import uuid

    with hub.store.transaction() as s:  # the leader of a team the hub does not have yet
        accounts.create_user(s, "leader", "leader", PASSWORD, team_ids=[str(uuid.uuid4())])
    connect(laptop_b, hub, user="leader")
    hub_sync.sync(laptop_b)
    _rename_first_team(laptop_b, "队长改的别队说明")
    first = hub_sync.sync(laptop_b)
    assert [(r.kind, r.repeated) for r in first.refused] == [("team", False)]
    assert first.refused[0].tag
    second = hub_sync.sync(laptop_b)
    assert [(r.kind, r.repeated) for r in second.refused] == [("team", True)]
    status = hub_sync.status(laptop_b)
    assert status.waiting == 1 and (status.last_result or {}).get("refused") == 1
    _rename_first_team(laptop_b, "又改了一次")
    third = hub_sync.sync(laptop_b)
    assert [(r.kind, r.repeated) for r in third.refused] == [("team", False)]
