"""gRPC aio server interceptors: error mapping and Prometheus metrics.

grpc.aio has no ready-made interceptor for either, so each wraps the method handler's behaviour for all four
call shapes (unary/streaming request by unary/streaming response).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram

from cveval_kit.errors import ERROR_CODE_METADATA_KEY, HTTP_STATUS_METADATA_KEY, ServiceError

log = logging.getLogger(__name__)

GRPC_REQUESTS = Counter("cveval_grpc_requests_total", "gRPC calls handled", ["method", "code"])
GRPC_LATENCY = Histogram(
    "cveval_grpc_request_duration_seconds",
    "gRPC call latency",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GRPC_IN_FLIGHT = Gauge("cveval_grpc_in_flight", "gRPC calls in progress", ["method"])

Behavior = Callable[..., Any]


async def _abort(context: grpc.aio.ServicerContext, error: ServiceError) -> None:
    metadata: list[tuple[str, str]] = [(ERROR_CODE_METADATA_KEY, error.code)]
    if error.http_status is not None:
        metadata.append((HTTP_STATUS_METADATA_KEY, str(error.http_status)))
    context.set_trailing_metadata(tuple(metadata))
    await context.abort(error.status, error.message)


async def _handle(exc: BaseException, context: grpc.aio.ServicerContext, method: str) -> None:
    if isinstance(exc, ServiceError):
        await _abort(context, exc)
    # context.abort raises AbortError; anything else is a bug that must not leak its details.
    log.exception("unhandled error in %s", method, exc_info=exc)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        return _wrap(handler, method, _error_unary, _error_stream)


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return _wrap(handler, handler_call_details.method, _metered_unary, _metered_stream)


def _wrap(
    handler: grpc.RpcMethodHandler,
    method: str,
    unary_wrapper: Callable[[Behavior, str], Behavior],
    stream_wrapper: Callable[[Behavior, str], Behavior],
) -> grpc.RpcMethodHandler:
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            unary_wrapper(handler.unary_unary, method),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            unary_wrapper(handler.stream_unary, method),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            stream_wrapper(handler.unary_stream, method),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.stream_stream_rpc_method_handler(
        stream_wrapper(handler.stream_stream, method),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _error_unary(behavior: Behavior, method: str) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await behavior(request, context)
        except Exception as exc:
            if _is_abort(exc):
                raise
            await _handle(exc, context, method)

    return wrapper


def _error_stream(behavior: Behavior, method: str) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        try:
            async for item in behavior(request, context):
                yield item
        except Exception as exc:
            if _is_abort(exc):
                raise
            await _handle(exc, context, method)

    return wrapper


def _is_abort(exc: BaseException) -> bool:
    return isinstance(exc, grpc.aio.AbortError)


def _code_of(context: grpc.aio.ServicerContext) -> str:
    code = context.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    return str(code)


def _metered_unary(behavior: Behavior, method: str) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        GRPC_IN_FLIGHT.labels(method).inc()
        try:
            return await behavior(request, context)
        finally:
            GRPC_IN_FLIGHT.labels(method).dec()
            GRPC_LATENCY.labels(method).observe(time.perf_counter() - started)
            GRPC_REQUESTS.labels(method, _code_of(context)).inc()

    return wrapper


def _metered_stream(behavior: Behavior, method: str) -> Behavior:
    async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.perf_counter()
        GRPC_IN_FLIGHT.labels(method).inc()
        try:
            async for item in behavior(request, context):
                yield item
        finally:
            GRPC_IN_FLIGHT.labels(method).dec()
            GRPC_LATENCY.labels(method).observe(time.perf_counter() - started)
            GRPC_REQUESTS.labels(method, _code_of(context)).inc()

    return wrapper
