"""A call that sends no data for many keepalive intervals (a slow model behind the gateway) survives.

The real figures are a 30 s client ping and a 5 min server default, so the failure took minutes to show. Both sides
read their intervals from Settings, so this test scales them down 150x (200 ms pings, 100 ms accepted) and holds a
call for 6 s, i.e. 30 ping intervals: the same ratio as a 15-minute call at the real settings, in seconds of wall
time. The control half shows the mechanism is real: the same client against a server without the policy (gRPC's
5-minute default) is cut off with GOAWAY too_many_pings well before the call ends.
"""

from __future__ import annotations

import asyncio
import time

import grpc

from cveval_kit.grpc_clients import _CHANNEL_OPTIONS, keepalive_options
from cveval_kit.grpc_server import GrpcServer
from cveval_kit.settings import Settings

METHOD = "/cveval.test.Slow/Wait"
CALL_S = 6.0
FAST = Settings(grpc_keepalive_time_ms=200, grpc_keepalive_timeout_ms=5_000, grpc_min_ping_interval_ms=100,
                grpc_shutdown_grace_s=1.0)


def _slow_handlers() -> grpc.GenericRpcHandler:
    async def wait(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await asyncio.sleep(CALL_S)  # no data on the stream meanwhile, like a long model call
        return b"done"

    handler = grpc.unary_unary_rpc_method_handler(wait)
    return grpc.method_handlers_generic_handler("cveval.test.Slow", {"Wait": handler})


async def _call(port: int) -> tuple[bytes | None, grpc.StatusCode | None, str, float]:
    options = (*_CHANNEL_OPTIONS, *keepalive_options(FAST))
    started = time.monotonic()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        wait = channel.unary_unary(METHOD)
        try:
            answer = await wait(b"", timeout=CALL_S * 4)
        except grpc.aio.AioRpcError as exc:
            return None, exc.code(), exc.details() or "", time.monotonic() - started
    return answer, None, "", time.monotonic() - started


async def test_a_call_longer_than_many_keepalive_intervals_survives_only_with_the_server_policy() -> None:
    server = GrpcServer("keepalive-test", FAST, ())
    port = await server.start(lambda s: s.add_generic_rpc_handlers((_slow_handlers(),)), host="127.0.0.1", port=0)
    try:
        answer, code, details, took = await _call(port)
    finally:
        await server.stop(0)
    assert (answer, code) == (b"done", None), details
    assert took >= CALL_S

    # Control: a server without the keepalive policy (what every service had) ends the same call early.
    bare = grpc.aio.server()
    bare.add_generic_rpc_handlers((_slow_handlers(),))
    bare_port = bare.add_insecure_port("127.0.0.1:0")
    await bare.start()
    try:
        answer, code, details, took = await _call(bare_port)
    finally:
        await bare.stop(0)
    assert answer is None and code == grpc.StatusCode.UNAVAILABLE, (code, details)
    assert took < CALL_S
    assert "too many pings" in details.lower(), details
