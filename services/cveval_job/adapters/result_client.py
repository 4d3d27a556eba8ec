"""The result service, reached through its generated stub."""

from __future__ import annotations

import grpc

from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval_kit import errors


class ResultClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 10.0) -> None:
        self.stub = result_pb2_grpc.ResultServiceStub(channel)
        self.timeout_s = timeout_s

    async def store(self, job_id: str, result: result_pb2.EvaluationResult) -> bool:
        try:
            response = await self.stub.StoreResult(
                result_pb2.StoreResultRequest(job_id=job_id, result=result), timeout=self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            raise errors.Unavailable(f"the result service could not store the result: {exc.details()}") from exc
        return bool(response.created)
