"""The result service, reached through its generated stub."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval_kit import errors


class ResultClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 10.0) -> None:
        self.stub = result_pb2_grpc.ResultServiceStub(channel)
        self.timeout_s = timeout_s

    async def store(
        self,
        job_id: str,
        result: result_pb2.EvaluationResult,
        *,
        tenant: str,
        submitted_by: str,
        cv_id: str,
        vacancy_id: str = "",
        batch_id: str = "",
    ) -> bool:
        request = result_pb2.StoreResultRequest(
            job_id=job_id,
            result=result,
            tenant=tenant,
            submitted_by=submitted_by,
            cv_id=cv_id,
            vacancy_id=vacancy_id,
            batch_id=batch_id,
        )
        try:
            response = await self.stub.StoreResult(request, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise errors.Unavailable(f"the result service could not store the result: {exc.details()}") from exc
        return bool(response.created)

    async def delete(self, tenant: str, job_ids: Sequence[str]) -> int:
        """Erase the results of these jobs of the tenant (internal DeleteResults); how many were stored."""
        if not job_ids:
            return 0
        try:
            response = await self.stub.DeleteResults(
                result_pb2.DeleteResultsRequest(tenant=tenant, job_ids=list(job_ids)), timeout=self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            raise errors.Unavailable("the result service could not delete results", code="UPSTREAM_UNAVAILABLE") \
                from exc
        return int(response.deleted)
