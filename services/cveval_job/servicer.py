"""gRPC servicer of JobService: translates messages and delegates to JobApplication."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.job.v1 import job_pb2, job_pb2_grpc, job_state_pb2
from cveval_job.batches.domain import Batch, CandidateRef
from cveval_job.batches.service import BatchApplication
from cveval_job.domain.jobs import Job
from cveval_job.protection.service import DataProtection
from cveval_job.protection.servicer import erasure_counts
from cveval_job.service import EvaluateCommand, JobApplication
from cveval_kit import errors
from cveval_kit.identity import current_identity

IDEMPOTENCY_METADATA_KEY = "idempotency-key"


def job_state(status: str) -> str:
    """The JobState beside the `status` string (`queued` → JOB_STATE_QUEUED): REST reads the string, typed gRPC
    clients the enum; protobuf sets an enum field from its value's name."""
    name = f"JOB_STATE_{status.upper()}"
    return name if name in job_state_pb2.JobState.DESCRIPTOR.values_by_name else "JOB_STATE_UNSPECIFIED"


def job_to_proto(job: Job) -> job_pb2.Job:
    created, updated = Timestamp(), Timestamp()
    created.FromDatetime(job.created_at)
    updated.FromDatetime(job.updated_at)
    error = None
    if job.error_code:
        error = job_pb2.JobError(code=job.error_code, message=job.error_message or "")
    return job_pb2.Job(
        id=job.id,
        status=job.status,
        state=job_state(job.status),
        cv_id=job.cv_id,
        project_id=job.project_id,
        vacancy_id=job.vacancy_id,
        error=error,
        attempts=job.attempts,
        created_at=created,
        updated_at=updated,
        submitted_by=job.submitted_by,
        batch_id=job.batch_id or "",
    )


def batch_to_proto(batch: Batch) -> job_pb2.Batch:
    created = Timestamp()
    created.FromDatetime(batch.created_at)
    p = batch.progress
    return job_pb2.Batch(
        id=batch.id,
        vacancy_id=batch.vacancy_id,
        progress=job_pb2.BatchProgress(
            total=p.total, queued=p.queued, processing=p.processing, completed=p.completed, failed=p.failed
        ),
        done=p.done,
        created_at=created,
        submitted_by=batch.submitted_by,
    )


def _metadata_value(context: grpc.aio.ServicerContext, key: str) -> str:
    for item in context.invocation_metadata() or ():
        if item.key.lower() == key:
            value = item.value
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


class JobServicer(job_pb2_grpc.JobServiceServicer):
    def __init__(self, app: JobApplication, protection: DataProtection, batches: BatchApplication) -> None:
        self.app = app
        self.protection = protection
        self.batches = batches

    async def Evaluate(
        self, request: job_pb2.EvaluateRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.EvaluateResponse:
        key = _metadata_value(context, IDEMPOTENCY_METADATA_KEY) or request.idempotency_key
        command = EvaluateCommand(
            cv_id=request.cv_id,
            project_id=request.project_id,
            job_title=request.job_title,
            vacancy_id=request.vacancy_id,
            job_description=request.job_description,
            study_case_brief=request.study_case_brief,
            scoring_rubric=request.scoring_rubric,
        )
        job = await self.app.evaluate(current_identity(), command, key)
        return job_pb2.EvaluateResponse(id=job.id, status=job.status, state=job_state(job.status))

    async def GetJob(self, request: job_pb2.GetJobRequest, context: grpc.aio.ServicerContext) -> job_pb2.GetJobResponse:
        return job_pb2.GetJobResponse(job=job_to_proto(await self.app.get(current_identity(), request.id)))

    async def ListJobs(
        self, request: job_pb2.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.ListJobsResponse:
        jobs, token = await self.app.list(
            current_identity(),
            request.status,
            request.page_size,
            request.page_token,
            vacancy_id=request.vacancy_id,
            batch_id=request.batch_id,
        )
        return job_pb2.ListJobsResponse(jobs=[job_to_proto(j) for j in jobs], next_page_token=token)

    async def DeleteCandidate(
        self, request: job_pb2.DeleteCandidateRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.DeleteCandidateResponse:
        erasure = await self.protection.delete_candidate(current_identity(), request.cv_id)
        return job_pb2.DeleteCandidateResponse(**erasure_counts(erasure))

    async def GetTenantJob(
        self, request: job_pb2.GetTenantJobRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.GetTenantJobResponse:
        if not request.tenant.strip():
            raise errors.InvalidArgument("tenant is required")
        return job_pb2.GetTenantJobResponse(job=job_to_proto(await self.app.get_in_tenant(request.tenant, request.id)))

    async def ReplayJob(
        self, request: job_pb2.ReplayJobRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.ReplayJobResponse:
        return job_pb2.ReplayJobResponse(job=job_to_proto(await self.app.replay(current_identity(), request.id)))

    async def CreateBatch(
        self, request: job_pb2.CreateBatchRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.CreateBatchResponse:
        key = _metadata_value(context, IDEMPOTENCY_METADATA_KEY) or request.idempotency_key
        candidates = [CandidateRef(c.cv_id, c.project_id, c.idempotency_key) for c in request.candidates]
        batch, jobs = await self.batches.create(current_identity(), request.vacancy_id, candidates, key)
        return job_pb2.CreateBatchResponse(batch=batch_to_proto(batch), jobs=[job_to_proto(j) for j in jobs])

    async def GetBatch(
        self, request: job_pb2.GetBatchRequest, context: grpc.aio.ServicerContext
    ) -> job_pb2.GetBatchResponse:
        return job_pb2.GetBatchResponse(batch=batch_to_proto(await self.batches.get(current_identity(), request.id)))

    async def WatchBatch(
        self, request: job_pb2.WatchBatchRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[job_pb2.WatchBatchResponse]:
        async for batch in self.batches.watch(current_identity(), request.id):
            yield job_pb2.WatchBatchResponse(batch=batch_to_proto(batch))
