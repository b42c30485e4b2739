"""The laptop's HTTP client of a district hub (protocol v1, docs/hub-protocol.md).

What it guarantees the callers (`services/hub_sync.py`, the CLI and the window):

- **TLS pinning.** A hub's certificate is fetched on first connect (`probe`) and its SHA-256
  fingerprint shown to the user, or checked against the one the union office gave out. From
  then on the client trusts exactly that certificate (it is the only trust anchor of the
  connection's SSL context; host names are not checked, since an office hub is usually reached
  by its IP address). A different certificate is refused with a warning sentence. A hub whose
  certificate the system's authorities vouch for needs no pin.
- **Versions.** Every request carries the protocol and the library schema this laptop speaks;
  a hub that cannot serve them answers 426 with a sentence saying which side to update.
- **One sentence per failure.** Every failure becomes a `HubClientError` (a `UserError`) with
  one sentence in the UI language: the hub's own message when it sent one, "the data is saved
  on this computer, sync when the network is back" when it cannot be reached. Never a
  traceback.
- **No other network traffic.** The client talks only to the address the user connected.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from desktop_app import __version__
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _, current_language
from desktop_app.storage.schema import HEAD as SCHEMA_HEAD

PROTOCOL = 1
DEFAULT_PORT = 443
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0  # a publish of 2,000 records is one transaction on the hub
BLOB_CHUNK = 1 << 20


class HubClientError(UserError):
    """A hub request failed; `str()` is the sentence to show."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class HubUnreachableError(HubClientError):
    """No answer from the hub (no network, hub down, timed out): nothing is lost."""


class CertificateChangedError(HubClientError):
    """The hub presented a certificate other than the pinned one."""


class DeviceRevokedError(HubClientError):
    """The administrator disconnected this laptop (or its token is unknown to the hub)."""


class ResyncRequired(HubClientError):
    """The cursor does not belong to the hub's history any more: start over from 0.

    `reason` is the hub's: "restored" (the hub was restored from an older backup: it may
    lack what this laptop published) or "purged" (deletions older than the cursor were
    purged: this laptop may have missed some)."""

    def __init__(self, message: str, *, status: int = 0, code: str = "", reason: str = "") -> None:
        super().__init__(message, status=status, code=code)
        self.reason = reason


def unreachable_sentence() -> str:
    return _("The data is saved on this computer; sync again when the network is back.")


# --- certificates ---------------------------------------------------------------------------


def fingerprint_of(der: bytes) -> str:
    """SHA-256 of a DER certificate as the hub prints it: `AB:CD:…`."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint typed or pasted by a person (any case, colons or spaces) in `AB:CD:…` form,
    or "" if it is not 64 hex digits."""
    digits = "".join(ch for ch in text if ch not in ": \t-").upper()
    if len(digits) != 64 or any(ch not in "0123456789ABCDEF" for ch in digits):
        return ""
    return ":".join(digits[i : i + 2] for i in range(0, 64, 2))


def normalise_url(text: str) -> str:
    """`https://host[:port]` from what a person typed ("192.168.1.5:8443" works too)."""
    raw = text.strip().rstrip("/")
    if not raw:
        raise HubClientError(_("Enter the hub's address, e.g. https://192.168.1.5:8443."))
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme != "https":
        raise HubClientError(
            _("The hub must be reached over HTTPS (an address that starts with https://).")
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or parts.query or parts.fragment:
        raise HubClientError(_("“{url}” is not a hub address.").format(url=text.strip()))
    return raw


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return str(parts.hostname), parts.port or DEFAULT_PORT


def pinned_context(pem: str) -> ssl.SSLContext:
    """An SSL context that trusts exactly this certificate (and nothing else)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False  # the pin identifies the hub, not a name
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a self-signed leaf as the anchor
    ctx.load_verify_locations(cadata=pem)
    return ctx


@dataclass
class Certificate:
    pem: str
    fingerprint: str
    trusted_by_system: bool  # a real certificate: no pin needed


def fetch_certificate(url: str, *, timeout: float = CONNECT_TIMEOUT) -> Certificate:
    """The certificate the hub at `url` presents, unverified (for the user to confirm)."""
    host, port = _host_port(url)
    loose = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            loose.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLError:
        raise HubClientError(
            _("{url} does not answer as a hub does (no HTTPS there).").format(url=url)
        ) from None
    except (OSError, ValueError):
        raise HubUnreachableError(
            _("The hub at {url} cannot be reached; check the address and the network.").format(
                url=url
            )
        ) from None
    if not der:
        raise HubClientError(_("The hub at {url} sent no certificate.").format(url=url))
    trusted = False
    try:
        system = ssl.create_default_context()
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            system.wrap_socket(sock, server_hostname=host),
        ):
            trusted = True
    except (OSError, ssl.SSLError, ValueError):
        trusted = False
    return Certificate(ssl.DER_cert_to_PEM_cert(der), fingerprint_of(der), trusted)


def certificate_changed_sentence(new_fingerprint: str) -> str:
    return _(
        "Warning: the hub's certificate has changed (it is now {fingerprint}). Another "
        "computer may be pretending to be the hub, so nothing was sent. If the union office "
        "renewed the certificate, connect again and compare the new fingerprint with theirs."
    ).format(fingerprint=new_fingerprint)


# --- the client -----------------------------------------------------------------------------


def _is_certificate_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _depth in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class HubClient:
    """Requests of protocol v1 to one hub. `certificate` is the pinned PEM ("" when the
    system's authorities vouch for the hub); `token` the device token once signed in."""

    def __init__(
        self,
        url: str,
        *,
        certificate: str = "",
        token: str = "",
        timeout: float = READ_TIMEOUT,
        http: httpx.Client | None = None,
    ) -> None:
        self.url = normalise_url(url)
        self.certificate = certificate
        self.token = token
        self._owns_http = http is None
        if http is not None:  # an in-process hub (the randomized model's tests): the caller's
            self._http = http
            return
        verify: ssl.SSLContext = (
            pinned_context(certificate) if certificate else ssl.create_default_context()
        )
        transport = httpx.HTTPTransport(
            verify=verify,
            # Small requests (one per photo file) must not wait for a delayed ACK (Nagle).
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )
        self._http = httpx.Client(
            base_url=self.url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
            follow_redirects=False,  # a redirect could lead anywhere; the hub never sends one
            trust_env=False,  # no proxy from the environment: only the hub the user named
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Jiangxin-Protocol": str(PROTOCOL),
            "Jiangxin-Schema": SCHEMA_HEAD,
            "Accept-Language": "zh-CN, zh;q=0.9" if current_language().startswith("zh") else "en",
            "User-Agent": f"jiangxin/{__version__}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if extra:
            headers.update(extra)
        return headers

    def _network_failure(self, exc: Exception) -> HubClientError:
        if self.certificate and _is_certificate_failure(exc):
            try:
                now = fetch_certificate(self.url)
            except HubClientError:
                return HubUnreachableError(unreachable_sentence())
            return CertificateChangedError(certificate_changed_sentence(now.fingerprint))
        if _is_certificate_failure(exc):
            return HubClientError(
                _(
                    "The hub's certificate is not trusted by this computer; connect again to "
                    "check its fingerprint."
                )
            )
        return HubUnreachableError(unreachable_sentence())

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self._headers(kwargs.pop("headers", None))
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except (httpx.TransportError, ssl.SSLError, OSError) as exc:
            raise self._network_failure(exc) from None
        if response.status_code >= 400:
            raise self._refusal(response)
        return response

    def _refusal(self, response: httpx.Response) -> HubClientError:
        status = response.status_code
        code, message, reason = "", "", ""
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict):
                code = str(error.get("code", ""))
                message = str(error.get("message", "")).strip()
                reason = str(error.get("reason", ""))
        except (ValueError, UnicodeDecodeError):
            pass
        if status == 426 and not message:
            message = _("The hub and this laptop speak different versions; update Jiangxin.")
        if not message:
            if status >= 500:
                message = _("The hub could not do this now ({status}); try again later.").format(
                    status=status
                )
            else:
                message = _("The hub refused the request ({status}).").format(status=status)
        if code == "device_revoked" or (status == 401 and code == "not_signed_in"):
            return DeviceRevokedError(message, status=status, code=code)
        if code == "resync_required":
            return ResyncRequired(message, status=status, code=code, reason=reason)
        return HubClientError(message, status=status, code=code)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            raise HubClientError(
                _("The hub sent an answer this laptop cannot read; update Jiangxin.")
            ) from None

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise HubClientError(
                _("The hub sent an answer this laptop cannot read; update Jiangxin.")
            )
        return data

    # --- endpoints ------------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        """The hub's identity and versions; refuses an incompatible hub with a sentence."""
        hello = self._object(self._send("GET", "/v1/hello"))
        check_compatible(hello)
        return hello

    def login(self, user: str, password: str, device_name: str) -> dict[str, Any]:
        answer = self._object(
            self._send(
                "POST",
                "/v1/login",
                json={"user": user, "password": password, "device_name": device_name},
            )
        )
        if not isinstance(answer.get("token"), str) or not answer["token"]:
            raise HubClientError(
                _("The hub sent an answer this laptop cannot read; update Jiangxin.")
            )
        self.token = answer["token"]
        return answer

    def logout(self) -> None:
        self._send("POST", "/v1/logout")

    def me(self) -> dict[str, Any]:
        return self._object(self._send("GET", "/v1/me"))

    def changes_raw(self, since: int, limit: int, epoch: str = "") -> bytes:
        """One page of changes, as the bytes the hub sent (the caller stages them on disk).
        `epoch`: the hub epoch the cursor belongs to (the hub answers `resync_required` when
        its history was rewound since); "" pulls from `since` whatever the epoch."""
        params: dict[str, Any] = {"since": since, "limit": limit}
        if epoch:
            params["epoch"] = epoch
        return self._send("GET", "/v1/changes", params=params).content

    def blobs_missing(self, shas: list[str]) -> list[str]:
        answer = self._object(self._send("POST", "/v1/blobs/missing", json={"sha256": shas}))
        missing = answer.get("missing")
        if not isinstance(missing, list):
            raise HubClientError(
                _("The hub sent an answer this laptop cannot read; update Jiangxin.")
            )
        return [str(sha) for sha in missing]

    def put_blob(self, sha256: str, path: Path) -> None:
        self._send(
            "PUT",
            f"/v1/blobs/{quote(sha256)}",
            content=path.read_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        )

    def get_blobs(self, shas: list[str], target: Callable[[str], Path]) -> set[str]:
        """Fetch many photo files in one request (/v1/blobs/fetch): each is written to
        `target(sha)` and checked against its name. Returns the shas received; a file the hub
        lacks is simply not among them."""
        got: set[str] = set()
        wanted = set(shas)
        try:
            with self._http.stream(
                "POST", "/v1/blobs/fetch", json={"sha256": shas}, headers=self._headers()
            ) as r:
                if r.status_code >= 400:
                    r.read()
                    raise self._refusal(r)
                frames = _Frames(r.iter_bytes(BLOB_CHUNK))
                while (header := frames.header()) is not None:
                    sha, size = header
                    if sha not in wanted or sha in got:
                        raise HubClientError(_damaged())
                    digest = hashlib.sha256()
                    with target(sha).open("wb") as handle:
                        for piece in frames.body(size):
                            digest.update(piece)
                            handle.write(piece)
                    if digest.hexdigest() != sha:
                        raise HubClientError(_damaged())
                    got.add(sha)
        except (httpx.TransportError, ssl.SSLError, OSError) as exc:
            raise self._network_failure(exc) from None
        return got

    def publish(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        answer = self._object(
            self._send(
                "POST", "/v1/publish", content=body, headers={"Content-Type": "application/json"}
            )
        )
        if not isinstance(answer.get("results"), list):
            raise HubClientError(
                _("The hub sent an answer this laptop cannot read; update Jiangxin.")
            )
        return answer

    def conflicts(self) -> list[dict[str, Any]]:
        answer = self._object(self._send("GET", "/v1/conflicts"))
        found = answer.get("conflicts")
        return list(found) if isinstance(found, list) else []


def check_compatible(hello: dict[str, Any]) -> None:
    """Refuse a hub of another protocol or schema with a sentence saying which side to update."""
    try:
        protocol = int(hello.get("protocol", 0))
        min_protocol = int(hello.get("min_protocol", protocol))
    except (TypeError, ValueError):
        protocol = min_protocol = 0
    schema = str(hello.get("schema", ""))
    if min_protocol > PROTOCOL:
        raise HubClientError(
            _("The hub is newer than this laptop's Jiangxin; update Jiangxin on this laptop."),
            status=426,
            code="incompatible",
        )
    if protocol < PROTOCOL:
        raise HubClientError(
            _("The hub is older than this laptop's Jiangxin; ask the union office to update it."),
            status=426,
            code="incompatible",
        )
    if schema and schema > SCHEMA_HEAD:
        raise HubClientError(
            _("The hub is newer than this laptop's Jiangxin; update Jiangxin on this laptop."),
            status=426,
            code="incompatible",
        )
    if schema and schema < SCHEMA_HEAD:
        raise HubClientError(
            _("The hub is older than this laptop's Jiangxin; ask the union office to update it."),
            status=426,
            code="incompatible",
        )


def iter_chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _damaged() -> str:
    return _("A photo file from the hub was damaged on the way; nothing was changed.")


class _Frames:
    """Reads the frames of /v1/blobs/fetch ("<sha256> <size>\n" then the bytes) from a
    stream of chunks, never holding more than one chunk beyond what it hands out.

    What is handed out is passed over by position, not cut off the buffer: a chunk of 1 MiB
    holds hundreds of small photos, and cutting copied the rest of the chunk for each (the
    copies took seconds of a 50,000-photo first sync)."""

    HEADER_MAX = 64 + 1 + 20 + 1

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._at = 0  # where in `_buffer` what is not handed out yet begins

    def _fill(self) -> bool:
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self._buffer = self._buffer[self._at :] + chunk
        self._at = 0
        return True

    def header(self) -> tuple[str, int] | None:
        while (end := self._buffer.find(b"\n", self._at)) < 0:
            if len(self._buffer) - self._at > self.HEADER_MAX or not self._fill():
                if len(self._buffer) > self._at:
                    raise HubClientError(_damaged())
                return None
        line = self._buffer[self._at : end]
        self._at = end + 1
        parts = line.decode("ascii", "replace").split(" ")
        if len(parts) != 2 or not parts[1].isdigit() or len(parts[0]) != 64:
            raise HubClientError(_damaged())
        return parts[0], int(parts[1])

    def body(self, size: int) -> Iterator[bytes]:
        left = size
        while left:
            if self._at >= len(self._buffer) and not self._fill():
                raise HubClientError(_damaged())  # the answer ended inside a file
            piece = self._buffer[self._at : self._at + left]
            self._at += len(piece)
            left -= len(piece)
            yield piece
