"""Retries with exponential backoff and jitter, honouring Retry-After and bounded by the call's time budget."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from opentelemetry import trace

from cveval_gateway.providers.base import ProviderError, ProviderRateLimited, ProviderTimedOut

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay_s: float = 0.2
    max_delay_s: float = 4.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Equal jitter: half the exponential step is fixed, half random, so replicas do not retry in lockstep."""
        step = min(self.max_delay_s, self.base_delay_s * (2**retry))
        return step / 2 + rng.uniform(0, step / 2)


class Budget:
    """The time left for one provider call, retries included."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + max(0.0, seconds)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


async def with_retries(
    attempt: Callable[[float], Awaitable[T]],
    budget: Budget,
    policy: RetryPolicy,
    rng: random.Random | None = None,
) -> T:
    """Run `attempt(timeout)` until it succeeds, fails for good, or no time is left for another try."""
    rng = rng or random.Random()
    retry = 0
    while True:
        remaining = budget.remaining()
        if remaining <= 0:
            raise ProviderTimedOut("the provider call ran out of time")
        try:
            return await attempt(remaining)
        except ProviderError as exc:
            if not exc.retryable or retry >= policy.max_retries:
                raise
            delay = policy.backoff(retry, rng)
            if isinstance(exc, ProviderRateLimited) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            # Waiting past the budget only to fail later would hide the real cause; report it now.
            if delay >= budget.remaining():
                raise
            retry += 1
            trace.get_current_span().add_event(
                "retry", {"retry": retry, "delay_s": delay, "reason": type(exc).__name__}
            )
            log.info("provider call failed (%s), retry %d in %.2fs", type(exc).__name__, retry, delay)
            await asyncio.sleep(delay)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (delta seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
