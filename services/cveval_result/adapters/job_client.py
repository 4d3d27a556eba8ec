"""The job service's internal GetTenantJob, for the status and submitter of jobs without a result yet."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from cveval.job.v1 import job_pb2, job_pb2_grpc
from cveval_kit import errors


@dataclass(frozen=True)
class JobState:
    status: str
    error_code: str = ""
    error_message: str = ""
    submitted_by: str = ""
    cv_id: str = ""


class JobClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 5.0) -> None:
        self.stub = job_pb2_grpc.JobServiceStub(channel)
        self.timeout_s = timeout_s

    async def state(self, tenant: str, job_id: str) -> JobState | None:
        try:
            response = await self.stub.GetTenantJob(
                job_pb2.GetTenantJobRequest(tenant=tenant, id=job_id), timeout=self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise errors.Unavailable("the job service is unavailable") from exc
        job = response.job
        return JobState(job.status, job.error.code, job.error.message, job.submitted_by, job.cv_id)
