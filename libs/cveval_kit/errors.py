"""Errors that cross a service boundary, each tied to a gRPC status and the HTTP code Envoy must show.

Domain code raises these (or its own subclasses); the error interceptor turns them into gRPC statuses with
a clear message. Anything else becomes INTERNAL with a generic message: no stack trace or SQL leaks out.
"""

from __future__ import annotations

import grpc

# Trailing metadata read by Envoy's Lua filter to show HTTP codes gRPC has no status for (413, 415).
HTTP_STATUS_METADATA_KEY = "x-cveval-http-status"
ERROR_CODE_METADATA_KEY = "x-cveval-error-code"
# Trailing metadata of an UNAVAILABLE status: Envoy's transcoder passes it on as the HTTP `Retry-After` header.
RETRY_AFTER_METADATA_KEY = "retry-after"


class ServiceError(Exception):
    status: grpc.StatusCode = grpc.StatusCode.INTERNAL
    http_status: int | None = None
    code: str = "INTERNAL"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(ServiceError):
    status = grpc.StatusCode.INVALID_ARGUMENT
    code = "INVALID_ARGUMENT"


class Unauthenticated(ServiceError):
    status = grpc.StatusCode.UNAUTHENTICATED
    code = "UNAUTHENTICATED"


class PermissionDenied(ServiceError):
    status = grpc.StatusCode.PERMISSION_DENIED
    code = "PERMISSION_DENIED"


class NotFound(ServiceError):
    status = grpc.StatusCode.NOT_FOUND
    code = "NOT_FOUND"


class Conflict(ServiceError):
    status = grpc.StatusCode.ALREADY_EXISTS
    code = "CONFLICT"


class PayloadTooLarge(ServiceError):
    status = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 413
    code = "FILE_TOO_LARGE"


class UnsupportedMediaType(ServiceError):
    status = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(ServiceError):
    status = grpc.StatusCode.RESOURCE_EXHAUSTED
    code = "RATE_LIMITED"


class Unavailable(ServiceError):
    """A dependency is out (database, NATS, another service): the caller should retry after `retry_after_s`
    seconds (None: the server's configured default)."""

    status = grpc.StatusCode.UNAVAILABLE
    code = "UNAVAILABLE"

    def __init__(self, message: str, *, code: str | None = None, retry_after_s: int | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class DeadlineExceeded(ServiceError):
    status = grpc.StatusCode.DEADLINE_EXCEEDED
    code = "DEADLINE_EXCEEDED"
