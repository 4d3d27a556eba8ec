"""The gRPC aio server interceptor for access control, error mapping and Prometheus metrics.

grpc.aio has no ready-made interceptor for either, so this one wraps the method handler's behaviour for all four
call shapes (unary or streaming request, unary or streaming response). Both concerns share one wrapper, and the
wrapped handler is built once per method and reused: interceptors run on every call, so per-call closures and
metric label lookups would be paid on the hottest path of every service.

Access control: a service declares an access policy, the roles allowed on each of its public methods. A public
method runs only with a verified identity from the edge (cveval_kit.identity), bound for the servicer to read with
`current_identity()`; without one the call fails UNAUTHENTICATED, with the wrong role PERMISSION_DENIED. Methods
not in the policy are internal: Envoy never routes them, and they are reachable only from inside the mesh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from cveval_kit import identity
from cveval_kit.errors import (
    ERROR_CODE_METADATA_KEY,
    HTTP_STATUS_METADATA_KEY,
    RETRY_AFTER_METADATA_KEY,
    ServiceError,
    Unavailable,
)
from cveval_kit.metrics import GRPC_IN_FLIGHT, GRPC_LATENCY, GRPC_REQUESTS
from cveval_kit.outages import as_unavailable

log = logging.getLogger(__name__)

ERROR_DOMAIN = "cveval"  # google.rpc.ErrorInfo.domain of every error the services raise


Behavior = Callable[..., Any]
Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]]
# Full method name ("/cveval.job.v1.JobService/Evaluate") → roles allowed to call it.
AccessPolicy = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class _Access:
    """What a public method needs: the shared secret to verify the edge's identity token and the allowed roles."""

    secret: bytes
    roles: frozenset[str]

    def check(self, context: grpc.aio.ServicerContext) -> identity.Identity:
        token = None
        for key, value in context.invocation_metadata() or ():
            if key == identity.IDENTITY_METADATA_KEY:
                token = value if isinstance(value, str) else value.decode("ascii", "replace")
                break
        return identity.authorize(token, self.secret, self.roles)


@dataclass
class _MethodMetrics:
    """The label children of one method, looked up once."""

    method: str
    in_flight: Any
    by_code: dict[str, tuple[Any, Any]]  # status code → (request counter, latency histogram)
    access: _Access | None = None
    retry_after_s: int = 5

    @classmethod
    def of(cls, method: str, access: _Access | None = None, retry_after_s: int = 5) -> _MethodMetrics:
        return cls(method, GRPC_IN_FLIGHT.labels(method), {}, access, retry_after_s)

    def done(self, context: grpc.aio.ServicerContext, started: float) -> None:
        self.in_flight.dec()
        code = _code_of(context)
        children = self.by_code.get(code)
        if children is None:
            children = (GRPC_REQUESTS.labels(self.method, code), GRPC_LATENCY.labels(self.method, code))
            self.by_code[code] = children
        children[0].inc()
        children[1].observe(time.perf_counter() - started)


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Checks the caller of public methods, maps ServiceError to gRPC statuses (never leaking other exceptions)
    and records call metrics."""

    def __init__(
        self, policy: AccessPolicy | None = None, identity_secret: bytes = b"", retry_after_s: int = 5
    ) -> None:
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}
        self._policy = dict(policy or {})
        self._secret = identity_secret
        self._retry_after_s = retry_after_s

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        roles = self._policy.get(method)
        access = None if roles is None else _Access(self._secret, roles)
        wrapped = _wrap(handler, _MethodMetrics.of(method, access, self._retry_after_s))
        self._wrapped[method] = (handler, wrapped)
        return wrapped


def _wrap(handler: grpc.RpcMethodHandler, metrics: _MethodMetrics) -> grpc.RpcMethodHandler:
    codecs = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(_unary(handler.unary_unary, metrics), **codecs)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(_unary(handler.stream_unary, metrics), **codecs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(_stream(handler.unary_stream, metrics), **codecs)
    return grpc.stream_stream_rpc_method_handler(_stream(handler.stream_stream, metrics), **codecs)


def _unary(behavior: Behavior, metrics: _MethodMetrics) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        metrics.in_flight.inc()
        bound = None
        try:
            if metrics.access is not None:
                bound = identity.bind(metrics.access.check(context))
            return await behavior(request, context)
        except Exception as exc:
            if isinstance(exc, grpc.aio.AbortError):
                raise
            await _abort_with(exc, context, metrics)
        finally:
            if bound is not None:
                identity.unbind(bound)
            metrics.done(context, started)

    return wrapper


def _stream(behavior: Behavior, metrics: _MethodMetrics) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.perf_counter()
        metrics.in_flight.inc()
        bound = None
        try:
            if metrics.access is not None:
                bound = identity.bind(metrics.access.check(context))
            async for item in behavior(request, context):
                yield item
        except Exception as exc:
            if isinstance(exc, grpc.aio.AbortError):
                raise
            await _abort_with(exc, context, metrics)
        finally:
            if bound is not None:
                identity.unbind(bound)
            metrics.done(context, started)

    return wrapper


async def _abort_with(exc: BaseException, context: grpc.aio.ServicerContext, metrics: _MethodMetrics) -> None:
    if not isinstance(exc, ServiceError):
        # A database or NATS outage is not a bug: the caller gets 503 and when to come back, not 500.
        outage = as_unavailable(exc)
        if outage is not None:
            log.warning("%s: dependency unavailable: %s", metrics.method, type(exc).__name__)
            exc = outage
    if isinstance(exc, ServiceError):
        metadata: list[tuple[str, str | bytes]] = [(ERROR_CODE_METADATA_KEY, exc.code)]
        if exc.http_status is not None:
            metadata.append((HTTP_STATUS_METADATA_KEY, str(exc.http_status)))
        retry_after = None
        if isinstance(exc, Unavailable):
            retry_after = exc.retry_after_s if exc.retry_after_s is not None else metrics.retry_after_s
            metadata.append((RETRY_AFTER_METADATA_KEY, str(retry_after)))
        metadata.append(status_details(exc, retry_after))
        context.set_trailing_metadata(tuple(metadata))
        await context.abort(exc.status, exc.message)
    # Anything else is a bug: log it whole here, show the caller nothing of it.
    log.error("unhandled error in %s", metrics.method, exc_info=exc)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


def status_details(exc: ServiceError, retry_after_s: int | None = None) -> tuple[str, bytes]:
    """The google.rpc.Status of an error as grpc-status-details-bin: ErrorInfo with the machine-readable code as its
    reason (domain `cveval`) for gRPC clients, and RetryInfo on UNAVAILABLE; REST keeps the x-cveval-error-code header.
    """
    details = [any_pb2.Any()]
    details[0].Pack(error_details_pb2.ErrorInfo(reason=exc.code, domain=ERROR_DOMAIN))
    if retry_after_s is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromSeconds(retry_after_s)
        details.append(any_pb2.Any())
        details[-1].Pack(retry)
    status = status_pb2.Status(code=exc.status.value[0], message=exc.message, details=details)
    key, value = rpc_status.to_status(status).trailing_metadata[0]
    return key, value


def _code_of(context: grpc.aio.ServicerContext) -> str:
    code = context.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    return str(code)
