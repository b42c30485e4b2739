"""The hub's HTTP service: the `/v1` routes of docs/hub-protocol.md over `hub.sync`.

A Starlette app, served by uvicorn (`jiangxin-hub serve`). Thin on purpose: every route checks
what it was given, signs the caller in (`accounts.authenticate_token` on the bearer token),
then calls the sync service in the thread pool (database work never runs on the event loop),
inside the request's language so every sentence it makes is in the laptop's language.

Refusals are JSON (`{"error": {"code", "message"}}`), never a traceback:
- protocol and schema headers are checked first (426, the sentence says which side to update);
- a body over its limit is refused from its Content-Length, or as soon as the bytes read pass
  the limit (413), without reading the rest;
- a database that cannot be reached is a 503 sentence; anything unexpected a 500 sentence (the
  traceback goes to the hub's log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from functools import cache
from typing import Any, TypeVar

from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from desktop_app import __version__
from desktop_app.core.i18n import N_, request_language, translator_for
from desktop_app.hub import accounts, auth_routes, sync
from desktop_app.hub.blobs import (
    MAX_BLOB,
    BlobStore,
    DatabaseBlobStore,
    check_name,
    reads_of,
    too_large,
)
from desktop_app.hub.database import HubStore
from desktop_app.hub.errors import Forbidden, HubError, IncompatiblePeer, NotSignedIn
from desktop_app.hub.principal import Principal
from desktop_app.hub.tables import HubState
from desktop_app.storage import migrate as library_migrations

log = logging.getLogger(__name__)

PROTOCOL = 1
MIN_PROTOCOL = 1
PROTOCOL_HEADER = "jiangxin-protocol"
SCHEMA_HEADER = "jiangxin-schema"
MAX_JSON = 32 * 1024 * 1024  # a publish of 2,000 entries is a few MiB
MAX_SMALL_JSON = 1024 * 1024  # "which of these 5,000 files do you lack?" is ~350 KiB
MAX_FETCH = 200  # photo files asked for in one /v1/blobs/fetch
FETCH_READ_BYTES = 8 * 1024 * 1024  # of which read from the database at once (or one larger)

BAD_REQUEST = N_("The request is not what the hub expects (update Jiangxin on this laptop).")
BAD_JSON = N_("The request's body is not valid JSON.")
TOO_LARGE = N_("The request is too large for the hub.")
UNAVAILABLE = N_("The hub cannot reach its database just now; try again later.")
INTERNAL = N_("The hub ran into an internal error; the hub's log has the details.")
NOT_FOUND = N_("The hub has no such thing.")
UPDATE_LAPTOP = N_(
    "This version of Jiangxin is too old for the hub; update Jiangxin on this laptop."
)
UPDATE_HUB = N_(
    "The hub is older than this version of Jiangxin; ask the union office to update the hub."
)
NO_PUBLISH = N_("Your account may read from the hub but not publish to it.")

T = TypeVar("T")


@cache
def schema_head() -> str:
    """The library schema this hub serves (the head of the library's migration chain)."""
    head = ScriptDirectory.from_config(library_migrations.alembic_config()).get_current_head()
    return str(head)


def _schema_number(value: str) -> int | None:
    digits = value.split("_", 1)[0]
    return int(digits) if digits.isdigit() else None


def check_peer(protocol: str | None, schema: str | None) -> None:
    """Refuse a laptop this hub cannot serve, saying which side to update."""
    try:
        number = int(protocol or "")
    except ValueError:
        raise IncompatiblePeer(UPDATE_LAPTOP) from None
    if number < MIN_PROTOCOL:
        raise IncompatiblePeer(UPDATE_LAPTOP)
    if number > PROTOCOL:
        raise IncompatiblePeer(UPDATE_HUB)
    theirs, ours = _schema_number(schema or ""), _schema_number(schema_head())
    if theirs is None or ours is None or theirs < ours:
        raise IncompatiblePeer(UPDATE_LAPTOP)
    if theirs > ours:
        raise IncompatiblePeer(UPDATE_HUB)


def language(request: Request) -> str:
    return auth_routes.request_language(request)


def error_response(request: Request, exc: HubError) -> JSONResponse:
    return auth_routes.error_response(request, exc)


class PeerCheck:
    """ASGI middleware: every `/v1` request but `hello` names a protocol and schema this hub
    serves, before anything else is done with it (its body is not read)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/v1/hello":
            request = Request(scope)
            try:
                check_peer(request.headers.get(PROTOCOL_HEADER), request.headers.get(SCHEMA_HEADER))
            except HubError as exc:
                await error_response(request, exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing one over `limit` bytes (413) from its Content-Length, or as soon as
    what arrived passes the limit, without reading further."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HubError(TOO_LARGE, code="too_large", status=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HubError(TOO_LARGE, code="too_large", status=413)
    return bytes(body)


async def read_json(request: Request, limit: int = MAX_JSON) -> Any:
    body = await read_body(request, limit)

    def no_constants(name: str) -> Any:
        raise ValueError(name)  # NaN and Infinity are not JSON

    try:
        return json.loads(body.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HubError(BAD_JSON, code="bad_json") from None


class Service:
    """The routes' shared state: the hub's database and its blob store."""

    def __init__(self, store: HubStore, blobs: BlobStore, max_json: int, max_blob: int) -> None:
        self.store = store
        self.blobs = blobs
        self.max_json = max_json
        self.max_blob = max_blob

    async def call(self, request: Request, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` in the thread pool, in the request's language; a database that cannot be
        reached is a 503 sentence."""
        lang = language(request)

        def run() -> T:
            with request_language(lang):
                try:
                    return fn(*args)
                except (OperationalError, PoolTimeout):
                    # Unreachable, or every pooled connection busy for the pool's timeout
                    # (many laptops at once): the laptop is told to try again later.
                    log.exception("database unavailable")
                    raise HubError(UNAVAILABLE, code="unavailable", status=503) from None

        return await run_in_threadpool(run)

    def _authenticate(self, token: str) -> Principal:
        with self.store.transaction() as s:
            return accounts.authenticate_token(s, token)

    async def principal(self, request: Request) -> Principal:
        scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotSignedIn(accounts.NOT_SIGNED_IN)
        return await self.call(request, self._authenticate, token.strip())

    # --- routes ---------------------------------------------------------------------------

    def _hello(self) -> dict[str, Any]:
        with self.store.session() as s:
            state = s.get(HubState, 1)
            hub_id, name = (state.hub_id, state.name) if state is not None else ("", "")
            epoch = state.epoch if state is not None else ""
        return {
            "protocol": PROTOCOL,
            "min_protocol": MIN_PROTOCOL,
            "schema": schema_head(),
            "hub_id": hub_id,
            "hub_name": name,
            "epoch": epoch,
            "app_version": __version__,
        }

    async def hello(self, request: Request) -> Response:
        return JSONResponse(await self.call(request, self._hello))

    async def changes(self, request: Request) -> Response:
        await self.principal(request)
        try:
            since = int(request.query_params.get("since", "0"))
            limit = int(request.query_params.get("limit", str(sync.DEFAULT_PAGE)))
        except ValueError:
            raise HubError(BAD_REQUEST) from None
        epoch = request.query_params.get("epoch")  # absent from laptops before epochs
        body = await self.call(request, sync.pull_json, self.store, since, limit, epoch)
        return Response(body, media_type="application/json")

    async def blobs_missing(self, request: Request) -> Response:
        await self.principal(request)
        body = await read_json(request, MAX_SMALL_JSON)
        shas = body.get("sha256") if isinstance(body, dict) else None
        if not isinstance(shas, list) or not all(isinstance(x, str) for x in shas):
            raise HubError(BAD_REQUEST)
        return JSONResponse({"missing": await self.call(request, self.blobs.missing, shas)})

    async def blob_put(self, request: Request) -> Response:
        who = await self.principal(request)
        if not who.may_publish:
            raise Forbidden(NO_PUBLISH)
        sha = check_name(request.path_params["sha"])
        try:
            data = await read_body(request, self.max_blob)
        except HubError as exc:
            raise too_large() if exc.status == 413 else exc from None
        created = await self.call(request, self.blobs.put, sha, data)
        return JSONResponse({"sha256": sha, "stored": created}, status_code=201 if created else 200)

    async def blob_get(self, request: Request) -> Response:
        await self.principal(request)
        sha = check_name(request.path_params["sha"])
        data = await self.call(request, self.blobs.get, sha)
        if data is None:
            raise HubError(NOT_FOUND, code="not_found", status=404)
        return Response(data, media_type="application/octet-stream")

    async def blobs_fetch(self, request: Request) -> Response:
        """Many photo files in one answer (a first sync needs thousands: one request each
        spends most of the time waiting on round trips). Each file found is a frame:
        "<sha256> <size>\n" then its bytes; a file the hub lacks is left out."""
        await self.principal(request)
        body = await read_json(request, MAX_SMALL_JSON)
        shas = body.get("sha256") if isinstance(body, dict) else None
        if (
            not isinstance(shas, list)
            or not all(isinstance(x, str) for x in shas)
            or len(shas) > MAX_FETCH
        ):
            raise HubError(BAD_REQUEST)
        wanted = [check_name(sha) for sha in dict.fromkeys(shas)]

        async def frames() -> AsyncIterator[bytes]:
            # Read as many files at once as fit in FETCH_READ_BYTES: a query per few photos
            # spent the hub's time on database round trips (a first sync asks for tens of
            # thousands of small files), all of them at once could be hundreds of megabytes.
            sizes = await self.call(request, self.blobs.sizes, wanted)
            present = [(sha, sizes[sha]) for sha in wanted if sha in sizes]
            for part in reads_of(present, FETCH_READ_BYTES):
                found = await self.call(request, self.blobs.get_some, part)
                # One chunk per read, not two per file: each chunk is a trip through the
                # server's send path (and a TLS record), which cost more than the bytes.
                chunk = b"".join(
                    f"{sha} {len(found[sha])}\n".encode("ascii") + found[sha]
                    for sha in part
                    if sha in found
                )
                if chunk:
                    yield chunk

        return StreamingResponse(frames(), media_type="application/octet-stream")

    async def publish(self, request: Request) -> Response:
        who = await self.principal(request)
        if not who.may_publish:  # before reading a body it would refuse anyway
            raise Forbidden(NO_PUBLISH)
        body = await read_json(request, self.max_json)
        if not isinstance(body, dict):
            raise HubError(BAD_REQUEST)
        result = await self.call(
            request, sync.publish, self.store, who, body.get("publish_id"), body.get("entries")
        )
        return JSONResponse(result)

    async def conflicts(self, request: Request) -> Response:
        who = await self.principal(request)
        found = await self.call(request, sync.open_conflicts, self.store, who)
        return JSONResponse({"conflicts": found})


def _refusals(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """A route whose refusals become the protocol's JSON errors."""

    async def route(request: Request) -> Response:
        try:
            response: Response = await endpoint(request)
            return response
        except HubError as exc:
            return error_response(request, exc)

    return route


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    message = translator_for(language(request))(INTERNAL)
    return JSONResponse({"error": {"code": "internal", "message": message}}, status_code=500)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, HubError(NOT_FOUND, code="not_found", status=404))


async def _wrong_method(request: Request, exc: Exception) -> Response:
    return error_response(request, HubError(BAD_REQUEST, code="bad_request", status=405))


def create_app(
    store: HubStore,
    *,
    blobs: BlobStore | None = None,
    max_json: int = MAX_JSON,
    max_blob: int = MAX_BLOB,
) -> Starlette:
    """The hub's ASGI app over an open hub database (the limits are lowered only by tests)."""
    service = Service(
        store, blobs or DatabaseBlobStore(store, max_size=max_blob), max_json, max_blob
    )
    routes = [
        Route("/v1/hello", _refusals(service.hello), methods=["GET"]),
        Route("/v1/changes", _refusals(service.changes), methods=["GET"]),
        Route("/v1/blobs/missing", _refusals(service.blobs_missing), methods=["POST"]),
        Route("/v1/blobs/fetch", _refusals(service.blobs_fetch), methods=["POST"]),
        Route("/v1/blobs/{sha}", _refusals(service.blob_put), methods=["PUT"]),
        Route("/v1/blobs/{sha}", _refusals(service.blob_get), methods=["GET"]),
        Route("/v1/publish", _refusals(service.publish), methods=["POST"]),
        Route("/v1/conflicts", _refusals(service.conflicts), methods=["GET"]),
        *auth_routes.routes,
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _wrong_method, Exception: _internal_error},
    )
    app.state.store = store  # auth_routes find the database here
    app.add_middleware(PeerCheck)
    return app
