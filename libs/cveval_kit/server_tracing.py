"""OpenTelemetry's gRPC aio server interceptor, with aborted calls recorded as a span status only.

The instrumentation records every `context.abort()` as an exception event on the server span, twice (once in its
wrapper, once when the `AbortError` leaves the span's context manager), each formatting the full traceback. Every
error the services answer goes through `abort` (cveval_kit.interceptors maps ServiceError to a status), so an
expected client error such as NOT_FOUND for an unknown id spent more CPU on tracebacks than on the answer (28% of
the result service's samples on that path). The abort already sets the span's status code and description
(`rpc.grpc.status_code`, and ERROR for server-side codes as the semantic conventions say), and the traceback of an
`AbortError` only shows the abort call itself, so the event adds nothing.

The span, its attributes, context propagation and status are the library's own: only the two call wrappers are
replaced, to let an `AbortError` out of the span without recording it. Any other exception is still recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import __version__ as instrumentation_version
from opentelemetry.instrumentation.grpc._aio_server import (
    OpenTelemetryAioServerInterceptor,
    _OpenTelemetryAioServicerContext,
)

Behavior = Callable[..., Any]


class StatusOnlyAbortsInterceptor(OpenTelemetryAioServerInterceptor):
    def _intercept_aio_server_unary(
        self, behavior: Behavior, handler_call_details: grpc.HandlerCallDetails
    ) -> Behavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            aborted: grpc.aio.AbortError | None = None
            with (
                self._set_remote_context(context),
                self._start_span(handler_call_details, context, set_status_on_exception=False) as span,
            ):
                try:
                    return await behavior(request, _OpenTelemetryAioServicerContext(context, span))
                except grpc.aio.AbortError as exc:  # status set on the span by the wrapped context's abort
                    aborted = exc
            raise aborted

        return unary

    def _intercept_aio_server_stream(
        self, behavior: Behavior, handler_call_details: grpc.HandlerCallDetails
    ) -> Behavior:
        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            aborted: grpc.aio.AbortError | None = None
            with (
                self._set_remote_context(context),
                self._start_span(handler_call_details, context, set_status_on_exception=False) as span,
            ):
                try:
                    async for response in behavior(request, _OpenTelemetryAioServicerContext(context, span)):
                        yield response
                except grpc.aio.AbortError as exc:
                    aborted = exc
            if aborted is not None:
                raise aborted

        return stream


def server_interceptor(tracer_provider: trace.TracerProvider | None = None) -> grpc.aio.ServerInterceptor:
    """The tracing interceptor, built as `opentelemetry.instrumentation.grpc.aio_server_interceptor()` builds it."""
    tracer = trace.get_tracer(
        "opentelemetry.instrumentation.grpc",
        instrumentation_version,
        tracer_provider,
        schema_url="https://opentelemetry.io/schemas/1.11.0",
    )
    interceptor: grpc.aio.ServerInterceptor = StatusOnlyAbortsInterceptor(tracer)
    return interceptor
