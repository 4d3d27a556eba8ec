"""Server spans of aborted calls: the status says what happened, no exception event (and no traceback) is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from cveval_kit import errors
from cveval_kit.interceptors import ServiceInterceptor
from cveval_kit.server_tracing import server_interceptor

SERVICE = "test.Traced"


def _handlers() -> grpc.GenericRpcHandler:
    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        if request == b"missing":
            raise errors.NotFound("no such thing")
        if request == b"down":
            raise errors.Unavailable("the database is unavailable")
        if request == b"bug":
            raise RuntimeError("a bug")
        return b"ok"

    async def stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        yield b"first"
        raise errors.NotFound("gone midway")

    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "Stream": grpc.unary_stream_rpc_method_handler(stream),
        },
    )


@pytest.fixture
async def traced() -> AsyncIterator[tuple[grpc.aio.Channel, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    server = grpc.aio.server(interceptors=[server_interceptor(provider), ServiceInterceptor()])
    server.add_generic_rpc_handlers((_handlers(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield channel, exporter
    await channel.close()
    await server.stop(0)


async def _unary(channel: grpc.aio.Channel, payload: bytes) -> grpc.StatusCode:
    try:
        await channel.unary_unary(f"/{SERVICE}/Unary")(payload, timeout=5)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def _only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    """The one server span, once it ended: the client may hear the status before the server's handler returns and
    its span ends, so wait for it (with a generous bound: a busy machine)."""
    for _ in range(1000):  # 10 s
        if spans := exporter.get_finished_spans():
            break
        await asyncio.sleep(0.01)
    assert len(spans) == 1, spans
    return spans[0]


async def test_an_expected_client_error_is_a_status_without_an_exception_event(
    traced: tuple[grpc.aio.Channel, InMemorySpanExporter],
) -> None:
    channel, exporter = traced
    assert await _unary(channel, b"missing") == grpc.StatusCode.NOT_FOUND
    span = await _only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert span.events == ()
    assert span.status.status_code is not StatusCode.ERROR  # a client's mistake is not the server's error


async def test_a_server_side_error_marks_the_span_failed_without_a_traceback(
    traced: tuple[grpc.aio.Channel, InMemorySpanExporter],
) -> None:
    channel, exporter = traced
    assert await _unary(channel, b"down") == grpc.StatusCode.UNAVAILABLE
    span = await _only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert "unavailable" in (span.status.description or "")
    assert span.events == ()


async def test_a_bug_is_internal_and_the_span_says_so(traced: tuple[grpc.aio.Channel, InMemorySpanExporter]) -> None:
    channel, exporter = traced
    assert await _unary(channel, b"bug") == grpc.StatusCode.INTERNAL
    span = await _only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert "a bug" not in (span.status.description or "")  # the caller's view, never the exception


async def test_a_successful_call_and_a_stream_aborted_midway(
    traced: tuple[grpc.aio.Channel, InMemorySpanExporter],
) -> None:
    channel, exporter = traced
    assert await _unary(channel, b"fine") == grpc.StatusCode.OK
    assert (await _only_span(exporter)).status.status_code is StatusCode.UNSET
    exporter.clear()
    call = channel.unary_stream(f"/{SERVICE}/Stream")(b"x", timeout=5)
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        async for item in call:
            received.append(item)
    assert received == [b"first"]
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    span = await _only_span(exporter)
    assert span.attributes is not None
    assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert span.events == ()
