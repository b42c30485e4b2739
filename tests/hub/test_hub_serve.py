"""`jiangxin-hub serve`: the real service over HTTPS with the certificate init made; a laptop
that trusts only that certificate (its pin) signs in, and Ctrl+C stops the hub cleanly."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from desktop_app.hub.app import schema_head
from desktop_app.hub.cli import CERT_FILE, main
from tests.pgserver import Cluster

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_over_https_with_the_pinned_certificate(
    pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip

    config = tmp_path / "hub"
    env = {**os.environ, "JIANGXIN_HUB_CONFIG_DIR": str(config),
           "JIANGXIN_HUB_PASSWORD": "serve-test-password"}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    url = pg_cluster.create_database()
    assert main(["--lang", "en", "init", "--database", url, "--admin", "admin"]) == 0
    capsys.readouterr()
    port = _free_port()
    hub = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.hub.cli", "--lang", "en", "serve",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert hub.poll() is None, hub.stdout.read() if hub.stdout else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        pinned = ssl.create_default_context(cafile=str(config / CERT_FILE))
        headers = {"Jiangxin-Protocol": "1", "Jiangxin-Schema": schema_head()}
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=pinned) as client:
            login = client.post(
                "/v1/login",
                json={"user": "admin", "password": "serve-test-password", "device_name": "t"},
                headers=headers,
            )
            assert login.status_code == 200, login.text
            token = login.json()["token"]
            me = client.get("/v1/me", headers={**headers, "Authorization": f"Bearer {token}"})
            assert me.json()["user"]["role"] == "admin"
        # A laptop that does not hold the pin refuses the hub.
        with (
            httpx.Client(base_url=f"https://127.0.0.1:{port}") as stranger,
            pytest.raises(httpx.ConnectError),
        ):
            stranger.get("/v1/hello")
    finally:
        hub.send_signal(signal.SIGINT)
        try:
            code = hub.wait(timeout=20)
        except subprocess.TimeoutExpired:
            hub.kill()
            raise
    assert hub.stdout is not None
    with hub.stdout:
        output = hub.stdout.read().decode()
    assert code == 0, output
    assert "Traceback" not in output
