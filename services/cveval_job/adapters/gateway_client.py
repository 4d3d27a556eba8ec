"""The ai-gateway, reached through its generated stub; also the scorers' ChatPort."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import grpc

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_job.adapters.job_scope import current_scope
from cveval_job.scoring.errors import ModelOutputInvalid, ModelOutputTruncated
from cveval_job.scoring.ports import ChatReply
from cveval_kit import errors

_RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
# Set by the ai-gateway (cveval_gateway.service.MODEL_OUTPUT_INVALID) when the model's answers never matched the
# JSON schema after its re-asks; the gRPC status alone (UNAVAILABLE) would make that look like an outage.
_MODEL_OUTPUT_INVALID = "MODEL_OUTPUT_INVALID"
_MODEL_OUTPUT_TRUNCATED = "MODEL_OUTPUT_TRUNCATED"  # cut off at max_tokens twice (cveval_gateway.structured)
# The gateway's failure messages say how many model calls were made ("after 3 attempts", "(2 attempts)"); the
# status carries no other place for it, and provenance counts those calls.
# A step's deadline at the gateway is its budget plus this, so the gateway's own "no answer within the budget"
# (which names the provider) arrives before the worker's deadline cuts the call.
DEADLINE_GRACE_S = 5.0
_ATTEMPTS = re.compile(r"(\d+) attempts?\b")


@dataclass(frozen=True)
class Embeddings:
    vectors: list[tuple[float, ...]]
    model: str
    prompt_tokens: int


class GatewayClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 60.0) -> None:
        self.stub = aigateway_pb2_grpc.AiGatewayServiceStub(channel)
        self.timeout_s = timeout_s

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        try:
            response = await self.stub.Embed(
                aigateway_pb2.EmbedRequest(texts=list(texts), owners=_owners()), timeout=self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, "embedding") from exc
        vectors = [tuple(v.values) for v in response.vectors]
        if len(vectors) != len(texts):
            raise errors.Unavailable("the ai-gateway returned the wrong number of vectors", code="BAD_GATEWAY_RESPONSE")
        return Embeddings(vectors, response.model, int(response.usage.prompt_tokens))

    async def chat(
        self,
        messages: Sequence[tuple[str, str]],
        *,
        json_schema: str | None,
        temperature: float,
        seed: int | None,
        max_tokens: int = 0,
        timeout_s: float | None = None,
    ) -> ChatReply:
        request = aigateway_pb2.ChatRequest(
            messages=[aigateway_pb2.ChatMessage(role=r, content=c) for r, c in messages],
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=json_schema or "",
            seed=seed or 0,
            owners=_owners(),
        )
        deadline_s = self.timeout_s if timeout_s is None else timeout_s + DEADLINE_GRACE_S
        try:
            response = await self.stub.Chat(request, timeout=deadline_s)
        except grpc.aio.AioRpcError as exc:
            code, details = _error_code(exc), exc.details() or ""
            found = _ATTEMPTS.search(details)
            attempts = int(found.group(1)) if found else 1
            if code == _MODEL_OUTPUT_TRUNCATED:
                raise ModelOutputTruncated(details or "the model's answer was cut off", attempts=attempts) from exc
            if code == _MODEL_OUTPUT_INVALID:
                raise ModelOutputInvalid(
                    details or "the model's answer did not match the JSON schema", attempts=attempts
                ) from exc
            raise _translate(exc, "chat") from exc
        return ChatReply(
            content=response.content,
            model=response.model,
            prompt_tokens=int(response.usage.prompt_tokens),
            completion_tokens=int(response.usage.completion_tokens),
            cached=response.cached,
            attempts=response.attempts or 1,
            reasks=response.reasks,
            finish_reason=response.finish_reason,
        )


    async def forget(self, owners: Sequence[str]) -> None:
        """Drop the gateway's cached entries derived from these owners' texts (internal Forget)."""
        if not owners:
            return
        try:
            await self.stub.Forget(aigateway_pb2.ForgetRequest(owners=list(owners)), timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc, "forget") from exc


def _owners() -> list[str]:
    """The documents whose text a request carries, when it is made for a job (adapters/job_scope.py)."""
    scope = current_scope()
    return [] if scope is None else scope.cache_owners


def _error_code(exc: grpc.aio.AioRpcError) -> str:
    for key, value in exc.trailing_metadata() or ():
        if key == errors.ERROR_CODE_METADATA_KEY:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


def _translate(exc: grpc.aio.AioRpcError, what: str) -> errors.ServiceError:
    if exc.code() in _RETRYABLE:
        return errors.Unavailable(f"ai-gateway {what} unavailable: {exc.details()}", code="AI_UNAVAILABLE")
    return errors.InvalidArgument(f"ai-gateway rejected the {what} request: {exc.details()}", code="AI_REJECTED")
