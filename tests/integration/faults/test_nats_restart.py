"""NATS killed (SIGKILL) and restarted under load: every accepted job completes, none twice. The test's own
nats-server is the one killed; the suite's servers are not touched."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from cveval.job.v1 import job_pb2
from cveval_devstack.nats_server import EmbeddedNats
from cveval_devstack.procs import port_open, wait_until
from tests.integration.test_pipeline import uploaded_pair
from tests.support.faults import private_dir, wait_jobs
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration
JOBS = 24


@pytest.fixture
async def nats_mesh(infra: Infra) -> AsyncIterator[tuple[Mesh, EmbeddedNats]]:
    with private_dir("nats-restart") as data_dir:
        nats = EmbeddedNats(data_dir / "nats")
        await asyncio.to_thread(nats.start)
        settings = mesh_settings(
            await asyncio.to_thread(infra.create_database, "cveval_faults"),
            nats.url,
            reconcile_interval_s=0.5,
        )
        mesh = await start_mesh(settings)
        try:
            yield mesh, nats
        finally:
            await mesh.stop()
            await asyncio.to_thread(nats.stop)


def kill_and_restart(nats: EmbeddedNats, data_dir: Path) -> None:
    assert nats.proc is not None
    nats.proc.kill()
    nats.proc.wait(10)
    wait_until(lambda: not port_open(nats.port), 10, "nats-server to go")
    nats.start()  # same port, same JetStream store


async def test_nothing_is_lost_or_duplicated_when_nats_dies_under_load(nats_mesh: tuple[Mesh, EmbeddedNats]) -> None:
    mesh, nats = nats_mesh
    pairs = [await uploaded_pair(mesh, f" nats restart {i}") for i in range(JOBS)]
    jobs = mesh.jobs()
    accepted: list[str] = []
    refused = 0

    async def submit() -> None:
        nonlocal refused
        for cv, pr in pairs:
            try:
                reply = await jobs.Evaluate(job_pb2.EvaluateRequest(cv_id=cv, project_id=pr), timeout=20)
                accepted.append(reply.id)
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAVAILABLE, exc.details()
                refused += 1
            await asyncio.sleep(0.05)  # a steady flow of evaluations, not one burst

    flow = asyncio.create_task(submit())
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(_until_accepted(accepted, JOBS // 3)), 60)
    await asyncio.to_thread(kill_and_restart, nats, nats.data_dir)
    await flow

    states = await wait_jobs(mesh, accepted, limit_s=90)
    assert len(accepted) + refused == JOBS and len(accepted) >= JOBS // 2
    assert {j.status for j in states.values()} == {"completed"}, {i: j.status for i, j in states.items()}
    # Nothing duplicated: the database (this test's own) holds exactly the accepted jobs, each completed once (a
    # redelivered message for a finished job is acknowledged, never run again; one whose in-progress pings were lost
    # while NATS was down may have been started a second time, and its second result was not stored).
    listed = await jobs.ListJobs(job_pb2.ListJobsRequest(page_size=100))
    assert sorted(j.id for j in listed.jobs) == sorted(accepted)
    assert all(j.attempts <= 2 for j in states.values())


async def _until_accepted(accepted: list[str], count: int) -> None:
    while len(accepted) < count:  # noqa: ASYNC110 - a list filled by the flow task, no event to wait on
        await asyncio.sleep(0.02)
