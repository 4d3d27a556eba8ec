"""A worker killed (SIGKILL) in the middle of a job: the job is redelivered after the ack wait and completes
exactly once, within the ack wait plus a small margin. The killed worker runs as its own process."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cveval.job.v1 import job_pb2
from cveval.result.v1 import result_pb2
from cveval_job.worker import app as worker_app
from tests.integration.test_pipeline import uploaded_pair
from tests.support.faults import blackhole, wait_jobs, worker_process
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration
ACK_WAIT_S = 3.0
MARGIN_S = 20.0  # a fetch cycle, the evaluation itself and a busy machine; far below the old 120 s ack wait


@pytest.fixture
async def mesh_without_worker(infra: Infra, database_url: str) -> AsyncIterator[Mesh]:
    settings = mesh_settings(database_url, infra.nats_url, worker_ack_wait_s=ACK_WAIT_S)
    mesh = await start_mesh(settings, with_worker=False)
    try:
        yield mesh
    finally:
        await mesh.stop()


async def test_a_job_of_a_killed_worker_completes_once_within_the_ack_wait(
    mesh_without_worker: Mesh, tmp_path: Path
) -> None:
    mesh = mesh_without_worker
    cv, pr = await uploaded_pair(mesh, " worker killed")
    # The first worker's ai-gateway accepts and never answers: the job is certainly in flight when it is killed.
    async with blackhole() as wedged_gateway:
        worker = worker_process(mesh.settings, tmp_path / "worker.log", gateway_addr=wedged_gateway, scorer="offline")
        try:
            queued = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv, project_id=pr))
            await wait_jobs(mesh, [queued.id], statuses=("processing",), limit_s=60)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
    killed_at = time.monotonic()
    mesh.worker_task = asyncio.create_task(worker_app.run(mesh.settings, stop=mesh.worker_stop))

    job = (await wait_jobs(mesh, [queued.id], limit_s=60))[queued.id]
    recovered_s = time.monotonic() - killed_at
    assert job.status == "completed", job.error
    assert job.attempts == 2  # the killed attempt and the one that finished it: exactly once to completion
    assert recovered_s < ACK_WAIT_S + MARGIN_S, f"recovered in {recovered_s:.1f}s"
    stored = await mesh.results().GetResult(result_pb2.GetResultRequest(id=queued.id))
    assert stored.status == "completed"
