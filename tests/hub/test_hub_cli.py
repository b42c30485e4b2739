"""The `jiangxin-hub` command on a real PostgreSQL: init (twice), users, devices, certificates."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import func, select

from desktop_app.hub import accounts, tls
from desktop_app.hub.cli import CERT_FILE, CONFIG_FILE, KEY_FILE, main
from desktop_app.hub.database import HubDatabaseError, HubStore
from desktop_app.hub.errors import DeviceRevoked
from desktop_app.hub.tables import HubState, HubUser
from tests.pgserver import Cluster

PASSWORD = "demo-admin-密码"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id with small parameters: the real ones cost about a second a hash on a busy test
    machine (on purpose). What is stored and checked is the same; the parameters themselves
    are checked by test_production_parameters."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "password_hasher", lambda: cheap)
    accounts._decoy_hash.cache_clear()
    yield
    accounts._decoy_hash.cache_clear()


@pytest.fixture
def hub_env(
    pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Path]:
    url = pg_cluster.create_database()
    config = tmp_path / "hub-config"
    monkeypatch.setenv("JIANGXIN_HUB_CONFIG_DIR", str(config))
    monkeypatch.setenv("JIANGXIN_HUB_PASSWORD", PASSWORD)
    monkeypatch.delenv("JIANGXIN_HUB_DATABASE", raising=False)
    return url, config


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--lang", "en", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _openssl_fingerprint(cert: Path) -> str | None:
    if shutil.which("openssl") is None:
        return None
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(cert)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip().split("=", 1)[1]


def test_init_twice_makes_one_admin_one_certificate(
    hub_env: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, config = hub_env
    code, out, err = _run(
        capsys, "init", "--database", url, "--admin", "admin", "--name", "丰台区总工会",
        "--host", "hub.example.org", "--host", "192.168.1.20",
    )  # fmt: skip
    assert code == 0, err
    assert "Administrator admin created." in out
    cert, key = config / CERT_FILE, config / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((config / CONFIG_FILE).stat().st_mode) == 0o600
    printed = out.split("Certificate fingerprint (SHA-256): ")[1].split()[0]
    der_hash = x509.load_pem_x509_certificate(cert.read_bytes()).fingerprint(hashes.SHA256())
    assert printed == ":".join(f"{b:02X}" for b in der_hash)
    assert printed == (_openssl_fingerprint(cert) or printed)
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert {"hub.example.org", "localhost"} <= set(names.value.get_values_for_type(x509.DNSName))
    assert {"192.168.1.20", "127.0.0.1"} <= {
        str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)
    }

    # Again, with the database from the saved configuration: nothing duplicated, same pin.
    code, out, err = _run(capsys, "init", "--admin", "admin")
    assert code == 0, err
    assert "Administrator admin already exists." in out
    assert printed in out
    store = HubStore.open(url)
    try:
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(HubUser)) == 1
            state = s.get(HubState, 1)
            assert state is not None and state.name == "丰台区总工会"
            admin = accounts.find_user(s, "admin")
            assert admin is not None and admin.role == "admin"
            assert PASSWORD not in admin.password_hash
        with store.session() as s:
            accounts.login(s, "admin", PASSWORD, "test")  # the password from the environment
    finally:
        store.close()


def test_certificate_works_for_tls_with_the_pin_as_the_only_trust(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    fp = tls.make_self_signed(cert, key, ["hub.local"])
    assert tls.check_pair(cert, key) == fp == tls.fingerprint(cert.read_bytes())
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _addr = listener.accept()
        with server_context.wrap_socket(conn, server_side=True) as tls_conn:
            tls_conn.sendall(b"ok")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        for name in ["localhost", "hub.local"]:
            if name == "hub.local":
                thread.join()
                thread = threading.Thread(target=serve)
                thread.start()
            with (
                socket.create_connection(("127.0.0.1", port)) as raw,
                client_context.wrap_socket(raw, server_hostname=name) as client,
            ):
                assert client.recv(2) == b"ok"
    finally:
        thread.join(timeout=10)
        listener.close()


def test_a_real_certificate_is_used_as_is(
    hub_env: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, config = hub_env
    cert, key = tmp_path / "real" / "fullchain.pem", tmp_path / "real" / "privkey.pem"
    fp = tls.make_self_signed(cert, key, ["hub.union.example"])
    other_cert, other_key = tmp_path / "o.pem", tmp_path / "ok.pem"
    tls.make_self_signed(other_cert, other_key, [])
    code, _out, err = _run(
        capsys, "init", "--database", url, "--admin", "admin", "--cert", str(cert),
        "--key", str(other_key),
    )  # fmt: skip
    assert code == 1 and "does not belong" in err
    assert not (config / CONFIG_FILE).exists()
    code, out, err = _run(
        capsys, "init", "--database", url, "--admin", "admin", "--cert", str(cert),
        "--key", str(key),
    )  # fmt: skip
    assert code == 0, err
    assert fp in out
    assert not (config / CERT_FILE).exists()  # none made
    code, _out, err = _run(capsys, "init", "--admin", "admin", "--cert", str(cert))
    assert code == 1 and "both --cert and --key" in err


def test_users_and_devices(hub_env: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, _config = hub_env
    team = str(uuid.uuid4())
    assert _run(capsys, "init", "--database", url, "--admin", "admin")[0] == 0
    code, out, err = _run(capsys, "user", "add", "zhang", "--role", "leader", "--team", team)
    assert code == 0, err
    code, _out, err = _run(capsys, "user", "add", "zhang", "--role", "reader")
    assert (code, err.strip()) == (1, "jiangxin-hub: The hub already has a user named “zhang”.")
    code, _out, err = _run(capsys, "user", "add", "wang", "--role", "boss")
    assert code == 1 and "Unknown role" in err and "Traceback" not in err
    code, _out, err = _run(capsys, "user", "add", "wang", "--role", "leader")
    assert code == 1 and "--team" in err
    code, out, err = _run(capsys, "user", "list")
    assert code == 0, err
    assert "zhang" in out and team in out and "admin" in out and "wang" not in out

    store = HubStore.open(url)
    try:
        with store.session() as s:
            token, who = accounts.login(s, "zhang", PASSWORD, "张师傅的笔记本")
        code, out, _err = _run(capsys, "device", "list")
        assert who.device_id in out and "张师傅的笔记本" in out
        code, out, err = _run(capsys, "device", "revoke", who.device_id)
        assert code == 0, err
        with pytest.raises(DeviceRevoked):
            accounts.authenticate(store, token)
        code, _out, err = _run(capsys, "device", "revoke", "no-such-device")
        assert code == 1 and "no device" in err

        with store.session() as s:
            token, _who = accounts.login(s, "zhang", PASSWORD, "another")
        code, out, err = _run(capsys, "user", "disable", "zhang")
        assert code == 0, err
        with pytest.raises(DeviceRevoked):
            accounts.authenticate(store, token)
        code, out, _err = _run(capsys, "user", "list", "--json")
        assert '"disabled_at": null' in out  # the administrator
        assert out.count('"disabled_at": "') == 1
    finally:
        store.close()


def test_password_from_a_prompt_asked_twice(
    hub_env: tuple[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _config = hub_env
    assert _run(capsys, "init", "--database", url, "--admin", "admin")[0] == 0
    monkeypatch.delenv("JIANGXIN_HUB_PASSWORD")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["first password", "second password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _out, err = _run(capsys, "user", "add", "li", "--role", "reader")
    assert code == 1 and "differ" in err
    answers = iter(["li's password", "li's password"])
    assert _run(capsys, "user", "add", "li", "--role", "reader")[0] == 0
    store = HubStore.open(url)
    try:
        with store.session() as s:
            accounts.login(s, "li", "li's password", "x")
    finally:
        store.close()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _out, err = _run(capsys, "user", "add", "wu", "--role", "reader")
    assert code == 1 and "JIANGXIN_HUB_PASSWORD" in err
    # A user that cannot be made is refused before any password is asked for.
    code, _out, err = _run(capsys, "user", "add", "wu", "--role", "leader", "--team", "nope")
    assert code == 1 and "not a team id" in err


def test_errors_are_one_sentence(
    pg_cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("JIANGXIN_HUB_CONFIG_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("JIANGXIN_HUB_DATABASE", raising=False)
    code, _out, err = _run(capsys, "user", "list")
    assert code == 1 and "--database" in err
    # A database nobody set up.
    code, _out, err = _run(capsys, "user", "list", "--database", pg_cluster.create_database())
    assert code == 1 and "jiangxin-hub init" in err
    # A server that is not there.
    monkeypatch.setenv("JIANGXIN_HUB_DATABASE", f"postgresql://postgres@/x?host={tmp_path}")
    code, _out, err = _run(capsys, "device", "list")
    assert code == 1 and err.startswith("jiangxin-hub: Cannot use the hub's database")
    assert len(err.strip().splitlines()) == 1
    code, _out, err = _run(capsys, "serve")
    assert code == 1 and "init" in err
    # A configuration folder that cannot be made: refused before the database is touched.
    (tmp_path / "a-file").write_text("x")
    empty = pg_cluster.create_database()
    code, _out, err = _run(
        capsys, "init", "--database", empty, "--admin", "admin",
        "--config-dir", str(tmp_path / "a-file" / "hub"),
    )  # fmt: skip
    assert code == 1 and "a-file" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(HubDatabaseError):
        HubStore.open(empty).close()
    for output in (_out, err):
        assert "Traceback" not in output


def test_help_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--lang", "zh_CN", "--help"])
    assert "中心" in capsys.readouterr().out


def _epoch(url: str) -> str:
    store = HubStore.open(url)
    try:
        with store.session() as s:
            state = s.get(HubState, 1)
            assert state is not None
            return state.epoch
    finally:
        store.close()


def test_a_copied_or_restored_database_takes_a_new_epoch(
    hub_env: tuple[str, Path], pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url, _config = hub_env
    assert _run(capsys, "init", "--database", url, "--admin", "admin")[0] == 0
    epoch = _epoch(url)
    assert _epoch(url) == epoch  # opening the same database again changes nothing
    code, out, _err = _run(capsys, "init", "--admin", "admin")
    assert code == 0 and "restored from a backup" not in out and _epoch(url) == epoch

    # A copy of the database (as pg_restore into a new database makes one): same tables,
    # same hub_state row, yet `init` notices it is not the database it last wrote in.
    copy = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(
        host=str(pg_cluster.socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{make_url(url).database}"')
    copied = url.replace(f"/{make_url(url).database}?", f"/{copy}?")
    code, out, err = _run(capsys, "init", "--database", copied, "--admin", "admin")
    assert code == 0, err
    assert "restored from a backup" in out
    new = _epoch(copied)
    assert new != epoch and _epoch(copied) == new  # once, not at every open

    # A restore the hub cannot notice (same database): told by hand.
    code, out, err = _run(capsys, "restored", "--database", url)
    assert code == 0 and "start over" in out, err
    assert _epoch(url) not in (epoch, new)


def test_purge_and_gc_commands(
    hub_env: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _config = hub_env
    assert _run(capsys, "init", "--database", url, "--admin", "admin")[0] == 0
    code, out, err = _run(capsys, "purge", "--older-than", "3", "--dry-run")
    assert code == 1 and out == "" and "7 days" in err and len(err.strip().splitlines()) == 1
    code, out, err = _run(capsys, "purge", "--older-than", "30", "--grace-hours", "0", "--dry-run")
    assert code == 1 and "1 hour" in err
    code, out, err = _run(capsys, "purge", "--older-than", "30", "--dry-run")
    assert code == 0, err
    assert out.startswith("Dry run: nothing was changed.") and "records deleted before" in out
    code, out, err = _run(capsys, "purge", "--older-than", "30")
    assert code == 0 and out.startswith("Removed:"), err
    code, out, err = _run(capsys, "gc", "--json")
    assert code == 0, err
    import json

    report = json.loads(out)
    assert report["dry_run"] is False and report["cutoff"] is None and report["blobs"] == 0


def test_device_revoke_takes_the_start_of_an_id(
    hub_env: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """`device list` prints 36-character ids; the administrator copies the start of one (as
    `jiangxin conflicts resolve` takes it), and that laptop, and only it, is disconnected."""
    url, _config = hub_env
    assert _run(capsys, "init", "--database", url, "--admin", "admin")[0] == 0
    assert _run(capsys, "user", "add", "li", "--role", "reader")[0] == 0
    store = HubStore.open(url)
    try:
        with store.session() as s:
            token, who = accounts.login(s, "li", PASSWORD, "李师傅的笔记本")
            other_token, _other = accounts.login(s, "li", PASSWORD, "办公室的电脑")
        code, out, err = _run(capsys, "device", "revoke", who.device_id[:8].upper())
        assert code == 0, err
        assert who.device_id in out  # the whole id, so the administrator sees which one
        with pytest.raises(DeviceRevoked):
            accounts.authenticate(store, token)
        accounts.authenticate(store, other_token)  # the other laptop still syncs
    finally:
        store.close()


def test_device_revoke_refuses_a_start_shared_by_several_laptops() -> None:
    from datetime import UTC, datetime

    from desktop_app.hub.cli import _device_id

    now = datetime.now(UTC)
    devices = [
        accounts.DeviceInfo(id=i, user_name=u, name="vm", created_at=now, last_seen_at=None,
                            revoked_at=None)
        for i, u in (("ab12cd34-0000", "li"), ("ab12ff00-1111", "zhang"))
    ]  # fmt: skip
    assert _device_id(devices, " AB12CD ") == "ab12cd34-0000"
    assert _device_id(devices, "no-such-device") == "no-such-device"  # refused by revoke_device
    with pytest.raises(accounts.AccountError) as shared:
        _device_id(devices, "ab12")
    assert "ab12cd34-0000 (li)" in str(shared.value) and "ab12ff00-1111 (zhang)" in str(
        shared.value
    )


def test_user_list_names_a_leaders_teams_and_add_warns_of_a_team_the_hub_lacks(
    hub_env: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The union office reads team names, not UUIDs; a mistyped (or not yet published) team
    id is pointed out when the leader is added."""
    from desktop_app.hub import sync
    from tests.hub.wire import admin, entry, new_id, team_data

    url, _config = hub_env
    assert _run(capsys, "init", "--database", url, "--admin", "admin")[0] == 0
    team, missing = new_id(), new_id()
    store = HubStore.open(url)
    try:
        sync.publish(store, admin(), new_id(), [entry("team", team_data(team, "专业技术服务2队"))])
    finally:
        store.close()
    code, out, err = _run(capsys, "user", "add", "zhang", "--role", "leader", "--team", team)
    assert code == 0, err
    assert "not on the hub" not in out
    code, out, err = _run(capsys, "user", "add", "li", "--role", "leader", "--team", missing)
    assert code == 0, err
    assert f"The team {missing} is not on the hub yet" in out
    code, out, _err = _run(capsys, "user", "list")
    assert f"专业技术服务2队 ({team[:8]})" in out
    assert f"{missing} (not on the hub yet)" in out
    code, out, _err = _run(capsys, "user", "list", "--json")
    by_name = {u["name"]: u for u in json.loads(out)}
    assert by_name["zhang"]["team_names"] == {team: "专业技术服务2队"}
    assert by_name["li"]["team_names"] == {}
