"""Error mapping and graceful shutdown of the shared gRPC bootstrap, over a real loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cveval_kit import errors
from cveval_kit.errors import ERROR_CODE_METADATA_KEY, HTTP_STATUS_METADATA_KEY
from cveval_kit.grpc_server import GrpcServer
from cveval_kit.settings import Settings

SERVICE = "test.Echo"


def _handlers(behaviour: dict[str, object]) -> grpc.GenericRpcHandler:
    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        action = behaviour["action"]
        if isinstance(action, Exception):
            raise action
        if action == "slow":
            started = behaviour["started"]
            assert isinstance(started, asyncio.Event)
            started.set()
            await asyncio.sleep(0.3)
        return b"ok:" + request

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
async def server() -> AsyncIterator[tuple[GrpcServer, dict[str, object], grpc.aio.Channel]]:
    behaviour: dict[str, object] = {"action": "ok"}
    srv = GrpcServer("test", Settings(grpc_shutdown_grace_s=2.0), [SERVICE])
    port = await srv.start(lambda s: s.add_generic_rpc_handlers((_handlers(behaviour),)), host="127.0.0.1", port=0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield srv, behaviour, channel
    await channel.close()
    await srv.stop(0)


async def call(channel: grpc.aio.Channel, payload: bytes = b"x") -> bytes:
    method = channel.unary_unary(f"/{SERVICE}/Unary")
    return bytes(await method(payload, timeout=5))


@pytest.mark.parametrize(
    ("error", "code", "http"),
    [
        (errors.InvalidArgument("bad field"), grpc.StatusCode.INVALID_ARGUMENT, None),
        (errors.NotFound("no such thing"), grpc.StatusCode.NOT_FOUND, None),
        (errors.Conflict("key reused"), grpc.StatusCode.ALREADY_EXISTS, None),
        (errors.PayloadTooLarge("too big"), grpc.StatusCode.INVALID_ARGUMENT, "413"),
        (errors.UnsupportedMediaType("png"), grpc.StatusCode.INVALID_ARGUMENT, "415"),
        (errors.Unavailable("down"), grpc.StatusCode.UNAVAILABLE, None),
        (errors.RateLimited("slow down"), grpc.StatusCode.RESOURCE_EXHAUSTED, None),
    ],
)
async def test_service_errors_map_to_status_and_http_hint(
    server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel],
    error: errors.ServiceError,
    code: grpc.StatusCode,
    http: str | None,
) -> None:
    _, behaviour, channel = server
    behaviour["action"] = error
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(channel)
    assert raised.value.code() == code
    assert raised.value.details() == error.message
    trailing = dict(raised.value.trailing_metadata() or ())
    assert trailing.get(ERROR_CODE_METADATA_KEY) == error.code
    assert trailing.get(HTTP_STATUS_METADATA_KEY) == http


async def test_unexpected_errors_become_internal_without_details(
    server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel],
) -> None:
    _, behaviour, channel = server
    behaviour["action"] = RuntimeError("password=hunter2 at /srv/app.py line 3")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(channel)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert raised.value.details() == "internal error"


async def test_streaming_errors_are_mapped_too(server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel]) -> None:
    _, _, channel = server
    method = channel.unary_stream(f"/{SERVICE}/Stream")
    received = []
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        async for item in method(b"x", timeout=5):
            received.append(item)
    assert received == [b"first"]
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def test_health_serves_and_shutdown_drains_in_flight_calls(
    server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel],
) -> None:
    srv, behaviour, channel = server
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    started = asyncio.Event()
    behaviour.update(action="slow", started=started)
    in_flight = asyncio.create_task(call(channel, b"drain"))
    await started.wait()
    await srv.stop()  # grace 2 s: the 0.3 s call must finish
    assert await in_flight == b"ok:drain"
    with pytest.raises(grpc.aio.AioRpcError):
        await call(channel)
