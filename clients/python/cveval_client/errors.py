"""Errors the SDK raises: one class per kind of failure a caller handles differently."""

from __future__ import annotations


class CvevalError(Exception):
    """Any failure of a call; `status` is the HTTP status (0 when no answer came) and `code` the server's code."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ConnectionFailed(CvevalError):
    """The server could not be reached (refused, DNS, timeout)."""


class AuthenticationFailed(CvevalError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDenied(CvevalError):
    """403: the key's roles do not allow this call."""


class NotFound(CvevalError):
    """404: no such resource in the caller's tenant."""


class Conflict(CvevalError):
    """409: for example an Idempotency-Key reused with another request."""


class InvalidRequest(CvevalError):
    """400, 413, 415, 422: the request (or a file) is not acceptable."""


class RateLimited(CvevalError):
    """429 after the retries: the key's quota is spent for now."""


class Unavailable(CvevalError):
    """5xx after the retries: the service or one of its dependencies is down."""


_BY_STATUS: dict[int, type[CvevalError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
}


def error_for(status: int, message: str, code: str = "") -> CvevalError:
    kind = _BY_STATUS.get(status, Unavailable if status >= 500 else CvevalError)
    return kind(message, status=status, code=code)
