"""The hub's HTTP routes (docs/hub-protocol.md) on a real PostgreSQL, through Starlette's test
client and once through a real uvicorn server.

What a laptop relies on: an incompatible peer is told which side to update; every refusal is a
JSON sentence in the laptop's language; hostile requests (oversized, bad JSON, photo bytes that
do not match their name, path tricks, another team's record in a batch) are refused with
nothing written; a revoked laptop is told so.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.testclient import TestClient

from desktop_app.hub import accounts
from desktop_app.hub.app import create_app, schema_head
from desktop_app.hub.database import HubStore, current_version
from desktop_app.hub.tables import HubBlob, HubChange, PublishLog
from desktop_app.storage.db import make_server_engine
from desktop_app.storage.models import Guide, ServiceTeam
from tests.hub.wire import entry, guide_data, new_id, team_data
from tests.pgserver import Cluster

PASSWORD = "correct horse battery"


def headers(token: str = "", lang: str = "en") -> dict[str, str]:
    out = {"Jiangxin-Protocol": "1", "Jiangxin-Schema": schema_head(), "Accept-Language": lang}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def sign_in(hub: HubStore, role: str, teams: tuple[str, ...] = ()) -> tuple[str, str]:
    """A user of `role` and a signed-in laptop of theirs: (token, device id)."""
    name = f"{role}-{new_id()[:8]}"
    with hub.transaction() as s:
        accounts.create_user(s, name, role, PASSWORD, teams)
    with hub.session() as s:
        token, who = accounts.login(s, name, PASSWORD, "笔记本")
    return token, who.device_id


def written(hub: HubStore) -> tuple[int, ...]:
    with hub.session() as s:
        tables = (Guide, ServiceTeam, HubChange, PublishLog, HubBlob)
        found = [s.scalar(select(func.count()).select_from(table)) or 0 for table in tables]
        return (*found, current_version(s))


def asgi_post(app: Any, path: str, sent: dict[str, str], chunk: bytes) -> tuple[int, int]:
    """POST an endless chunked body straight to the ASGI app: (status, chunks it read)."""
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < 100_000}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    return status, read


@pytest.fixture
def client(hub: HubStore) -> Iterator[TestClient]:
    with TestClient(create_app(hub, max_json=64 * 1024, max_blob=4096)) as c:
        yield c


def test_hello_needs_no_sign_in_and_names_the_hub(client: TestClient) -> None:
    answer = client.get("/v1/hello")
    assert answer.status_code == 200
    body = answer.json()
    assert body["protocol"] == 1 and body["min_protocol"] == 1
    assert body["schema"] == schema_head() and body["hub_name"] == "丰台区总工会"
    assert len(body["hub_id"]) == 36


@pytest.mark.parametrize(
    "protocol,schema,side",
    [
        (None, None, "update Jiangxin on this laptop"),
        ("0", "current", "update Jiangxin on this laptop"),
        ("1", "0001", "update Jiangxin on this laptop"),
        ("2", "current", "update the hub"),
        ("1", "9999", "update the hub"),
    ],
)
def test_an_incompatible_laptop_is_told_which_side_to_update(
    client: TestClient, hub: HubStore, protocol: str | None, schema: str | None, side: str
) -> None:
    sent = {"Accept-Language": "en"}
    if protocol is not None:
        sent["Jiangxin-Protocol"] = protocol
    if schema is not None:
        sent["Jiangxin-Schema"] = schema_head() if schema == "current" else schema
    before = written(hub)
    answer = client.post("/v1/publish", headers=sent, json={"publish_id": "x", "entries": []})
    assert answer.status_code == 426
    assert answer.json()["error"]["code"] == "incompatible"
    assert side in answer.json()["error"]["message"]
    assert written(hub) == before


def test_refusals_are_sentences_in_the_laptops_language(client: TestClient, hub: HubStore) -> None:
    assert client.get("/v1/changes", headers=headers()).json()["error"]["code"] == "not_signed_in"
    english = client.get("/v1/changes", headers={"Accept-Language": "en"})
    chinese = client.get("/v1/changes", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert english.status_code == chinese.status_code == 426
    assert "update Jiangxin on this laptop" in english.json()["error"]["message"]
    assert "更新" in chinese.json()["error"]["message"]
    # Sentences made by the sync service itself follow the request too (per request, while
    # other requests are served in other languages).
    token, _device = sign_in(hub, "admin")
    body = {"publish_id": new_id(), "entries": [entry("guide", guide_data(new_id(), None, ""))]}
    for lang, probe in (("en", "rule"), ("zh-CN", "规则"), ("en", "rule")):
        body["publish_id"] = new_id()
        answer = client.post("/v1/publish", headers=headers(token, lang), json=body).json()
        assert probe in answer["results"][0]["reason"], answer


def test_publish_and_pull_over_http(client: TestClient, hub: HubStore) -> None:
    token, _device = sign_in(hub, "admin")
    team, guide = new_id(), new_id()
    publish_id = new_id()
    body = {
        "publish_id": publish_id,
        "entries": [
            entry("team", team_data(team, "园林队")),
            entry("guide", guide_data(guide, team, "修剪")),
        ],
    }
    answer = client.post("/v1/publish", headers=headers(token), json=body)
    assert answer.status_code == 200, answer.text
    assert [r["outcome"] for r in answer.json()["results"]] == ["applied", "applied"]
    again = client.post("/v1/publish", headers=headers(token), json=body)
    assert again.json() == answer.json()
    page = client.get("/v1/changes?since=0&limit=10", headers=headers(token)).json()
    assert {e["record"]["id"] for e in page["entries"]} == {team, guide}
    assert page["cursor"] == 1 and page["more"] is False and page["hub_version"] == 1
    assert client.get("/v1/conflicts", headers=headers(token)).json() == {"conflicts": []}
    bad = client.get("/v1/changes?since=abc", headers=headers(token))
    assert bad.status_code == 400 and bad.json()["error"]["message"]


def test_a_reader_cannot_publish_or_upload(client: TestClient, hub: HubStore) -> None:
    token, _device = sign_in(hub, "reader")
    before = written(hub)
    body = {"publish_id": new_id(), "entries": [entry("guide", guide_data(new_id(), None, "x"))]}
    answer = client.post("/v1/publish", headers=headers(token), json=body)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    blob = b"photo"
    sha = hashlib.sha256(blob).hexdigest()
    assert client.put(f"/v1/blobs/{sha}", headers=headers(token), content=blob).status_code == 403
    assert written(hub) == before
    # Reading is fine.
    assert client.get("/v1/changes", headers=headers(token)).status_code == 200


def test_a_revoked_laptop_is_told_so(client: TestClient, hub: HubStore) -> None:
    token, device = sign_in(hub, "admin")
    assert client.get("/v1/conflicts", headers=headers(token)).status_code == 200
    with hub.transaction() as s:
        accounts.revoke_device(s, device)
    answer = client.get("/v1/conflicts", headers=headers(token))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "device_revoked"


def test_blobs_are_checked_before_anything_is_stored(client: TestClient, hub: HubStore) -> None:
    token, _device = sign_in(hub, "leader", (new_id(),))
    blob = b"\xff\xd8\xff a small photo"
    sha = hashlib.sha256(blob).hexdigest()
    other = hashlib.sha256(b"other").hexdigest()
    missing = client.post(
        "/v1/blobs/missing", headers=headers(token), json={"sha256": [sha, other]}
    )
    assert missing.json() == {"missing": [sha, other]}
    before = written(hub)
    mismatch = client.put(f"/v1/blobs/{other}", headers=headers(token), content=blob)
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == "hash_mismatch"
    for name in ("ABC", sha.upper(), sha[:-1] + "g", sha + "0", sha + "%00", "%2e%2e"):
        trick = client.put(f"/v1/blobs/{name}", headers=headers(token), content=blob)
        assert trick.status_code == 400, name
        assert trick.json()["error"]["code"] == "bad_name"
    for path in (
        f"/v1/blobs/../../{sha}",
        f"/v1/blobs/{sha}/..",
        "/v1/blobs/..%2F..%2Fetc",
        "/v1/blobs/..",
    ):
        trick = client.put(path, headers=headers(token), content=blob)
        assert trick.status_code in (400, 404), path
        assert trick.json()["error"]["code"] in ("bad_name", "not_found")
    big = bytes(5000)
    too_big = client.put(
        f"/v1/blobs/{hashlib.sha256(big).hexdigest()}", headers=headers(token), content=big
    )
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
    assert written(hub) == before
    first = client.put(f"/v1/blobs/{sha}", headers=headers(token), content=blob)
    assert first.status_code == 201
    assert client.put(f"/v1/blobs/{sha}", headers=headers(token), content=blob).status_code == 200
    got = client.get(f"/v1/blobs/{sha}", headers=headers(token))
    assert got.status_code == 200 and got.content == blob
    absent = client.get(f"/v1/blobs/{other}", headers=headers(token))
    assert absent.status_code == 404 and absent.json()["error"]["code"] == "not_found"
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(HubBlob)) == 1


def test_hostile_publishes_are_refused_with_nothing_written(
    client: TestClient, hub: HubStore
) -> None:
    mine, other = new_id(), new_id()
    admin_token, _d = sign_in(hub, "admin")
    teams = [entry("team", team_data(other, "别人的队")), entry("team", team_data(mine, "我的队"))]
    seed = {"publish_id": new_id(), "entries": teams}
    assert client.post("/v1/publish", headers=headers(admin_token), json=seed).status_code == 200
    token, _device = sign_in(hub, "leader", (mine,))
    before = written(hub)
    send = headers(token) | {"Content-Type": "application/json"}
    for raw in (b"{", b"[1, 2", b'{"publish_id": NaN}', b"\xff\xfe", b'"just a string"', b"[]"):
        answer = client.post("/v1/publish", headers=send, content=raw)
        assert answer.status_code == 400, raw
        assert answer.json()["error"]["message"]
    nested = b"[" * 100_000 + b"]" * 100_000  # deeper than any parser should recurse
    assert client.post("/v1/publish", headers=send, content=nested).status_code in (400, 413)
    oversized = b'{"publish_id": "x", "entries": [' + b'"x",' * 20_000 + b'"x"]}'
    answer = client.post("/v1/publish", headers=send, content=oversized)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"

    # A body that does not say its length is cut off once it passes the limit.
    streamed, chunks_read = asgi_post(client.app, "/v1/publish", send, b'"x",' * 1000)
    assert streamed == 413 and chunks_read < 20
    assert written(hub) == before

    # Another team's record disguised among the leader's own: refused alone, not written.
    disguised = {
        "publish_id": new_id(),
        "entries": [
            entry("guide", guide_data(new_id(), mine, "我的")),
            entry("guide", guide_data(new_id(), other, "冒充别人的队")),
        ],
    }
    answer = client.post("/v1/publish", headers=headers(token), json=disguised).json()
    assert [(r["outcome"], r.get("code")) for r in answer["results"]] == [
        ("applied", None),
        ("refused", "forbidden"),
    ]
    with hub.session() as s:
        assert s.scalars(select(Guide.team_id)).all() == [mine]


def test_unexpected_errors_are_a_sentence_not_a_traceback(hub: HubStore) -> None:
    class Broken:
        def missing(self, shas: Any) -> list[str]:
            raise RuntimeError("boom")

        def put(self, sha: str, data: bytes) -> bool:
            raise RuntimeError("boom")

        def get(self, sha: str) -> bytes | None:
            raise RuntimeError("boom")

    token, _device = sign_in(hub, "admin")
    with TestClient(create_app(hub, blobs=Broken()), raise_server_exceptions=False) as c:
        answer = c.post("/v1/blobs/missing", headers=headers(token), json={"sha256": []})
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert "boom" not in answer.text and "Traceback" not in answer.text


def test_through_a_real_uvicorn_server(hub: HubStore) -> None:
    token, _device = sign_in(hub, "admin")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(hub), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers=headers(token), timeout=10) as http:
            assert http.get("/v1/hello").json()["protocol"] == 1
            guide = new_id()
            body = {
                "publish_id": new_id(),
                "entries": [entry("guide", guide_data(guide, None, "x"))],
            }
            result = http.post("/v1/publish", json=body).json()
            assert result["results"][0]["outcome"] == "applied"
            page = http.get("/v1/changes", params={"since": 0}).json()
            assert [e["record"]["id"] for e in page["entries"]] == [guide]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_a_database_that_cannot_be_reached_is_a_503_sentence(pg_cluster: Cluster) -> None:
    # A hub whose database is gone (dropped, server down, network gone).
    gone = HubStore(make_server_engine(pg_cluster.url("no_such_database")))
    try:
        with TestClient(create_app(gone)) as c:
            answer = c.get("/v1/hello", headers={"Accept-Language": "zh-CN"})
    finally:
        gone.close()
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "unavailable"
    assert "数据库" in answer.json()["error"]["message"]


def test_a_hub_whose_connections_are_all_busy_says_try_later(hub_url: str) -> None:
    from sqlalchemy import create_engine

    busy = HubStore(create_engine(hub_url, pool_size=1, max_overflow=0, pool_timeout=0.2))
    try:
        with busy.engine.connect(), TestClient(create_app(busy)) as c:
            answer = c.get("/v1/hello", headers={"Accept-Language": "en"})
    finally:
        busy.close()
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "unavailable"
    assert "try again later" in answer.json()["error"]["message"]


@pytest.mark.parametrize("read_bytes", [8 * 1024 * 1024, 40, 1])
def test_many_photo_files_come_in_one_answer(
    client: TestClient, hub: HubStore, read_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/v1/blobs/fetch: every file the hub has, framed "<sha> <size>\\n" + bytes, in the
    order asked; one it lacks is left out; bad names and too many at once are refused.
    The same whether the hub reads all the files at once, a few, or one at a time."""
    monkeypatch.setattr("desktop_app.hub.app.FETCH_READ_BYTES", read_bytes)
    token, _device = sign_in(hub, "leader", (new_id(),))
    files = [b"\xff\xd8 photo %d " % n * (n + 1) for n in range(3)]
    shas = [hashlib.sha256(f).hexdigest() for f in files]
    for sha, data in zip(shas, files, strict=True):
        assert client.put(f"/v1/blobs/{sha}", headers=headers(token), content=data).is_success
    lacking = hashlib.sha256(b"not on the hub").hexdigest()
    answer = client.post(
        "/v1/blobs/fetch", headers=headers(token), json={"sha256": [shas[2], lacking, *shas[:2]]}
    )
    assert answer.status_code == 200
    expected = b"".join(
        f"{sha} {len(data)}\n".encode() + data
        for sha, data in ((shas[2], files[2]), (shas[0], files[0]), (shas[1], files[1]))
    )
    assert answer.content == expected
    bad = client.post("/v1/blobs/fetch", headers=headers(token), json={"sha256": ["../x"]})
    assert bad.status_code == 400
    many = client.post("/v1/blobs/fetch", headers=headers(token), json={"sha256": shas * 100})
    assert many.status_code == 400
    unsigned = client.post("/v1/blobs/fetch", headers=headers(), json={"sha256": shas})
    assert unsigned.status_code == 401
