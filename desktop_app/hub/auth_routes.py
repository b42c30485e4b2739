"""Signing laptops in and out of the hub: POST /v1/login, POST /v1/logout, GET /v1/me.

The routes find the hub's database in `request.app.state.store` (a `HubStore`; the service's
`create_app(store)` sets it and mounts `routes`). Also here, for every route of the service:

- `error_response`: a `HubError` as `{"error": {"code", "message"}}` with its status (and
  `Retry-After` when rate-limited), the message translated for the request's Accept-Language;
- `require_principal`: who a request's `Authorization: Bearer <device token>` signs in.

Database work and argon2 (tens of milliseconds of CPU on purpose) run in the thread pool, never
on the event loop.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from desktop_app.core.i18n import N_, translator_for
from desktop_app.hub import accounts
from desktop_app.hub.database import HubStore, current_version
from desktop_app.hub.errors import HubError, NotSignedIn, RateLimited
from desktop_app.hub.principal import Principal

MAX_LOGIN_BODY = 16 * 1024  # a name, a password and a laptop's name

BAD_REQUEST = N_("The request is not what the hub expects (update Jiangxin on this laptop).")
TOO_LARGE = N_("The request is too large for the hub.")
UNAVAILABLE = N_("The hub cannot reach its database just now; try again later.")


def request_language(request: Request) -> str:
    """zh_CN unless the request's Accept-Language prefers another language (the users are
    Chinese: no header means Chinese)."""
    header = request.headers.get("accept-language", "")
    best, best_q = "", -1.0
    for part in header.split(","):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > best_q:
            best, best_q = tag.strip().lower(), q
    if not best or best == "*" or best.startswith("zh"):
        return "zh_CN"
    return "en"


def error_response(request: Request, exc: HubError) -> JSONResponse:
    """A refusal as the protocol's JSON error, in the request's language."""
    message = translator_for(request_language(request))(exc.message)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(
        {"error": {**exc.details, "code": exc.code, "message": message}},
        status_code=exc.status,
        headers=headers,
    )


def hub_store(request: Request) -> HubStore:
    store: HubStore = request.app.state.store
    return store


def bearer_token(request: Request) -> str:
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn(accounts.NOT_SIGNED_IN)
    return token.strip()


async def require_principal(request: Request) -> Principal:
    """Who signs this request in; raises NotSignedIn or DeviceRevoked."""
    token = bearer_token(request)
    return await run_in_threadpool(_database_call, accounts.authenticate, hub_store(request), token)


def _database_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a database call; a database that cannot be reached is a 503 sentence."""
    try:
        return function(*args, **kwargs)
    except OperationalError:
        raise HubError(UNAVAILABLE, code="unavailable", status=503) from None


async def read_json(request: Request, limit: int) -> Any:
    """The request's JSON body, refusing one over `limit` bytes (413) before reading further,
    or one that is not strict JSON (400: NaN and Infinity are not JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HubError(TOO_LARGE, code="too_large", status=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HubError(TOO_LARGE, code="too_large", status=413)

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(bytes(body).decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):  # nested 100,000 deep
        raise HubError(BAD_REQUEST) from None


def user_json(principal: Principal) -> dict[str, Any]:
    return {
        "name": principal.user_name,
        "role": principal.role,
        "team_ids": sorted(principal.team_ids),
    }


def _login(store: HubStore, name: str, password: str, device: str, remote: str) -> Any:
    with store.session() as s:
        return accounts.login(s, name, password, device, remote)


async def login(request: Request) -> JSONResponse:
    try:
        body = await read_json(request, MAX_LOGIN_BODY)
        if not isinstance(body, dict):
            raise HubError(BAD_REQUEST)
        name, password = body.get("user"), body.get("password")
        device_name = body.get("device_name", "")
        if not all(isinstance(v, str) for v in (name, password, device_name)):
            raise HubError(BAD_REQUEST)
        remote = request.client.host if request.client else ""
        token, who = await run_in_threadpool(
            _database_call, _login, hub_store(request), name, password, device_name, remote
        )
    except HubError as exc:
        return error_response(request, exc)
    return JSONResponse({"token": token, "device_id": who.device_id, "user": user_json(who)})


def _sign_out(store: HubStore, device_id: str) -> None:
    with store.transaction() as s:
        accounts.sign_out(s, device_id)


async def logout(request: Request) -> JSONResponse:
    try:
        who = await require_principal(request)
        await run_in_threadpool(_database_call, _sign_out, hub_store(request), who.device_id)
    except HubError as exc:
        return error_response(request, exc)
    return JSONResponse({"ok": True})


def _hub_version(store: HubStore) -> int:
    with store.session() as s:
        return current_version(s)


async def me(request: Request) -> JSONResponse:
    try:
        who = await require_principal(request)
        version = await run_in_threadpool(_database_call, _hub_version, hub_store(request))
    except HubError as exc:
        return error_response(request, exc)
    return JSONResponse(
        {"user": user_json(who), "device_id": who.device_id, "hub_version": version}
    )


routes: list[Route] = [
    Route("/v1/login", login, methods=["POST"]),
    Route("/v1/logout", logout, methods=["POST"]),
    Route("/v1/me", me, methods=["GET"]),
]
