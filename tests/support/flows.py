"""Steps of an evaluation through the services' public gRPC APIs, as one caller (a signed identity)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass

import grpc

from cveval.job.v1 import job_pb2
from cveval.result.v1 import result_pb2
from cveval.upload.v1 import upload_pb2
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_multipart, make_pdf, make_txt
from tests.support.identity import caller
from tests.support.mesh import Mesh, Metadata


@dataclass(frozen=True)
class Team:
    """One tenant and a credential of each role in it."""

    tenant: str

    def submitter(self, name: str = "alice") -> Callable[[], Metadata]:
        return lambda: caller(self.tenant, (SUBMITTER,), f"key:{name}")

    def reviewer(self) -> Callable[[], Metadata]:
        return lambda: caller(self.tenant, (REVIEWER,), "key:reviewer")

    def admin(self) -> Callable[[], Metadata]:
        return lambda: caller(self.tenant, (ADMIN,), "key:admin")


def new_team() -> Team:
    return Team(f"tenant-{uuid.uuid4().hex[:8]}")


async def upload_pair(mesh: Mesh, who: Callable[[], Metadata], marker: str) -> tuple[str, str]:
    """A CV and a project report whose texts carry `marker`; their ids."""
    form, content_type = make_multipart(
        {
            "cv": ("cv.pdf", "application/pdf", make_pdf(f"{SAMPLE_CV} {marker}")),
            "project": ("report.txt", "text/plain", make_txt(f"{SAMPLE_PROJECT_REPORT} {marker}")),
        }
    )
    body = upload_pb2.UploadFormRequest()
    body.form.content_type = content_type
    body.form.data = form
    response = await mesh.upload(who).UploadForm(body)
    return response.cv_id, response.project_id


async def evaluate(mesh: Mesh, who: Callable[[], Metadata], cv_id: str, project_id: str) -> str:
    queued = await mesh.jobs(who).Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    return queued.id


async def finished(mesh: Mesh, who: Callable[[], Metadata], job_id: str, limit_s: float = 90) -> str:
    """The job's final status, followed with WatchResult."""

    async def follow() -> str:
        updates = [u async for u in mesh.results(who).WatchResult(result_pb2.WatchResultRequest(id=job_id))]
        return updates[-1].status

    return await asyncio.wait_for(follow(), limit_s)


async def code_of(call: Awaitable[object]) -> grpc.StatusCode:
    """The status a unary call ends with (OK when it succeeds)."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def stream_code_of(call: AsyncIterable[object]) -> grpc.StatusCode:
    """The status a server-streaming call ends with."""
    try:
        async for _ in call:
            pass
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK
