"""The gateway use cases: validate, pick the model and the time budget, call a provider, map its failures.

No gRPC here: the servicer translates messages, this module decides.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace

import grpc

from cveval_gateway.observability import Observation, observed
from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    Provider,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnsupported,
)
from cveval_kit import errors

ROLES = ("system", "user", "assistant")
MAX_TEXTS = 2048
MAX_TEMPERATURE = 2.0


class FailedPrecondition(errors.ServiceError):
    """The gateway cannot serve this request as configured (e.g. JSON output from the offline engine)."""

    status = grpc.StatusCode.FAILED_PRECONDITION
    code = "FAILED_PRECONDITION"


class GatewayService:
    def __init__(
        self,
        chat_provider: Provider,
        embed_provider: Provider,
        *,
        chat_model: str = "",
        embed_model: str = "",
        timeout_s: float = 60.0,
    ) -> None:
        self.chat_provider = chat_provider
        self.embed_provider = embed_provider
        self.chat_model = chat_model
        self.embed_model = embed_model
        self.timeout_s = timeout_s

    async def chat(
        self,
        *,
        model: str,
        messages: Sequence[tuple[str, str]],
        temperature: float = 0.0,
        max_tokens: int = 0,
        json_schema: str = "",
        seed: int | None = None,
        time_remaining: float | None = None,
    ) -> ChatResult:
        _check_messages(messages)
        if not math.isfinite(temperature) or not 0.0 <= temperature <= MAX_TEMPERATURE:
            raise errors.InvalidArgument(f"temperature must be between 0 and {MAX_TEMPERATURE:g}")
        if max_tokens < 0:
            raise errors.InvalidArgument("max_tokens must not be negative")
        schema = _check_schema(json_schema)
        timeout, caller_bound = self._budget(time_remaining)
        call = ChatCall(
            model=self._pick(model, self.chat_model, "chat"),
            messages=tuple((role, content) for role, content in messages),
            temperature=temperature,
            max_tokens=max_tokens,
            json_schema=schema,
            seed=seed,
            timeout=timeout,
        )
        provider = self.chat_provider
        async with observed("chat", provider.name, call.model) as obs:
            try:
                result = await provider.chat(call)
                if schema is not None:
                    result = replace(result, content=_json_document(result.content))
            except ProviderError as exc:
                raise _fail(obs, exc, caller_bound, timeout) from exc
            obs.succeeded(result.model, result.prompt_tokens, result.completion_tokens)
        return result

    async def embed(self, *, model: str, texts: Sequence[str], time_remaining: float | None = None) -> EmbedResult:
        if not texts:
            raise errors.InvalidArgument("texts must not be empty")
        if len(texts) > MAX_TEXTS:
            raise errors.InvalidArgument(f"at most {MAX_TEXTS} texts per call, got {len(texts)}")
        for index, text in enumerate(texts):
            if not text.strip():
                raise errors.InvalidArgument(f"texts[{index}] is empty")
        timeout, caller_bound = self._budget(time_remaining)
        chosen = self._pick(model, self.embed_model, "embedding")
        provider = self.embed_provider
        async with observed("embed", provider.name, chosen) as obs:
            try:
                result = await provider.embed(chosen, list(texts), timeout=timeout)
            except ProviderError as exc:
                raise _fail(obs, exc, caller_bound, timeout) from exc
            obs.succeeded(result.model, result.prompt_tokens)
        return result

    async def aclose(self) -> None:
        await self.chat_provider.aclose()
        if self.embed_provider is not self.chat_provider:
            await self.embed_provider.aclose()

    def _budget(self, time_remaining: float | None) -> tuple[float, bool]:
        """The provider's time budget, and whether the caller's deadline (not our own limit) is what bounds it."""
        if time_remaining is None or time_remaining >= self.timeout_s:
            return self.timeout_s, False
        if time_remaining <= 0:
            raise errors.DeadlineExceeded("the caller's deadline had already expired")
        return time_remaining, True

    @staticmethod
    def _pick(requested: str, default: str, kind: str) -> str:
        model = requested.strip() or default
        if not model:
            raise errors.InvalidArgument(f"no {kind} model was requested and the gateway has no default")
        return model


def _check_messages(messages: Sequence[tuple[str, str]]) -> None:
    if not messages:
        raise errors.InvalidArgument("messages must not be empty")
    for index, (role, _) in enumerate(messages):
        if role not in ROLES:
            raise errors.InvalidArgument(f"messages[{index}].role must be one of {', '.join(ROLES)}, got {role[:32]!r}")


def _check_schema(json_schema: str) -> str | None:
    if not json_schema.strip():
        return None
    try:
        parsed = json.loads(json_schema)
    except ValueError:
        raise errors.InvalidArgument("json_schema is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise errors.InvalidArgument("json_schema must be a JSON object")
    return json_schema


def _json_document(content: str) -> str:
    """The JSON the caller asked for, unwrapped from a Markdown fence some models add; never repaired or invented."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0].strip()
    try:
        json.loads(text)
    except ValueError:
        raise ProviderBadResponse("the answer is not the JSON document that was asked for") from None
    return text


def _fail(obs: Observation, exc: ProviderError, caller_bound: bool, timeout: float) -> errors.ServiceError:
    """Provider failure → the error the caller sees; messages name the problem but never carry credentials."""
    mapped: errors.ServiceError
    if isinstance(exc, ProviderTimedOut):
        if caller_bound:
            outcome = "deadline_exceeded"
            mapped = errors.DeadlineExceeded("the caller's deadline expired before the model provider answered")
        else:
            outcome = "timeout"
            mapped = errors.Unavailable(f"the model provider did not answer within {timeout:g}s")
    elif isinstance(exc, ProviderRateLimited):
        outcome = "rate_limited"
        hint = f"; retry after {exc.retry_after:g}s" if exc.retry_after is not None else ""
        mapped = errors.RateLimited(f"the model provider is rate limiting the gateway{hint}")
    elif isinstance(exc, ProviderBadResponse):
        outcome = "bad_response"
        mapped = errors.Unavailable(f"provider returned an invalid response: {exc.message}")
    elif isinstance(exc, ProviderUnsupported):
        outcome = "unsupported"
        mapped = FailedPrecondition(exc.message)
    elif isinstance(exc, ProviderRejected):
        outcome = "rejected"
        mapped = errors.InvalidArgument(exc.message)
    else:
        outcome = "unavailable"
        mapped = errors.Unavailable(exc.message)
    obs.failed(outcome, mapped.message)
    return mapped
