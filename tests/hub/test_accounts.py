"""Hub accounts on a real PostgreSQL: argon2 hashes, device tokens, revocation, rate limiting,
and the sign-in routes of the service (POST /v1/login, /v1/logout, GET /v1/me)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from desktop_app.core.i18n import translator_for
from desktop_app.hub import accounts, auth_routes
from desktop_app.hub.accounts import AccountError
from desktop_app.hub.database import HubStore, migrate_hub
from desktop_app.hub.errors import DeviceRevoked, LoginFailed, NotSignedIn, RateLimited
from desktop_app.hub.tables import HubDevice, HubLoginFailure, HubUser
from tests.pgserver import Cluster

PASSWORD = "correct horse 马"
TEAM = str(uuid.uuid4())
PRODUCTION_HASHER = accounts.password_hasher  # before cheap_argon2 replaces it


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
def store(pg_cluster: Cluster) -> Iterator[HubStore]:
    url = pg_cluster.create_database()
    migrate_hub(url, name="丰台区总工会")
    hub = HubStore.open(url)
    with hub.transaction() as s:
        accounts.create_user(s, "admin", "admin", PASSWORD)
        accounts.create_user(s, "zhang", "leader", PASSWORD, [TEAM])
        accounts.create_user(s, "li", "reader", PASSWORD)
    try:
        yield hub
    finally:
        hub.close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_production_parameters() -> None:
    """argon2id with argon2-cffi's RFC 9106 low-memory profile (64 MiB, 3 passes)."""
    hasher = PRODUCTION_HASHER()
    assert hasher.type.name == "ID"
    assert (hasher.memory_cost, hasher.time_cost) >= (65536, 3)


def test_only_an_argon2id_hash_of_the_password_is_stored(store: HubStore) -> None:
    with store.session() as s:
        user = accounts.find_user(s, "zhang")
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert PasswordHasher().verify(user.password_hash, PASSWORD)


def test_login_gives_a_token_stored_only_as_its_hash(store: HubStore) -> None:
    with store.session() as s:
        token, who = accounts.login(s, "zhang", PASSWORD, "张师傅的笔记本", "10.0.0.5")
    assert len(token) >= 43
    assert who.user_name == "zhang" and who.role == "leader"
    assert who.team_ids == frozenset({TEAM})
    with store.session() as s:
        device = s.get(HubDevice, who.device_id)
        assert device is not None
        assert device.name == "张师傅的笔记本"
        assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in device.token_hash
        assert accounts.authenticate_token(s, token) == who
    assert accounts.authenticate(store, token) == who


def test_each_sign_in_is_a_device_of_its_own(store: HubStore) -> None:
    with store.session() as s:
        first, a = accounts.login(s, "li", PASSWORD, "A")
        second, b = accounts.login(s, "li", PASSWORD, "B")
    assert first != second and a.device_id != b.device_id
    with store.transaction() as s:
        assert accounts.revoke_device(s, a.device_id)
    with pytest.raises(DeviceRevoked):
        accounts.authenticate(store, first)
    assert accounts.authenticate(store, second) == b


def test_wrong_name_and_wrong_password_get_the_same_answer(store: HubStore) -> None:
    with store.session() as s:
        with pytest.raises(LoginFailed) as wrong_password:
            accounts.login(s, "zhang", "not the password", "x")
        with pytest.raises(LoginFailed) as unknown_name:
            accounts.login(s, "nobody", PASSWORD, "x")
    assert wrong_password.value.message == unknown_name.value.message
    assert wrong_password.value.code == unknown_name.value.code == "login_failed"
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(HubDevice)) == 0
        # Both failures are counted (an unknown name is rate-limited as well).
        assert s.scalar(select(func.count()).select_from(HubLoginFailure)) == 2


def test_unknown_token_is_not_signed_in(store: HubStore) -> None:
    for token in ["", "x" * 500, "made-up-token"]:
        with pytest.raises(NotSignedIn):
            accounts.authenticate(store, token)


def test_revoked_device_gets_the_disconnected_sentence(store: HubStore) -> None:
    with store.session() as s:
        token, who = accounts.login(s, "zhang", PASSWORD, "laptop")
    with store.transaction() as s:
        assert accounts.revoke_device(s, who.device_id) is True
        assert accounts.revoke_device(s, who.device_id) is False
    with pytest.raises(DeviceRevoked) as refused:
        accounts.authenticate(store, token)
    assert refused.value.status == 401 and refused.value.code == "device_revoked"
    assert translator_for("zh_CN")(refused.value.message) == "这台电脑已被管理员断开与中心的连接。"
    with store.transaction() as s, pytest.raises(AccountError):
        accounts.revoke_device(s, str(uuid.uuid4()))


def test_disabled_user_is_disconnected_and_cannot_sign_in(store: HubStore) -> None:
    with store.session() as s:
        token, _who = accounts.login(s, "zhang", PASSWORD, "laptop")
    with store.transaction() as s:
        assert accounts.disable_user(s, "zhang") is True
        assert accounts.disable_user(s, "zhang") is False
    with pytest.raises(DeviceRevoked):
        accounts.authenticate(store, token)
    with store.session() as s, pytest.raises(LoginFailed, match="disabled"):
        accounts.login(s, "zhang", PASSWORD, "laptop")
    with store.session() as s, pytest.raises(LoginFailed, match="Wrong"):
        accounts.login(s, "zhang", "wrong password", "laptop")
    with store.transaction() as s:
        assert accounts.enable_user(s, "zhang") is True
    with store.session() as s:
        accounts.login(s, "zhang", PASSWORD, "laptop")
    # A laptop of theirs that signed in before stays signed in once they are enabled again.
    assert accounts.authenticate(store, token).user_name == "zhang"


def test_sixth_failure_is_refused_until_the_window_passes(store: HubStore) -> None:
    clock = Clock()
    with store.session() as s:
        for _ in range(accounts.FAILURE_LIMIT):
            with pytest.raises(LoginFailed):
                accounts.login(s, "zhang", "guess", "x", now=clock)
            clock.now += timedelta(seconds=30)
        # Even the right password is refused now: the name is locked for the window.
        with pytest.raises(RateLimited) as limited:
            accounts.login(s, "zhang", PASSWORD, "x", now=clock)
        assert limited.value.status == 429
        # The first failure leaves the window 15 minutes after it was made.
        assert limited.value.retry_after == 15 * 60 - 5 * 30
        # Other names are not affected.
        accounts.login(s, "li", PASSWORD, "x", now=clock)
        clock.now += timedelta(seconds=limited.value.retry_after)
        token, who = accounts.login(s, "zhang", PASSWORD, "x", now=clock)
    assert accounts.authenticate(store, token) == who


def test_refused_attempts_do_not_extend_the_lock(store: HubStore) -> None:
    clock = Clock()
    with store.session() as s:
        for _ in range(accounts.FAILURE_LIMIT):
            with pytest.raises(LoginFailed):
                accounts.login(s, "zhang", "guess", "x", now=clock)
        for _ in range(20):
            with pytest.raises(RateLimited):
                accounts.login(s, "zhang", "guess", "x", now=clock)
        clock.now += accounts.FAILURE_WINDOW
        accounts.login(s, "zhang", PASSWORD, "x", now=clock)


def test_hash_with_old_parameters_is_replaced_at_sign_in(store: HubStore) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    with store.transaction() as s:
        user = accounts.find_user(s, "li")
        assert user is not None
        user.password_hash = weak
    with store.session() as s:
        accounts.login(s, "li", PASSWORD, "x")
    with store.session() as s:
        stored = s.scalars(select(HubUser.password_hash).where(HubUser.name == "li")).one()
    assert stored != weak
    assert not accounts.password_hasher().check_needs_rehash(stored)


def test_last_seen_is_stamped_at_most_once_a_minute(store: HubStore) -> None:
    clock = Clock()
    with store.session() as s:
        token, who = accounts.login(s, "li", PASSWORD, "x", now=clock)

    def seen() -> datetime | None:
        with store.session() as s:
            device = s.get(HubDevice, who.device_id)
            assert device is not None
            return device.last_seen_at

    clock.now += timedelta(seconds=20)
    accounts.authenticate(store, token, now=clock)
    assert seen() == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    clock.now += timedelta(seconds=50)
    accounts.authenticate(store, token, now=clock)
    assert seen() == clock.now


def test_user_rules(store: HubStore) -> None:
    with store.transaction() as s:
        with pytest.raises(AccountError, match="already"):
            accounts.create_user(s, "zhang", "reader", PASSWORD)
        with pytest.raises(AccountError, match="role"):
            accounts.create_user(s, "wang", "owner", PASSWORD)
        with pytest.raises(AccountError, match="team"):
            accounts.create_user(s, "wang", "leader", PASSWORD)
        with pytest.raises(AccountError, match="team id"):
            accounts.create_user(s, "wang", "leader", PASSWORD, ["../etc"])
        with pytest.raises(AccountError, match="Only a team leader"):
            accounts.create_user(s, "wang", "reader", PASSWORD, [TEAM])
        with pytest.raises(AccountError, match="at least 8"):
            accounts.create_user(s, "wang", "reader", "short")
        with pytest.raises(AccountError, match="spaces"):
            accounts.create_user(s, "wang li", "reader", PASSWORD)
    with store.session() as s:
        users = {u.name: u for u in accounts.list_users(s)}
    assert set(users) == {"admin", "zhang", "li"}
    assert users["zhang"].team_ids == (TEAM,)


def test_lists_show_devices_and_users(store: HubStore) -> None:
    with store.session() as s:
        _t, who = accounts.login(s, "zhang", PASSWORD, "笔记本")
        accounts.login(s, "li", PASSWORD, "台式机")
    with store.transaction() as s:
        accounts.revoke_device(s, who.device_id)
    with store.session() as s:
        devices = accounts.list_devices(s)
        assert [(d.user_name, d.name, d.revoked_at is not None) for d in devices] == [
            ("li", "台式机", False),
            ("zhang", "笔记本", True),
        ]
        assert [d.name for d in accounts.list_devices(s, user_name="li")] == ["台式机"]
        users = {u.name: u for u in accounts.list_users(s)}
    assert users["zhang"].devices == 0 and users["li"].devices == 1


# --- the routes ------------------------------------------------------------------------------


@pytest.fixture
def client(store: HubStore) -> Iterator[TestClient]:
    app = Starlette(routes=auth_routes.routes)
    app.state.store = store
    with TestClient(app) as test_client:
        yield test_client


def _login(client: TestClient, user: str = "zhang", password: str = PASSWORD) -> dict[str, object]:
    answer = client.post(
        "/v1/login", json={"user": user, "password": password, "device_name": "笔记本"}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_login_me_logout_round_trip(client: TestClient) -> None:
    body = _login(client)
    assert body["user"] == {"name": "zhang", "role": "leader", "team_ids": [TEAM]}
    headers = {"Authorization": f"Bearer {body['token']}"}
    me = client.get("/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {"user": body["user"], "device_id": body["device_id"], "hub_version": 0}
    assert client.post("/v1/logout", headers=headers).json() == {"ok": True}
    # Signed out by itself: "not signed in", not "disconnected by the administrator".
    again = client.get("/v1/me", headers=headers)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "not_signed_in"


def test_revoked_device_is_told_in_chinese(client: TestClient, store: HubStore) -> None:
    body = _login(client)
    with store.transaction() as s:
        accounts.revoke_device(s, str(body["device_id"]))
    refused = client.get(
        "/v1/me",
        headers={"Authorization": f"Bearer {body['token']}", "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert refused.status_code == 401
    assert refused.json() == {
        "error": {"code": "device_revoked", "message": "这台电脑已被管理员断开与中心的连接。"}
    }


def test_route_errors_are_json_sentences(client: TestClient) -> None:
    english = {"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
    wrong = client.post(
        "/v1/login",
        json={"user": "zhang", "password": "nope", "device_name": "x"},
        headers=english,
    )
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {"code": "login_failed", "message": "Wrong user name or password."}
    }
    chinese = client.post("/v1/login", json={"user": "nobody", "password": "x", "device_name": ""})
    assert chinese.json()["error"]["code"] == "login_failed"
    assert chinese.json()["error"]["message"] == translator_for("zh_CN")(accounts.LOGIN_FAILED)
    assert chinese.json()["error"]["message"] != accounts.LOGIN_FAILED
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me").json()["error"]["code"] == "not_signed_in"
    assert client.get("/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    for bad in [
        b"not json",
        b"[1, 2]",
        b'{"user": 3, "password": "x"}',
        b'{"user": NaN}',
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
    ]:
        answer = client.post("/v1/login", content=bad, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["code"] == "bad_request"
    huge = client.post(
        "/v1/login",
        content=b'{"user": "' + b"x" * (auth_routes.MAX_LOGIN_BODY + 10) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413


def test_rate_limited_login_answers_429_with_retry_after(client: TestClient) -> None:
    for _ in range(accounts.FAILURE_LIMIT):
        assert (
            client.post(
                "/v1/login", json={"user": "li", "password": "guess", "device_name": "x"}
            ).status_code
            == 401
        )
    limited = client.post(
        "/v1/login", json={"user": "li", "password": PASSWORD, "device_name": "x"}
    )
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60


def test_an_unknown_name_costs_one_argon2_verification_too(
    store: HubStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer's timing must not tell which names exist."""
    verified: list[str] = []
    real = accounts._verify

    def counting(hashed: str, password: str) -> bool:
        verified.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(accounts, "_verify", counting)
    with store.session() as s:
        for name in ["nobody", "zhang", ""]:
            with pytest.raises(LoginFailed):
                accounts.login(s, name, "wrong password", "x")
    assert len(verified) == 3
    assert all(h.startswith("$argon2id$") for h in verified)
    # The decoy has the same parameters as a real hash (so the same cost).
    params = {h.split("$")[3] for h in verified}
    assert len(params) == 1
