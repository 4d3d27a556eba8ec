"""The evaluation pipeline through the services' gRPC APIs, with the real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from cveval.job.v1 import job_pb2, job_state_pb2
from cveval.result.v1 import result_pb2
from cveval.upload.v1 import upload_pb2
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_pdf, make_txt
from tests.support.mesh import Mesh

pytestmark = pytest.mark.integration


async def upload(
    mesh: Mesh, kind: upload_pb2.DocumentKind, filename: str, data: bytes, chunk: int = 64 * 1024
) -> upload_pb2.Document:
    async def stream():  # type: ignore[no-untyped-def]
        yield upload_pb2.UploadRequest(header=upload_pb2.UploadHeader(kind=kind, filename=filename))
        for i in range(0, len(data), chunk):
            yield upload_pb2.UploadRequest(chunk=data[i : i + chunk])

    response = await mesh.upload().Upload(stream())
    return response.document


async def uploaded_pair(mesh: Mesh, salt: str = "") -> tuple[str, str]:
    cv = await upload(mesh, upload_pb2.DOCUMENT_KIND_CV, "cv.pdf", make_pdf(SAMPLE_CV + salt))
    project = await upload(mesh, upload_pb2.DOCUMENT_KIND_PROJECT, "report.txt", make_txt(SAMPLE_PROJECT_REPORT + salt))
    return cv.id, project.id


async def wait_result(mesh: Mesh, job_id: str, limit_s: float = 60) -> list[result_pb2.WatchResultResponse]:
    async def follow() -> list[result_pb2.WatchResultResponse]:
        return [u async for u in mesh.results().WatchResult(result_pb2.WatchResultRequest(id=job_id))]

    return await asyncio.wait_for(follow(), limit_s)


async def test_upload_dedups_same_bytes(mesh: Mesh) -> None:
    data = make_pdf(SAMPLE_CV + " dedup")
    first = await upload(mesh, upload_pb2.DOCUMENT_KIND_CV, "a.pdf", data)
    second = await upload(mesh, upload_pb2.DOCUMENT_KIND_CV, "b.pdf", data, chunk=1000)
    assert first.id == second.id
    assert first.sha256 == second.sha256
    assert first.media_type == "application/pdf"


async def test_evaluation_completes_with_breakdown_and_provenance(mesh: Mesh) -> None:
    cv_id, project_id = await uploaded_pair(mesh, " pipeline")
    queued = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    assert queued.status == "queued" and queued.state == job_state_pb2.JOB_STATE_QUEUED
    updates = await wait_result(mesh, queued.id)
    final = updates[-1]
    assert final.status == "completed", final
    # Every message carrying the status string carries the same state as the enum.
    for update in updates:
        assert job_state_pb2.JobState.Name(update.state) == f"JOB_STATE_{update.status.upper()}", update
    r = final.result
    assert 0.2 <= r.cv_match_rate <= 1.0
    assert 1.0 <= r.project_score <= 5.0
    assert r.cv_feedback and r.project_feedback and r.overall_summary
    assert len(r.breakdown) == 9
    assert {b.stage for b in r.breakdown} == {"cv", "project"}
    assert all(1 <= b.score <= 5 and b.evidence for b in r.breakdown)
    p = r.provenance
    assert p.scorer == "offline"
    assert p.retrieved_chunk_ids and p.vacancy_id == "default-backend-ai-engineer"
    assert p.trace_id and len(p.trace_id) == 32
    stored = await mesh.results().GetResult(result_pb2.GetResultRequest(id=queued.id))
    assert stored.status == "completed" and stored.result == r
    assert stored.state == job_state_pb2.JOB_STATE_COMPLETED
    job = await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=queued.id))
    assert job.job.status == "completed" and job.job.attempts == 1
    assert job.job.state == job_state_pb2.JOB_STATE_COMPLETED


async def test_idempotency_key_replay_and_conflict(mesh: Mesh) -> None:
    cv_id, project_id = await uploaded_pair(mesh, " idem")
    key = f"key-{uuid.uuid4()}"
    metadata = (("idempotency-key", key),)
    first = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id), metadata=metadata)
    again = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id), metadata=metadata)
    assert again.id == first.id
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.jobs().Evaluate(
            job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, job_title="Other"), metadata=metadata
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "different request" in (err.value.details() or "")
    await wait_result(mesh, first.id)


async def test_unknown_and_wrong_kind_ids(mesh: Mesh) -> None:
    cv_id, project_id = await uploaded_pair(mesh, " kinds")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=str(uuid.uuid4()), project_id=project_id))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=project_id, project_id=cv_id))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.results().GetResult(result_pb2.GetResultRequest(id="not-a-job"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=str(uuid.uuid4())))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_jobs_keyset_pagination(mesh: Mesh) -> None:
    cv_id, project_id = await uploaded_pair(mesh, " list")
    ids = []
    for i in range(3):
        r = await mesh.jobs().Evaluate(
            job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, idempotency_key=f"list-{uuid.uuid4()}-{i}")
        )
        ids.append(r.id)
    seen: list[str] = []
    token = ""
    while True:
        page = await mesh.jobs().ListJobs(job_pb2.ListJobsRequest(page_size=2, page_token=token))
        assert len(page.jobs) <= 2
        seen.extend(j.id for j in page.jobs)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert set(ids) <= set(seen)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.jobs().ListJobs(job_pb2.ListJobsRequest(status="bogus"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    for job_id in ids:
        await wait_result(mesh, job_id)
