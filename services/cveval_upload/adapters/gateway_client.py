"""The ai-gateway's internal Forget, so a deleted document's cached embeddings and completions go with it."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_kit import errors


class GatewayForgetter:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 10.0) -> None:
        self.stub = aigateway_pb2_grpc.AiGatewayServiceStub(channel)
        self.timeout_s = timeout_s

    async def forget(self, owners: Sequence[str]) -> None:
        if not owners:
            return
        try:
            await self.stub.Forget(aigateway_pb2.ForgetRequest(owners=list(owners)), timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise errors.Unavailable("the ai-gateway could not forget the deleted data", code="UPSTREAM_UNAVAILABLE") \
                from exc
