"""Refusals the hub answers with: an HTTP status, a machine code and one sentence.

Every refusal of the service is one of these (docs/hub-protocol.md, "errors"); the app turns
them into `{"error": {"code", "message"}}` responses, so a laptop always has a sentence to show.
"""

from __future__ import annotations


class HubError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})  # more fields of the error body (e.g. `reason`)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotSignedIn(HubError):
    status = 401
    code = "not_signed_in"


class DeviceRevoked(HubError):
    status = 401
    code = "device_revoked"


class LoginFailed(HubError):
    status = 401
    code = "login_failed"


class RateLimited(HubError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Forbidden(HubError):
    status = 403
    code = "forbidden"


class IncompatiblePeer(HubError):
    status = 426
    code = "incompatible"
