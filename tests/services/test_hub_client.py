"""The laptop's hub client at the transport level: certificate pinning over real TLS (a
uvicorn server in a thread), a changed certificate refused, an unreachable hub and every
refusal turned into one sentence, the device token kept private.

The sync itself is tested end to end against the real hub in test_hub_sync.py."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from desktop_app.core.i18n import set_language
from desktop_app.services import hub_client as hc
from desktop_app.services import hub_sync
from desktop_app.storage.schema import HEAD
from tests.services.hubkit import Cert, Served, free_port, make_ca_signed, make_cert

SEEN: list[dict[str, str]] = []


async def hello(request: Request) -> JSONResponse:
    SEEN.append(dict(request.headers))
    return JSONResponse(
        {"protocol": 1, "min_protocol": 1, "schema": HEAD, "hub_id": "h1", "hub_name": "丰台"}
    )


async def too_new(request: Request) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "incompatible", "message": "请更新本机的匠心课堂。"}}, status_code=426
    )


async def revoked(request: Request) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "device_revoked", "message": "这台电脑已被管理员断开与中心的连接"}},
        status_code=401,
    )


async def broken(request: Request) -> JSONResponse:
    raise RuntimeError("boom")


APP = Starlette(
    routes=[
        Route("/v1/hello", hello),
        Route("/v1/me", revoked),
        Route("/v1/conflicts", too_new),
        Route("/v1/changes", broken),
    ]
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cert, Cert]:
    folder = tmp_path_factory.mktemp("certs")
    return make_cert(folder / "a"), make_cert(folder / "b")


@pytest.fixture
def served(certs: tuple[Cert, Cert]) -> Iterator[Served]:
    server = Served(APP, certs[0]).start()
    yield server
    server.stop()


def test_fingerprints_are_read_the_way_people_type_them() -> None:
    fp = ":".join(["AB"] * 32)
    assert hc.normalise_fingerprint("ab" * 32) == fp
    assert hc.normalise_fingerprint(" ".join(["ab"] * 32)) == fp
    assert hc.normalise_fingerprint("ab:cd") == ""
    assert hc.normalise_fingerprint("zz" * 32) == ""


def test_addresses() -> None:
    assert hc.normalise_url("192.168.1.5:8443/") == "https://192.168.1.5:8443"
    with pytest.raises(hc.HubClientError, match="HTTPS"):
        hc.normalise_url("http://192.168.1.5")
    with pytest.raises(hc.HubClientError):
        hc.normalise_url("https://host:notaport")
    with pytest.raises(hc.HubClientError):
        hc.normalise_url("  ")


def test_first_connect_shows_the_fingerprint_then_trusts_exactly_that_certificate(
    served: Served, certs: tuple[Cert, Cert]
) -> None:
    cert = hc.fetch_certificate(served.url)
    assert cert.fingerprint == certs[0].fingerprint
    assert not cert.trusted_by_system
    SEEN.clear()
    with hc.HubClient(served.url, certificate=cert.pem) as client:
        assert client.hello()["hub_name"] == "丰台"
    assert SEEN[0]["jiangxin-protocol"] == "1"
    assert SEEN[0]["jiangxin-schema"] == HEAD
    # Without the pin, a self-signed certificate is not trusted: a sentence, no traceback.
    with (
        hc.HubClient(served.url) as client,
        pytest.raises(hc.HubClientError, match="not trusted"),
    ):
        client.hello()


def test_a_changed_certificate_is_refused_with_a_warning(
    served: Served, certs: tuple[Cert, Cert]
) -> None:
    served.restart_with(certs[1])
    with (
        hc.HubClient(served.url, certificate=certs[0].pem) as client,
        pytest.raises(hc.CertificateChangedError) as caught,
    ):
        client.hello()
    assert "certificate has changed" in str(caught.value)
    assert certs[1].fingerprint in str(caught.value)


def test_connect_with_a_wrong_fingerprint_sends_nothing(served: Served, empty_library: Any) -> None:
    with pytest.raises(hc.HubClientError, match="not the one you gave"):
        hub_sync.connect(empty_library, served.url, "zhang", "pw", fingerprint="ab" * 32)
    assert not hub_sync.status(empty_library).connected
    with pytest.raises(Exception, match="not confirmed"):
        hub_sync.connect(empty_library, served.url, "zhang", "pw", confirm=lambda _c: False)


def test_an_unreachable_hub_is_one_calm_sentence() -> None:
    url = f"https://127.0.0.1:{free_port()}"
    with hc.HubClient(url, certificate="") as client, pytest.raises(hc.HubUnreachableError) as e:
        client.hello()
    assert str(e.value) == (
        "The data is saved on this computer; sync again when the network is back."
    )
    set_language("zh_CN")
    try:
        with hc.HubClient(url) as client, pytest.raises(hc.HubUnreachableError) as e:
            client.hello()
        assert "资料已保存在本机，联网后再同步" in str(e.value)
    finally:
        set_language("en")
    with pytest.raises(hc.HubUnreachableError, match="cannot be reached"):
        hc.fetch_certificate(url)


def test_refusals_are_the_hubs_sentences(served: Served, certs: tuple[Cert, Cert]) -> None:
    with hc.HubClient(served.url, certificate=certs[0].pem, token="t") as client:
        with pytest.raises(hc.DeviceRevokedError) as revoked_error:
            client.me()
        assert str(revoked_error.value) == "这台电脑已被管理员断开与中心的连接"
        with pytest.raises(hc.HubClientError) as old:
            client.conflicts()
        assert old.value.status == 426 and "请更新" in str(old.value)
        with pytest.raises(hc.HubClientError) as crashed:
            client.changes_raw(0, 10)
        assert "try again later" in str(crashed.value) and "Traceback" not in str(crashed.value)


def test_versions_say_which_side_to_update() -> None:
    with pytest.raises(hc.HubClientError, match="update Jiangxin on this laptop"):
        hc.check_compatible({"protocol": 2, "min_protocol": 2, "schema": HEAD})
    with pytest.raises(hc.HubClientError, match="ask the union office"):
        hc.check_compatible({"protocol": 1, "min_protocol": 1, "schema": "0001"})
    with pytest.raises(hc.HubClientError, match="update Jiangxin on this laptop"):
        hc.check_compatible({"protocol": 1, "min_protocol": 1, "schema": "9999"})
    hc.check_compatible({"protocol": 1, "min_protocol": 1, "schema": HEAD})


def test_the_device_token_is_private_to_the_user(tmp_path: Path) -> None:
    hub_sync.save_token("lib-1", "hub-1", "secret")
    path = Path(os.environ["JIANGXIN_CONFIG_DIR"]) / "hub" / "lib-1.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert hub_sync.load_token("lib-1", "hub-1") == "secret"
    assert hub_sync.load_token("lib-1", "another-hub") == ""
    hub_sync.forget_token("lib-1")
    assert hub_sync.load_token("lib-1", "hub-1") == ""


def test_a_certificate_the_system_trusts_needs_no_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file, cert = make_ca_signed(tmp_path / "ca")
    server = Served(APP, cert).start()
    try:
        # Before the authority is trusted: a fingerprint to confirm.
        assert not hc.fetch_certificate(server.url).trusted_by_system
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        found = hub_sync.probe(server.url)
        assert found.certificate.trusted_by_system and found.hub_name == "丰台"
        with hc.HubClient(server.url) as client:  # no pin: the system's authorities vouch
            assert client.hello()["hub_id"] == "h1"
    finally:
        server.stop()


def test_fetched_frames_are_checked_and_a_cut_answer_is_refused() -> None:
    """The frames of /v1/blobs/fetch are read in pieces of any size; a header that is not
    one, or an answer that ends inside a file, is a sentence (nothing is kept)."""
    import hashlib

    from desktop_app.services.hub_client import HubClientError, _Frames

    data = b"picture bytes " * 50
    sha = hashlib.sha256(data).hexdigest()
    stream = f"{sha} {len(data)}\n".encode() + data
    for size in (1, 7, 64, len(stream)):
        pieces = iter([stream[i : i + size] for i in range(0, len(stream), size)])
        frames = _Frames(pieces)
        assert frames.header() == (sha, len(data))
        assert b"".join(frames.body(len(data))) == data
        assert frames.header() is None
    with pytest.raises(HubClientError):
        frames = _Frames(iter([stream[:-3]]))
        frames.header()
        b"".join(frames.body(len(data)))
    with pytest.raises(HubClientError):
        _Frames(iter([b"x" * 200])).header()


@given(
    files=st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=5000), max_size=20),
)
@settings(max_examples=200, deadline=None)
def test_many_frames_cut_anywhere_read_back_exactly(files: list[bytes], cuts: list[int]) -> None:
    """Frames of many files, in chunks cut at any points (several frames in one chunk, a
    header split across chunks), read back as the files they were, in order."""
    import hashlib

    from desktop_app.services.hub_client import _Frames

    stream = b"".join(f"{hashlib.sha256(f).hexdigest()} {len(f)}\n".encode() + f for f in files)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    frames = _Frames(iter([stream[a:b] for a, b in itertools.pairwise(points)]))
    got = []
    while (header := frames.header()) is not None:
        got.append((header[0], b"".join(frames.body(header[1]))))
    assert got == [(hashlib.sha256(f).hexdigest(), f) for f in files]
