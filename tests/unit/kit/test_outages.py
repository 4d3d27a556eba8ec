"""Outages of the database or NATS answer UNAVAILABLE with a retry-after, never INTERNAL; readiness follows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import grpc
import nats.errors
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import exc as sa_exc

from cveval_kit import errors
from cveval_kit.errors import ERROR_CODE_METADATA_KEY, RETRY_AFTER_METADATA_KEY
from cveval_kit.grpc_server import READINESS_SERVICE, GrpcServer
from cveval_kit.outages import as_unavailable, is_outage
from cveval_kit.readiness import follow_dependencies
from cveval_kit.settings import Settings
from tests.unit.kit.test_interceptors import SERVICE, _handlers, call


def _sqlalchemy_wrapped(orig: Exception) -> Exception:
    return sa_exc.DBAPIError.instance("SELECT 1", {}, orig, Exception, connection_invalidated=True)


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        sa_exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached"),
        _sqlalchemy_wrapped(ConnectionResetError(104, "reset")),
        nats.errors.NoServersError(),
        nats.errors.TimeoutError(),
        errors.Unavailable("upload service down"),
    ],
)
def test_outages_are_recognised(exc: Exception) -> None:
    assert is_outage(exc)
    assert isinstance(as_unavailable(exc), errors.Unavailable)


@pytest.mark.parametrize("exc", [RuntimeError("bug"), KeyError("x"), FileNotFoundError(2, "no file"), ValueError()])
def test_bugs_are_not_outages(exc: Exception) -> None:
    assert not is_outage(exc)
    assert as_unavailable(exc) is None


def test_an_outage_raised_from_inside_another_error_counts() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except ConnectionRefusedError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_outage(outer)


@pytest.fixture
async def server() -> AsyncIterator[tuple[GrpcServer, dict[str, object], grpc.aio.Channel]]:
    behaviour: dict[str, object] = {"action": "ok"}
    srv = GrpcServer("test", Settings(grpc_shutdown_grace_s=2.0, retry_after_s=7), [SERVICE])
    port = await srv.start(lambda s: s.add_generic_rpc_handlers((_handlers(behaviour),)), host="127.0.0.1", port=0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield srv, behaviour, channel
    await channel.close()
    await srv.stop(0)


@pytest.mark.parametrize(
    ("error", "retry_after"),
    [
        (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"), "7"),
        (sa_exc.TimeoutError("QueuePool limit reached"), "7"),
        (errors.Unavailable("upstream down"), "7"),
        (errors.Unavailable("upstream down", retry_after_s=30), "30"),
    ],
)
async def test_outages_answer_unavailable_with_retry_after(
    server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel], error: Exception, retry_after: str
) -> None:
    _, behaviour, channel = server
    behaviour["action"] = error
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(channel)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "5432" not in (raised.value.details() or "")
    trailing = dict(raised.value.trailing_metadata() or ())
    assert trailing.get(RETRY_AFTER_METADATA_KEY) == retry_after
    assert trailing.get(ERROR_CODE_METADATA_KEY) == "UNAVAILABLE"


async def test_readiness_follows_a_probe(server: tuple[GrpcServer, dict[str, object], grpc.aio.Channel]) -> None:
    srv, _, channel = server
    up = asyncio.Event()
    up.set()

    async def probe() -> None:
        if not up.is_set():
            raise ConnectionRefusedError(111, "refused")

    async def status(service: str = READINESS_SERVICE) -> int:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
        return int(reply.status)

    async def becomes(expected: int) -> None:
        # Health has no push here (Watch would need a stream per check): poll the status, bounded by wait_for.
        while await status() != expected:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    task = asyncio.create_task(follow_dependencies(srv, {"database": probe}, interval_s=0.02))
    try:
        await asyncio.wait_for(becomes(health_pb2.HealthCheckResponse.SERVING), 5)
        up.clear()
        await asyncio.wait_for(becomes(health_pb2.HealthCheckResponse.NOT_SERVING), 5)
        assert await status(SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
        assert await status("") == health_pb2.HealthCheckResponse.SERVING  # liveness: the process itself is fine
        up.set()
        await asyncio.wait_for(becomes(health_pb2.HealthCheckResponse.SERVING), 5)
    finally:
        task.cancel()


def test_a_stuck_job_deadline_below_the_redelivery_delays_is_refused() -> None:
    with pytest.raises(ValueError, match="RECONCILE_STUCK_AFTER_S"):
        Settings(reconcile_stuck_after_s=20, worker_max_retry_delay_s=30, worker_ack_wait_s=10)
    assert Settings().reconcile_stuck_after_s > Settings().worker_max_retry_delay_s + Settings().worker_ack_wait_s
