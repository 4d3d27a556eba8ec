"""Failure paths of the worker with the real JetStream: bounded redelivery, then a clear `failed`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cveval.job.v1 import job_pb2
from cveval_devstack.procs import free_port
from tests.integration.test_pipeline import uploaded_pair, wait_result
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration


@pytest.fixture
async def mesh_without_gateway(infra: Infra, database_url: str) -> AsyncIterator[Mesh]:
    """Upload, job, result and a worker whose ai-gateway address has nothing listening."""
    settings = mesh_settings(database_url, infra.nats_url, worker_max_deliver=3, worker_retry_delay_s=0.05)
    settings = settings.model_copy(update={"gateway_addr": f"127.0.0.1:{free_port()}"})
    started = await start_mesh(settings, with_gateway=False)
    try:
        yield started
    finally:
        await started.stop()


async def test_unreachable_gateway_fails_the_job_after_max_deliver(mesh_without_gateway: Mesh) -> None:
    mesh = mesh_without_gateway
    cv_id, project_id = await uploaded_pair(mesh, " no gateway")
    queued = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    final = (await wait_result(mesh, queued.id, limit_s=60))[-1]
    assert final.status == "failed"
    assert final.error.code == "UPSTREAM_UNAVAILABLE"
    assert "3 attempts" in final.error.message
    job = (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=queued.id))).job
    assert job.attempts == 3
