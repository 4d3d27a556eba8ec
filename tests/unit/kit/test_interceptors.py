"""Error mapping and graceful shutdown of the shared gRPC bootstrap, over a real loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

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


async def test_errors_carry_error_info_and_retry_info_in_the_status_details(
    server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel],
) -> None:
    _, behaviour, channel = server
    behaviour["action"] = errors.Unavailable("database away", code="DATABASE_UNAVAILABLE")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(channel)
    trailing = dict(raised.value.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailing["grpc-status-details-bin"])
    assert status.code == grpc.StatusCode.UNAVAILABLE.value[0] and status.message == "database away"
    info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info) and status.details[1].Unpack(retry)
    assert (info.reason, info.domain) == ("DATABASE_UNAVAILABLE", "cveval")
    assert retry.retry_delay.seconds == int(trailing["retry-after"])
    assert trailing[ERROR_CODE_METADATA_KEY] == "DATABASE_UNAVAILABLE"  # REST keeps its header


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
async def test_reflection_answers_under_v1_and_v1alpha(
    server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel], version: str
) -> None:
    _, _, channel = server
    method = channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    replies = [reply async for reply in method(iter([request]), timeout=5)]
    names = {s.name for s in replies[0].list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} <= names
