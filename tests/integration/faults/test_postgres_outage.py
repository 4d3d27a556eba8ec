"""PostgreSQL stopped for longer than the retry window while jobs flow: every job completes once it is back, and
calls during the outage answer UNAVAILABLE with a retry-after, never INTERNAL. The test's own PostgreSQL is the one
stopped; the suite's servers are not touched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from cveval.job.v1 import job_pb2
from cveval_devstack.postgres import EmbeddedPostgres
from cveval_job.worker import app as worker_app
from cveval_kit.errors import RETRY_AFTER_METADATA_KEY
from cveval_kit.grpc_server import READINESS_SERVICE
from tests.integration.test_pipeline import uploaded_pair
from tests.support.faults import private_dir, private_postgres, restart_postgres, wait_jobs
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration
JOBS = 8
MAX_DELIVER = 3


@pytest.fixture
async def pg_mesh(infra: Infra) -> AsyncIterator[tuple[Mesh, EmbeddedPostgres]]:
    with private_dir("pg-outage") as data_dir:
        async for started in _pg_mesh(infra, data_dir):
            yield started


async def _pg_mesh(infra: Infra, data_dir: Path) -> AsyncIterator[tuple[Mesh, EmbeddedPostgres]]:
    postgres, url = await asyncio.to_thread(private_postgres, data_dir / "pg")
    settings = mesh_settings(
        url,
        infra.nats_url,
        worker_max_deliver=MAX_DELIVER,
        worker_retry_delay_s=0.05,
        worker_max_retry_delay_s=0.4,
        readiness_interval_s=0.2,
        retry_after_s=3,
        db_pool_timeout_s=2.0,
    )
    mesh = await start_mesh(settings, with_worker=False)
    try:
        yield mesh, postgres
    finally:
        await mesh.stop()
        await asyncio.to_thread(postgres.stop)


async def serving(mesh: Mesh) -> int:
    channel = grpc.aio.insecure_channel(mesh.settings.job_addr)
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=READINESS_SERVICE), timeout=2
        )
        return int(reply.status)
    except grpc.aio.AioRpcError:
        return -1
    finally:
        await channel.close()


async def until(condition: Callable[[], Awaitable[bool]], limit_s: float = 30) -> None:
    async def poll() -> None:
        # Conditions read state without a change notification (health, a metric): poll, bounded by wait_for.
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), limit_s)


def retries(mesh: Mesh) -> float:
    return float(
        REGISTRY.get_sample_value(
            "cveval_queue_messages_total", {"consumer": mesh.settings.worker_durable, "outcome": "retry"}
        )
        or 0.0
    )


async def test_jobs_survive_a_database_outage_longer_than_the_retry_window(
    pg_mesh: tuple[Mesh, EmbeddedPostgres],
) -> None:
    mesh, postgres = pg_mesh
    pairs = [await uploaded_pair(mesh, f" pg outage {i}") for i in range(JOBS)]
    jobs = mesh.jobs()
    ids = [(await jobs.Evaluate(job_pb2.EvaluateRequest(cv_id=cv, project_id=pr))).id for cv, pr in pairs]
    await asyncio.to_thread(postgres.stop)
    # The worker comes to the queued jobs while the database is out: no job can even be marked started.
    mesh.worker_task = asyncio.create_task(worker_app.run(mesh.settings, stop=mesh.worker_stop))

    # An API call during the outage: UNAVAILABLE (503 at the edge) with when to come back; never INTERNAL.
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await jobs.Evaluate(job_pb2.EvaluateRequest(cv_id=pairs[0][0], project_id=pairs[0][1]), timeout=15)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value.details()
    assert dict(raised.value.trailing_metadata() or ()).get(RETRY_AFTER_METADATA_KEY) == "3"
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    await until(lambda: _equals(serving(mesh), not_serving))

    # Outlast the retry window: every message is redelivered past max_deliver, and none is given up.
    await until(lambda: _true(retries(mesh) >= JOBS * (MAX_DELIVER + 1)), limit_s=60)

    await asyncio.to_thread(restart_postgres, postgres)
    await until(lambda: _equals(serving(mesh), health_pb2.HealthCheckResponse.SERVING))
    states = await wait_jobs(mesh, ids, limit_s=60)
    assert {j.status for j in states.values()} == {"completed"}, {
        i: (j.status, j.error.code) for i, j in states.items()
    }
    assert all(j.attempts == 1 for j in states.values())  # the outage spent none of the attempt budget


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value
