"""`jiangxin hub connect|sync|status|disconnect` as a user types them, against a real hub
(PostgreSQL, the hub app over HTTPS; see tests/services/test_hub_sync.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app.cli import main
from desktop_app.storage.library import Library
from tests.services.hubkit import free_port
from tests.services.test_hub_sync import PASSWORD, Hub, start_hub


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hub(pg_cluster: Any, tmp_path: Path) -> Iterator[Hub]:
    running = start_hub(pg_cluster, tmp_path / "cert")
    yield running
    running.served.stop()
    running.store.close()


def test_status_of_a_library_not_connected(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(capsys, "--library", str(demo_dir), "hub", "status")
    assert code == 0 and "Not connected to a hub." in out
    code, _out, err = run(capsys, "--library", str(demo_dir), "hub", "sync")
    assert code == 1 and "not connected to a hub" in err and "Traceback" not in err


def test_connect_to_an_unreachable_address_is_a_sentence(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIANGXIN_HUB_PASSWORD", PASSWORD)
    url = f"https://127.0.0.1:{free_port()}"
    code, _out, err = run(
        capsys, "--library", str(demo_dir), "hub", "connect", url, "--user", "admin"
    )
    assert code == 1 and "cannot be reached" in err


def test_connect_sync_status_disconnect(
    hub: Hub,
    demo_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lib = ["--library", str(demo_dir)]
    # Without --fingerprint and without a terminal to confirm on: not connected.
    monkeypatch.setenv("JIANGXIN_HUB_PASSWORD", PASSWORD)
    code, out, err = run(capsys, *lib, "hub", "connect", hub.url, "--user", "admin")
    assert code == 1 and hub.cert.fingerprint in out and "not confirmed" in err
    # A wrong fingerprint: a warning, nothing sent.
    code, _out, err = run(
        capsys, *lib, "hub", "connect", hub.url, "--user", "admin", "--fingerprint", "AB" * 32
    )
    assert code == 1 and "not the one you gave" in err
    # A wrong password: the hub's sentence.
    monkeypatch.setenv("JIANGXIN_HUB_PASSWORD", "wrong-password-123")
    code, _out, err = run(
        capsys, *lib, "hub", "connect", hub.url, "--user", "admin",
        "--fingerprint", hub.cert.fingerprint.lower(),
    )  # fmt: skip
    assert code == 1 and err.startswith("jiangxin: ") and "Traceback" not in err
    monkeypatch.setenv("JIANGXIN_HUB_PASSWORD", PASSWORD)
    code, out, err = run(
        capsys, *lib, "hub", "connect", hub.url, "--user", "admin",
        "--fingerprint", hub.cert.fingerprint,
    )  # fmt: skip
    assert code == 0, err
    assert "丰台区总工会" in out and hub.cert.fingerprint in out

    code, out, _err = run(capsys, *lib, "hub", "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["connected"] and status["waiting"] > 0
    assert status["last_sync_at"] is None and status["fingerprint"] == hub.cert.fingerprint

    code, out, _err = run(capsys, *lib, "hub", "sync", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["published"]["applied"] == status["waiting"]
    assert report["conflicts"] == [] and report["refused"] == [] and report["waiting"] == 0

    code, out, _err = run(capsys, *lib, "hub", "sync")
    assert code == 0 and "Published: 0" in out and "Conflicts: 0" in out

    code, out, _err = run(capsys, *lib, "hub", "status")
    assert code == 0 and "Changes waiting to be published: 0" in out and "Last sync: " in out

    hub.served.stop()
    code, _out, err = run(capsys, *lib, "hub", "sync")
    assert code == 1
    assert "The data is saved on this computer; sync again when the network is back." in err
    code, out, _err = run(capsys, *lib, "hub", "status")
    assert "Last attempt failed" in out
    code, out, _err = run(capsys, *lib, "hub", "disconnect")
    assert code == 0 and "could not be reached" in out
    code, out, _err = run(capsys, *lib, "hub", "status")
    assert "Not connected to a hub." in out
    with Library.open(demo_dir, write=False) as library:
        assert library.name  # the library is intact and opens


def test_sync_report_names_each_records_kind_in_the_users_language(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines of conflicts and refusals say "服务队", never the wire's "team"."""
    from desktop_app.services import hub_sync

    team_id = "a89df9c5-7652-4bed-8edd-ab4ce477d004"
    report = hub_sync.SyncReport(
        conflicts=[
            hub_sync.RecordNote("guide", "9fe9a149-a815", "花后修剪", "两台电脑上都有修改。")
        ],
        refused=[
            hub_sync.RecordNote("team", team_id, "专业技术服务2队", "只能上传本队的资料。"),
            hub_sync.RecordNote("poster", "0123456789", "海报", "?"),  # a newer hub's kind
        ],
        waiting=2,
    )
    monkeypatch.setattr(hub_sync, "sync", lambda library, progress=None: report)
    code, out, err = run(capsys, "--lang", "zh_CN", "--library", str(demo_dir), "hub", "sync")
    assert code == 0, err
    assert "  服务队 a89df9c5  专业技术服务2队  只能上传本队的资料。" in out
    assert "  技能指南 9fe9a149  花后修剪  两台电脑上都有修改。" in out
    assert "  poster 01234567  海报" in out
    assert "team " not in out and "guide " not in out


def test_a_conflict_from_the_hub_is_resolved_without_talk_of_a_pack(
    hub: Hub,
    demo_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_app.services import catalog, listing

    monkeypatch.setenv("JIANGXIN_HUB_PASSWORD", PASSWORD)
    b_dir = tmp_path / "b"
    assert run(capsys, "--library", str(b_dir), "init")[0] == 0
    for folder in (demo_dir, b_dir):
        lib = ["--library", str(folder)]
        code, _out, err = run(
            capsys, *lib, "hub", "connect", hub.url, "--user", "admin",
            "--fingerprint", hub.cert.fingerprint,
        )  # fmt: skip
        assert code == 0, err
        assert run(capsys, *lib, "hub", "sync")[0] == 0
    with Library.open(demo_dir, write=True) as a:
        team_id = str(next(iter(listing.list_rows(a, "team")))["id"])
    for folder, text in ((demo_dir, "A 的介绍"), (b_dir, "B 的介绍")):
        with Library.open(folder, write=True) as library:
            data = catalog.load_team(library, team_id)
            data.description = text
            catalog.save_team(library, data, team_id)
    assert run(capsys, "--library", str(demo_dir), "hub", "sync")[0] == 0
    code, out, _err = run(capsys, "--library", str(b_dir), "hub", "sync", "--json")
    (conflict,) = json.loads(out)["conflicts"]
    code, out, _err = run(capsys, "--library", str(b_dir), "conflicts", "list", "--json")
    (listed,) = json.loads(out)
    code, out, err = run(
        capsys, "--library", str(b_dir), "conflicts", "resolve", listed["id"][:8],
        "--keep", "theirs",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == "Took the other version." and "pack" not in out
    assert conflict["id"] == team_id
    with Library.open(b_dir, write=False) as library:
        assert catalog.load_team(library, team_id).description == "A 的介绍"


def test_a_revoked_laptop_is_told_the_way_back(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.services import hub_client, hub_sync

    def revoked(library: Any, progress: Any = None) -> Any:
        raise hub_client.DeviceRevokedError("这台电脑已被管理员断开与中心的连接。", status=401)

    monkeypatch.setattr(hub_sync, "sync", revoked)
    code, out, err = run(capsys, "--lang", "zh_CN", "--library", str(demo_dir), "hub", "sync")
    assert code == 1 and out == ""
    assert err.startswith("jiangxin: 这台电脑已被管理员断开与中心的连接。")
    assert "jiangxin hub connect" in err and "Traceback" not in err
