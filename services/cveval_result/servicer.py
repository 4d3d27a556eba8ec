"""gRPC servicer of ResultService: translates messages and delegates to ResultApplication."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval_kit.identity import current_identity
from cveval_result.service import ResultApplication, ResultView


def _fields(view: ResultView) -> dict[str, object]:
    fields: dict[str, object] = {"id": view.id, "status": view.status}
    if view.result is not None:
        fields["result"] = view.result
    if view.status == "failed":
        fields["error"] = result_pb2.ResultError(code=view.error_code, message=view.error_message)
    return fields


class ResultServicer(result_pb2_grpc.ResultServiceServicer):
    def __init__(self, app: ResultApplication) -> None:
        self.app = app

    async def GetResult(
        self, request: result_pb2.GetResultRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.GetResultResponse:
        return result_pb2.GetResultResponse(**_fields(await self.app.view(current_identity(), request.id)))  # type: ignore[arg-type]

    async def WatchResult(
        self, request: result_pb2.WatchResultRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[result_pb2.WatchResultResponse]:
        async for view in self.app.watch(current_identity(), request.id):
            yield result_pb2.WatchResultResponse(**_fields(view))  # type: ignore[arg-type]

    async def StoreResult(
        self, request: result_pb2.StoreResultRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.StoreResultResponse:
        created = await self.app.store(
            request.job_id,
            request.result,
            tenant=request.tenant,
            submitted_by=request.submitted_by,
            cv_id=request.cv_id,
        )
        return result_pb2.StoreResultResponse(created=created)

    async def DeleteResults(
        self, request: result_pb2.DeleteResultsRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.DeleteResultsResponse:
        return result_pb2.DeleteResultsResponse(deleted=await self.app.delete(request.tenant, list(request.job_ids)))
