"""gRPC servicer of ResultService: translates messages and delegates to ResultApplication."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from cveval.result.v1 import result_pb2, result_pb2_grpc
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
        return result_pb2.GetResultResponse(**_fields(await self.app.view(request.id)))  # type: ignore[arg-type]

    async def WatchResult(
        self, request: result_pb2.WatchResultRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[result_pb2.WatchResultResponse]:
        async for view in self.app.watch(request.id):
            yield result_pb2.WatchResultResponse(**_fields(view))  # type: ignore[arg-type]

    async def StoreResult(
        self, request: result_pb2.StoreResultRequest, context: grpc.aio.ServicerContext
    ) -> result_pb2.StoreResultResponse:
        return result_pb2.StoreResultResponse(created=await self.app.store(request.job_id, request.result))
