"""gRPC servicer of ResultService: translates messages and delegates to ResultApplication."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.api import httpbody_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.job.v1 import job_state_pb2
from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval_kit.identity import current_identity
from cveval_result.ranking import RankedRow
from cveval_result.ranking_service import RankingApplication
from cveval_result.service import ResultApplication, ResultView

# A completed result never changes; `private`: it is one caller's data, never for a shared cache. The short max-age
# bounds how long a client keeps showing a result erased meanwhile; after it, If-None-Match gets a 304 (no body).
COMPLETED_CACHE_CONTROL = "private, max-age=60"
IN_FLIGHT_CACHE_CONTROL = "no-store"
# The edge's response filter turns this hint into the HTTP status (deploy/envoy/envoy.yaml, the Lua filter).
HTTP_STATUS_HINT = "x-cveval-http-status"
def job_state(status: str) -> str:
    """The JobState beside the `status` string (`queued` → JOB_STATE_QUEUED): REST reads the string, typed gRPC
    clients the enum; protobuf sets an enum field from its value's name."""
    name = f"JOB_STATE_{status.upper()}"
    return name if name in job_state_pb2.JobState.DESCRIPTOR.values_by_name else "JOB_STATE_UNSPECIFIED"


def _fields(view: ResultView) -> dict[str, object]:
    fields: dict[str, object] = {"id": view.id, "status": view.status, "state": job_state(view.status)}
    if view.result is not None:
        fields["result"] = view.result
    if view.status == "failed":
        fields["error"] = result_pb2.ResultError(code=view.error_code, message=view.error_message)
    return fields


def watch_message(view: ResultView) -> result_pb2.WatchResultResponse:
    return result_pb2.WatchResultResponse(**_fields(view))  # type: ignore[arg-type]


def _matches(context: grpc.aio.ServicerContext, etag: str) -> bool:
    """If-None-Match (forwarded by the edge as metadata) names this version: a list, or `*`."""
    for key, value in context.invocation_metadata() or ():
        if key == "if-none-match":
            wanted = str(value)
            return wanted.strip() == "*" or etag in (v.strip().removeprefix("W/") for v in wanted.split(","))
    return False


class ResultServicer(result_pb2_grpc.ResultServiceServicer):
    def __init__(self, app: ResultApplication, ranking: RankingApplication) -> None:
        self.app = app
        self.ranking = ranking

    async def GetResult(
        self, request: result_pb2.GetResultRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.GetResultResponse:
        view = await self.app.view(current_identity(), request.id)
        if not view.etag:
            await context.send_initial_metadata((("cache-control", IN_FLIGHT_CACHE_CONTROL),))
            return result_pb2.GetResultResponse(**_fields(view))  # type: ignore[arg-type]
        headers = [("etag", view.etag), ("cache-control", COMPLETED_CACHE_CONTROL)]
        if _matches(context, view.etag):
            # Access was checked and the read audited like any other; only the body is left out.
            await context.send_initial_metadata((*headers, (HTTP_STATUS_HINT, "304")))
            return result_pb2.GetResultResponse(id=view.id, status=view.status, state=job_state(view.status))
        await context.send_initial_metadata(tuple(headers))
        return result_pb2.GetResultResponse(**_fields(view))  # type: ignore[arg-type]

    async def WatchResult(
        self, request: result_pb2.WatchResultRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[result_pb2.WatchResultResponse]:
        # One message per change, shared by the job's watchers: each stream only serialises it.
        async for message in self.app.watch(current_identity(), request.id, watch_message):
            yield message

    async def StoreResult(
        self, request: result_pb2.StoreResultRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.StoreResultResponse:
        created = await self.app.store(
            request.job_id,
            request.result,
            tenant=request.tenant,
            submitted_by=request.submitted_by,
            cv_id=request.cv_id,
            vacancy_id=request.vacancy_id,
            batch_id=request.batch_id,
        )
        return result_pb2.StoreResultResponse(created=created)

    async def DeleteResults(
        self, request: result_pb2.DeleteResultsRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.DeleteResultsResponse:
        return result_pb2.DeleteResultsResponse(deleted=await self.app.delete(request.tenant, list(request.job_ids)))

    async def ListRanking(
        self, request: result_pb2.ListRankingRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.ListRankingResponse:
        rows, token = await self.ranking.page(
            current_identity(),
            request.vacancy_id,
            order_by=request.order_by,
            status=request.status,
            batch_id=request.batch_id,
            size=request.page_size,
            token=request.page_token,
        )
        return result_pb2.ListRankingResponse(candidates=[_ranked(r) for r in rows], next_page_token=token)

    async def ExportRanking(
        self, request: result_pb2.ExportRankingRequest, context: grpc.aio.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        body, media_type = await self.ranking.export(
            current_identity(), request.vacancy_id, request.format, order_by=request.order_by,
            batch_id=request.batch_id,
        )
        return httpbody_pb2.HttpBody(content_type=media_type, data=body)


def _ranked(row: RankedRow) -> result_pb2.RankedCandidate:
    completed = Timestamp()
    completed.FromDatetime(row.completed_at)
    return result_pb2.RankedCandidate(
        rank=row.rank,
        job_id=row.job_id,
        cv_id=row.cv_id,
        batch_id=row.batch_id,
        candidate=result_pb2.Candidate(
            display_name=row.display_name, cv_filename=row.cv_filename, project_filename=row.project_filename
        ),
        cv_match_rate=row.cv_match_rate,
        project_score=row.project_score,
        overall_score=row.overall_score,
        status="completed",
        state=job_state("completed"),
        completed_at=completed,
        cv_only=row.cv_only,
    )
