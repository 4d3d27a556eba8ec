"""gRPC servicer: translates messages and delegates to GatewayService."""

from __future__ import annotations

import grpc

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_gateway.service import GatewayService


class GatewayServicer(aigateway_pb2_grpc.AiGatewayServiceServicer):
    def __init__(self, service: GatewayService) -> None:
        self.service = service

    async def Chat(  # gRPC method names are CamelCase
        self, request: aigateway_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> aigateway_pb2.ChatResponse:
        result = await self.service.chat(
            model=request.model,
            messages=[(m.role, m.content) for m in request.messages],
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            json_schema=request.json_schema,
            # proto3 cannot tell 0 from unset; 0 means "no seed".
            seed=request.seed or None,
            # The provider budget shrinks to the caller's deadline, so no work outlives the caller's interest.
            time_remaining=context.time_remaining(),
            owners=list(request.owners),
        )
        return aigateway_pb2.ChatResponse(
            content=result.content,
            model=result.model,
            provider=result.provider,
            usage=aigateway_pb2.Usage(
                prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens
            ),
            cached=result.cached,
            finish_reason=result.finish_reason,
            attempts=result.attempts,
            reasks=result.reasks,
        )

    async def Embed(
        self, request: aigateway_pb2.EmbedRequest, context: grpc.aio.ServicerContext
    ) -> aigateway_pb2.EmbedResponse:
        result = await self.service.embed(
            model=request.model,
            texts=list(request.texts),
            time_remaining=context.time_remaining(),
            owners=list(request.owners),
        )
        return aigateway_pb2.EmbedResponse(
            vectors=[aigateway_pb2.Vector(values=v) for v in result.vectors],
            model=result.model,
            provider=result.provider,
            usage=aigateway_pb2.Usage(prompt_tokens=result.prompt_tokens),
            dimensions=len(result.vectors[0]) if result.vectors else 0,
        )

    async def Forget(
        self, request: aigateway_pb2.ForgetRequest, context: grpc.aio.ServicerContext
    ) -> aigateway_pb2.ForgetResponse:
        embeddings, completions = await self.service.forget(list(request.owners))
        return aigateway_pb2.ForgetResponse(embeddings=embeddings, completions=completions)
