"""The gateway use cases: validate, pick the model and the time budget, call a provider, map its failures.

No gRPC here: the servicer translates messages, this module decides.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields, replace

import grpc

from cveval_gateway.cache.completions import CompletionCache, completion_key, is_deterministic
from cveval_gateway.cache.embedder import CachedEmbedder
from cveval_gateway.cache.embeddings import EmbeddingCache, text_key
from cveval_gateway.coalesce import SingleFlight
from cveval_gateway.observability import (
    CACHE_HITS_ATTR,
    CACHE_MISSES_ATTR,
    CACHE_OUTCOME_ATTR,
    COALESCED_ATTR,
    annotate,
    observed,
    provider_outcome,
)
from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    Provider,
    ProviderBadResponse,
    ProviderError,
    ProviderInvalidOutput,
    ProviderOutputTruncated,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnsupported,
)
from cveval_kit import errors

ROLES = ("system", "user", "assistant")
# The error code (trailing metadata) of a model answer that never matched the requested JSON schema. The status
# stays UNAVAILABLE as for any bad provider answer; the code lets a caller tell "answered unusably" from "down".
MODEL_OUTPUT_INVALID = "MODEL_OUTPUT_INVALID"
# The answer was cut off at max_tokens twice (a looping model, or a budget too small for the schema).
MODEL_OUTPUT_TRUNCATED = "MODEL_OUTPUT_TRUNCATED"
MAX_TEXTS = 2048
MAX_TEMPERATURE = 2.0


class FailedPrecondition(errors.ServiceError):
    """The gateway cannot serve this request as configured (e.g. JSON output from the offline engine)."""

    status = grpc.StatusCode.FAILED_PRECONDITION
    code = "FAILED_PRECONDITION"


@dataclass(frozen=True)
class ServedChat(ChatResult):
    cached: bool = False  # served from the completion cache, not computed for this request


class GatewayService:
    """Chat and embeddings behind caches, single-flight and micro-batching.

    Without `embed_cache` / `completions` nothing is cached (the composition root decides); single-flight and
    batching are always on, since they never change an answer.
    """

    def __init__(
        self,
        chat_provider: Provider,
        embed_provider: Provider,
        *,
        chat_model: str = "",
        embed_model: str = "",
        timeout_s: float = 60.0,
        embed_cache: EmbeddingCache | None = None,
        completions: CompletionCache | None = None,
        batch_window_s: float = 0.002,
        batch_max: int = 256,
        close_providers: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.chat_provider = chat_provider
        self.embed_provider = embed_provider
        self.chat_model = chat_model
        self.embed_model = embed_model
        self.timeout_s = timeout_s
        self.completions = completions
        self.embedder = CachedEmbedder(
            embed_provider,
            embed_cache or EmbeddingCache(0),
            window_s=batch_window_s,
            max_batch=batch_max,
            max_timeout_s=timeout_s,
        )
        self._chat_flights: SingleFlight[bytes, ChatResult] = SingleFlight("chat")
        self._close_providers = close_providers

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
        owners: Sequence[str] = (),
    ) -> ServedChat:
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
        if not is_deterministic(temperature, seed):
            # A sampled answer is meant to differ from the last one: neither cached nor shared. It runs in the
            # caller's task, so a caller that gives up stops the upstream call too.
            if self.completions is not None:
                self.completions.bypassed()
            annotate({CACHE_OUTCOME_ATTR: "bypass"})
            try:
                return _served(await self._upstream_chat(call, caller_bound), cached=False)
            except ProviderError as exc:
                raise _mapped(exc, caller_bound, timeout) from exc
        key = completion_key(call)
        if self.completions is not None:
            self.completions.tag(key, owners)
        failed = self.completions.failure(key) if self.completions is not None else None
        if failed is not None:
            annotate({CACHE_OUTCOME_ATTR: "failure_hit"})
            raise _mapped(failed, caller_bound, timeout)
        hit = self.completions.get(key) if self.completions is not None else None
        if hit is not None:
            annotate({CACHE_OUTCOME_ATTR: "hit"})
            return _served(hit, cached=True)
        result, joined = await self._coalesced_chat(key, call, caller_bound)
        annotate({CACHE_OUTCOME_ATTR: "miss", COALESCED_ATTR: int(joined)})
        return _served(result, cached=False)

    async def embed(
        self, *, model: str, texts: Sequence[str], time_remaining: float | None = None, owners: Sequence[str] = ()
    ) -> EmbedResult:
        if not texts:
            raise errors.InvalidArgument("texts must not be empty")
        if len(texts) > MAX_TEXTS:
            raise errors.InvalidArgument(f"at most {MAX_TEXTS} texts per call, got {len(texts)}")
        for index, text in enumerate(texts):
            if not text.strip():
                raise errors.InvalidArgument(f"texts[{index}] is empty")
        timeout, caller_bound = self._budget(time_remaining)
        chosen = self._pick(model, self.embed_model, "embedding")
        try:
            served = await self.embedder.embed(chosen, texts, timeout)
        except ProviderError as exc:
            raise _mapped(exc, caller_bound, timeout) from exc
        if owners:
            await self.embedder.cache.tag(chosen, sorted({text_key(t) for t in texts}), owners)
        outcome = "hit" if not served.misses else "miss" if not served.hits else "partial"
        annotate({
            CACHE_OUTCOME_ATTR: outcome,
            CACHE_HITS_ATTR: served.hits,
            CACHE_MISSES_ATTR: served.misses,
            COALESCED_ATTR: served.coalesced,
        })
        return served.result

    async def forget(self, owners: Sequence[str]) -> tuple[int, int]:
        """Drop every cached embedding and completion derived from these owners' texts: (embeddings, completions)."""
        owners = [o for o in owners if o.strip()]
        if not owners:
            raise errors.InvalidArgument("owners must not be empty")
        completions = self.completions.forget(owners) if self.completions is not None else 0
        return await self.embedder.cache.forget(owners), completions

    def drop_from_memory(self, digests: Sequence[str]) -> int:
        """Drop this replica's memory copies of what another replica forgot (owners by digest; the stored rows are
        gone already)."""
        completions = self.completions.forget_digests(digests) if self.completions is not None else 0
        return completions + self.embedder.cache.drop_from_memory(digests)

    def clear_memory(self) -> None:
        """Drop every memory copy of both caches (this replica could not follow the forgotten-owners log)."""
        if self.completions is not None:
            self.completions.clear()
        self.embedder.cache.clear_memory()

    async def aclose(self) -> None:
        await self._chat_flights.aclose()
        await self.embedder.aclose()
        if self._close_providers is not None:
            await self._close_providers()
            return
        await self.chat_provider.aclose()
        if self.embed_provider is not self.chat_provider:
            await self.embed_provider.aclose()

    async def _coalesced_chat(self, key: bytes, call: ChatCall, caller_bound: bool) -> tuple[ChatResult, bool]:
        """The answer of the flight for `key` (led or joined), waited for no longer than this caller's budget."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + call.timeout
        retried, budget = False, call
        while True:
            lead = functools.partial(self._lead_chat, key, budget, caller_bound)
            flight, joined = self._chat_flights.flight(key, lead)
            wait = asyncio.timeout(budget.timeout)
            try:
                async with wait:
                    # shield: this caller's deadline or cancellation ends its wait, never the shared call.
                    return await asyncio.shield(flight), joined
            except TimeoutError:
                if not wait.expired():
                    raise
                expired = ProviderTimedOut("no answer within the caller's budget")
                raise _mapped(expired, caller_bound, call.timeout) from None
            except ProviderTimedOut as exc:
                # The flight we joined had a shorter budget than ours; with time left, lead one of our own.
                if joined and not retried and loop.time() < deadline:
                    retried, budget = True, replace(call, timeout=deadline - loop.time())
                    continue
                raise _mapped(exc, caller_bound, call.timeout) from exc
            except ProviderError as exc:
                raise _mapped(exc, caller_bound, call.timeout) from exc

    async def _lead_chat(self, key: bytes, call: ChatCall, caller_bound: bool) -> ChatResult:
        try:
            result = await self._upstream_chat(call, caller_bound)
        except ProviderInvalidOutput as exc:
            if self.completions is not None:
                self.completions.put_failure(key, exc)
            raise
        if self.completions is not None:
            self.completions.put(key, result)
        return result

    async def _upstream_chat(self, call: ChatCall, caller_bound: bool) -> ChatResult:
        provider = self.chat_provider
        async with observed("chat", provider.name, call.model) as obs:
            obs.requested(call.temperature, call.max_tokens, call.seed)
            try:
                result = await provider.chat(call)
                if call.json_schema is not None:
                    result = replace(result, content=_json_document(result.content))
            except ProviderError as exc:
                obs.failed(provider_outcome(exc, caller_bound), exc.message)
                raise
            obs.succeeded(result.model, result.prompt_tokens, result.completion_tokens)
        return result

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


def _served(result: ChatResult, *, cached: bool) -> ServedChat:
    return ServedChat(**{f.name: getattr(result, f.name) for f in fields(ChatResult)}, cached=cached)


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


def _mapped(exc: ProviderError, caller_bound: bool, timeout: float) -> errors.ServiceError:
    """Provider failure -> the error the caller sees; messages name the problem but never carry credentials."""
    if isinstance(exc, ProviderTimedOut):
        if caller_bound:
            return errors.DeadlineExceeded("the caller's deadline expired before the model provider answered")
        return errors.Unavailable(f"the model provider did not answer within {timeout:g}s")
    if isinstance(exc, ProviderRateLimited):
        hint = f"; retry after {exc.retry_after:g}s" if exc.retry_after is not None else ""
        return errors.RateLimited(f"the model provider is rate limiting the gateway{hint}")
    if isinstance(exc, ProviderOutputTruncated):
        return errors.Unavailable(f"provider returned a cut-off response: {exc.message}", code=MODEL_OUTPUT_TRUNCATED)
    if isinstance(exc, ProviderInvalidOutput):
        return errors.Unavailable(f"provider returned an invalid response: {exc.message}", code=MODEL_OUTPUT_INVALID)
    if isinstance(exc, ProviderBadResponse):
        return errors.Unavailable(f"provider returned an invalid response: {exc.message}")
    if isinstance(exc, ProviderUnsupported):
        return FailedPrecondition(exc.message)
    if isinstance(exc, ProviderRejected):
        return errors.InvalidArgument(exc.message)
    return errors.Unavailable(exc.message)
