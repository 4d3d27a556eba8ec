"""The ai-gateway unavailable: every job ends failed UPSTREAM_UNAVAILABLE within its attempt budget (none stuck),
each failed message is kept in the dead-letter stream, and an admin's replay completes a job once the gateway is
back. Also: a job whose message was lost is found and published again by the reconciler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import update

from cveval.aigateway.v1 import aigateway_pb2
from cveval.job.v1 import job_pb2, job_pb2_grpc
from cveval_devstack.procs import free_port
from cveval_gateway import app as gateway_app
from cveval_job.adapters.job_repository import JobRepository
from cveval_job.adapters.tables import jobs as jobs_table
from cveval_kit import jetstream
from cveval_kit.db import create_engine, session_factory
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER
from tests.integration.test_pipeline import uploaded_pair
from tests.support.faults import wait_jobs
from tests.support.identity import TEST_IDENTITY_SECRET, caller
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration
JOBS = 4


async def _without_gateway(infra: Infra, database_url: str, **overrides: object) -> AsyncIterator[Mesh]:
    settings = mesh_settings(
        database_url,
        infra.nats_url,
        gateway_addr=f"127.0.0.1:{free_port()}",
        identity_secret=TEST_IDENTITY_SECRET,
        **overrides,
    )
    mesh = await start_mesh(settings, with_gateway=False)
    try:
        yield mesh
    finally:
        await mesh.stop()


@pytest.fixture
async def mesh_without_gateway(infra: Infra, database_url: str) -> AsyncIterator[Mesh]:
    # A retry delay longer than the channels' 2 s reconnect backoff cap, so the second attempt of a replay finds the
    # gateway started just before it.
    async for mesh in _without_gateway(infra, database_url, worker_max_deliver=2, worker_retry_delay_s=2.5):
        yield mesh


@pytest.fixture
async def mesh_quick_reconciler(infra: Infra, database_url: str) -> AsyncIterator[Mesh]:
    # stuck_after far below its default, but still above every redelivery delay (a job waiting out a retry delay
    # is not stranded).
    async for mesh in _without_gateway(
        infra,
        database_url,
        reconcile_interval_s=0.3,
        reconcile_stuck_after_s=2.0,
        worker_max_retry_delay_s=0.5,
        worker_ack_wait_s=1.0,
    ):
        yield mesh


async def test_jobs_fail_upstream_unavailable_then_a_replay_completes(mesh_without_gateway: Mesh) -> None:
    mesh = mesh_without_gateway
    pairs = [await uploaded_pair(mesh, f" gateway down {i}") for i in range(JOBS)]
    jobs = mesh.jobs()
    ids = [(await jobs.Evaluate(job_pb2.EvaluateRequest(cv_id=cv, project_id=pr))).id for cv, pr in pairs]

    states = await wait_jobs(mesh, ids, limit_s=60)
    assert {(j.status, j.error.code) for j in states.values()} == {("failed", "UPSTREAM_UNAVAILABLE")}
    nc = await jetstream.connect(mesh.settings.nats_url, "faults-test")
    try:
        dead = await nc.jetstream().stream_info(mesh.settings.dead_letter_stream)
        assert dead.state.messages == JOBS
    finally:
        await nc.close()

    # Replay is an admin's act: refused without an identity (a bare channel: the mesh's stubs sign one) and for
    # other roles.
    async with grpc.aio.insecure_channel(mesh.settings.job_addr) as bare:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await job_pb2_grpc.JobServiceStub(bare).ReplayJob(job_pb2.ReplayJobRequest(id=ids[0]))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await jobs.ReplayJob(job_pb2.ReplayJobRequest(id=ids[0]), metadata=caller(roles=(SUBMITTER, REVIEWER)))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

    port = int(mesh.settings.gateway_addr.rsplit(":", 1)[1])
    mesh.running.append(await gateway_app.start(mesh.settings, port=port))
    await mesh.gateway().Embed(aigateway_pb2.EmbedRequest(texts=["warm up"]), timeout=120)  # the model loads first
    admin = caller(roles=(ADMIN,))
    replayed = (await jobs.ReplayJob(job_pb2.ReplayJobRequest(id=ids[0]), metadata=admin)).job
    assert replayed.status == "queued" and replayed.attempts == 0 and not replayed.error.code
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # only a failed job can be replayed
        await jobs.ReplayJob(job_pb2.ReplayJobRequest(id=ids[0]), metadata=admin)
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    job = (await wait_jobs(mesh, [ids[0]], limit_s=60))[ids[0]]
    assert job.status == "completed", job.error
    assert 1 <= job.attempts <= 2  # the first may still meet the gateway's channel in its reconnect backoff


async def test_a_job_whose_message_was_lost_is_published_again(mesh_quick_reconciler: Mesh) -> None:
    mesh = mesh_quick_reconciler
    port = int(mesh.settings.gateway_addr.rsplit(":", 1)[1])
    mesh.running.append(await gateway_app.start(mesh.settings, port=port))
    # A fresh gateway loads its offline model first (seconds on a busy machine): this test is about the lost
    # message, so let the model load before the job's quick retries start counting.
    await mesh.gateway().Embed(aigateway_pb2.EmbedRequest(texts=["warm up"]), timeout=120)
    cv, pr = await uploaded_pair(mesh, " lost message")
    engine = create_engine(mesh.settings, "faults-test")
    try:
        repository = JobRepository(session_factory(engine))
        # Stored and marked published, but no message exists: as after a NATS store lost with its disk.
        job, _ = await repository.create(
            tenant="tenant-a",  # the default caller of the test mesh, who uploaded the documents
            submitted_by="key:test",
            job_id=f"00000000-0000-4000-8000-{free_port():012d}",
            cv_id=cv,
            project_id=pr,
            vacancy_id="default-backend-ai-engineer",
            idempotency_key=None,
            request_hash="lost",
        )
        async with session_factory(engine).begin() as session:
            long_ago = datetime.now(UTC) - timedelta(minutes=5)
            await session.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job.id)
                .values(published_at=long_ago, updated_at=long_ago, created_at=long_ago)
            )
        finished = (await wait_jobs(mesh, [job.id], limit_s=30))[job.id]
        assert finished.status == "completed"
    finally:
        await engine.dispose()
