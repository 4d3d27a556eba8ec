"""The Router: a Provider that sends each call through retries, breakers, rate limits and fallback chains.

Per call, in order of the targets the Catalog picks:
  1. breaker: an open target (or a half-open one whose single probe is out) is skipped at once;
  2. rate limits: the caller queues for its share up to its deadline, else the target is skipped;
  3. the attempt, bounded by the target's timeout and the caller's deadline;
  4. on 429/5xx/timeouts, retry the same target with full-jitter backoff (Retry-After as a floor) while the
     retry budget, the breaker and the deadline allow; then move on to the next target.
A 4xx rejection is the request's fault: it is raised at once, with no retry and no fallback.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from cveval_gateway import accounting
from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnavailable,
    ProviderUnsupported,
)
from cveval_gateway.providers.config import Kind
from cveval_gateway.resilience.breaker import BreakerState, Permit
from cveval_gateway.resilience.clock import Clock, SystemClock
from cveval_gateway.resilience.ratelimit import estimate_tokens
from cveval_gateway.resilience.retry import RetryPolicy
from cveval_gateway.resilience.targets import Catalog, Target

log = logging.getLogger(__name__)

R = TypeVar("R", ChatResult, EmbedResult)


class _MoveOn(Exception):
    """This target cannot serve the call now; try the next one. `skipped`: no upstream request was made."""

    def __init__(self, error: ProviderError, *, skipped: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.skipped = skipped


class Router:
    def __init__(
        self,
        catalog: Catalog,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        name: str = "router",
    ) -> None:
        self.name = name
        self.catalog = catalog
        self._policy = policy or RetryPolicy()
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._closed = False

    async def chat(self, req: ChatCall) -> ChatResult:
        tokens = estimate_tokens([content for _, content in req.messages], req.max_tokens)

        async def call(target: Target, budget_s: float) -> ChatResult:
            return await target.provider.chat(replace(req, model=target.request_model, timeout=budget_s))

        return await self._run(
            "chat", "chat", req.model, req.timeout, call,
            tokens=tokens, requests=lambda _: 1, structured=req.json_schema is not None,
            usage=lambda r: (r.prompt_tokens, r.completion_tokens),
        )

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        items = list(texts)

        def batches(target: Target) -> int:
            return math.ceil(len(items) / target.max_batch) if target.max_batch else 1

        async def call(target: Target, attempt_timeout: float) -> EmbedResult:
            return await _embed_in_batches(target, items, attempt_timeout)

        return await self._run(
            "embed", "embed", model, timeout, call,
            tokens=estimate_tokens(items), requests=batches, structured=False, usage=lambda r: (r.prompt_tokens, 0),
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for provider in self.catalog.providers():
            await provider.aclose()

    def states(self) -> dict[str, BreakerState]:
        return self.catalog.states()

    async def _run(
        self,
        op: str,
        kind: Kind,
        model: str,
        timeout: float,  # noqa: ASYNC109 - a budget spread over attempts and targets
        call: Callable[[Target, float], Awaitable[R]],
        *,
        tokens: int,
        requests: Callable[[Target], int],
        structured: bool,
        usage: Callable[[R], tuple[int, int]],
    ) -> R:
        deadline = self._clock.now() + max(0.0, timeout)
        candidates = self.catalog.candidates(kind, model, structured=structured)
        if not candidates:
            raise ProviderUnavailable(f"no {kind} model is configured")
        tried: list[tuple[Target, _MoveOn]] = []
        for target in candidates:
            if tried:
                previous, moved = tried[-1]
                reason = _reason(moved)
                accounting.fell_back(op, previous.provider_name, previous.model, reason)
                # Skipping an open breaker happens on every call while it is open: not worth a line each time.
                level = logging.DEBUG if reason == "circuit_open" else logging.INFO
                log.log(level, "%s: moving on from %s to %s (%s)", op, previous.label, target.label, reason)
            try:
                return await self._on_target(op, target, call, deadline, tokens, requests(target), usage)
            except _MoveOn as moved:
                tried.append((target, moved))
        raise _final_error(tried)

    async def _on_target(
        self,
        op: str,
        target: Target,
        call: Callable[[Target, float], Awaitable[R]],
        deadline: float,
        tokens: int,
        requests: int,
        usage: Callable[[R], tuple[int, int]],
    ) -> R:
        retry = 0
        while True:
            if self._clock.now() >= deadline:
                raise ProviderTimedOut(f"{target.label}: the call ran out of time")
            permit = target.breaker.try_acquire()
            if permit is None:
                wait = target.breaker.retry_in()
                when = f"; next probe in {wait:.1f}s" if wait > 0 else "; a probe is in flight"
                error = ProviderUnavailable(f"{target.label}: circuit open after repeated failures{when}")
                raise _MoveOn(error, skipped=True)
            state = BreakerState.HALF_OPEN if permit.probe else BreakerState.CLOSED
            try:
                reservation = await target.limiter.acquire(requests, tokens, deadline)
            except ProviderRateLimited as exc:
                permit.release()
                raise _MoveOn(exc, skipped=True) from None
            except BaseException:
                permit.release()
                raise
            if target.limiter.limited:
                accounting.waited(target.provider_name, target.model, reservation.waited_s)
            remaining = deadline - self._clock.now()
            attempt_timeout = min(remaining, target.timeout_s)
            if retry == 0:
                target.budget.record_request()
            try:
                with accounting.upstream_call(
                    op, target.provider_name, target.model,
                    attempt=retry + 1, breaker=state, waited_s=reservation.waited_s, price=target.price,
                ) as observed:
                    result = await call(target, attempt_timeout)
                    used_in, used_out = usage(result)
                    observed.succeeded(result.model, used_in, used_out)
            except ProviderError as exc:
                _judge(permit, exc, full_timeout=attempt_timeout >= target.timeout_s)
                if isinstance(exc, ProviderRejected) and not isinstance(exc, ProviderUnsupported):
                    raise
                delay = self._retry_delay(target, exc, retry, deadline)
                if delay is None:
                    raise _MoveOn(exc) from None
                retry += 1
                accounting.retried(target.provider_name, target.model, accounting.outcome_of(exc), delay)
                await self._clock.sleep(delay)
                continue
            except BaseException:
                permit.release()
                raise
            permit.success()
            target.limiter.settle(tokens, used_in + used_out)
            return result

    def _retry_delay(self, target: Target, error: ProviderError, retry: int, deadline: float) -> float | None:
        """The wait before retrying this target, or None when the call should move on instead."""
        if not error.retryable or retry >= self._policy.max_retries:
            return None
        if target.breaker.state is not BreakerState.CLOSED:
            return None  # the breaker has just opened: stop sending this target traffic
        delay = self._policy.delay(retry, self._rng, error)
        if self._clock.now() + delay >= deadline:
            return None  # waiting out a Retry-After past the deadline only to fail later helps nobody
        if not target.budget.try_spend():
            accounting.retry_denied(target.provider_name, target.model)
            return None
        return delay


def _judge(permit: Permit, error: ProviderError, *, full_timeout: bool) -> None:
    """What a failed attempt says about the upstream's health, for its breaker."""
    if isinstance(error, ProviderUnsupported | ProviderRateLimited):
        permit.release()  # no verdict: a capability gap, or a healthy provider that is busy
    elif isinstance(error, ProviderRejected):
        permit.success()  # it answered, sanely, that the request was wrong
    elif isinstance(error, ProviderTimedOut) and not full_timeout:
        permit.release()  # cut short by the caller's deadline, not slow by the provider's own limit
    else:
        permit.failure()


def _reason(moved: _MoveOn) -> str:
    if moved.skipped and isinstance(moved.error, ProviderRateLimited):
        return "rate_limited_client"
    if moved.skipped:
        return "circuit_open"
    return accounting.outcome_of(moved.error)


def _final_error(tried: list[tuple[Target, _MoveOn]]) -> ProviderError:
    """The most telling failure (from a real attempt when there was one), naming every target tried."""
    real = [moved for _, moved in tried if not moved.skipped]
    chosen = (real or [moved for _, moved in tried])[-1].error
    if len(tried) == 1:
        return chosen
    labels = ", ".join(f"{target.label} ({_reason(moved)})" for target, moved in tried)
    error = copy.copy(chosen)
    error.message = f"{chosen.message} [tried {labels}]"
    error.args = (error.message,)
    return error


async def _embed_in_batches(target: Target, texts: list[str], timeout: float) -> EmbedResult:  # noqa: ASYNC109
    size = target.max_batch or len(texts)
    if len(texts) <= size:
        return await target.provider.embed(target.request_model, texts, timeout=timeout)
    tasks = [
        asyncio.ensure_future(target.provider.embed(target.request_model, texts[i : i + size], timeout=timeout))
        for i in range(0, len(texts), size)
    ]
    try:
        parts = await asyncio.gather(*tasks)
    except BaseException:
        # gather leaves the other batches running on failure; they would only waste the provider's capacity.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return EmbedResult(
        vectors=[vector for part in parts for vector in part.vectors],
        model=parts[0].model,
        provider=parts[0].provider,
        prompt_tokens=sum(part.prompt_tokens for part in parts),
    )
