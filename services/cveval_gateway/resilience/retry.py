"""Retry timing and the retry budget.

Backoff is exponential with full jitter (a uniform draw between 0 and the exponential step), so replicas that
failed together do not retry together; a Retry-After from the provider is a floor under it. The retry budget caps
retries at a share of recent requests plus a small floor: per-call retry limits alone let a degraded provider
receive (1 + max_retries) times its normal load exactly when it can least take it.

Hand-written rather than tenacity/backoff: whether to retry depends on state shared across calls (budget,
breaker, caller deadline) that those decorators do not model; what remains is a few lines of arithmetic.
"""

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
from cveval_gateway.resilience.window import RollingCounter

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay_s: float = 0.2
    max_delay_s: float = 4.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^retry)]."""
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * (2**retry)))

    def delay(self, retry: int, rng: random.Random, error: ProviderError) -> float:
        """The wait before retry number `retry` (0-based): the jittered backoff, never shorter than Retry-After."""
        delay = self.backoff(retry, rng)
        if isinstance(error, ProviderRateLimited) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay


class RetryBudget:
    """Retries allowed within a rolling window: at most `ratio` x requests + `floor`.

    The floor lets a quiet service still retry the odd failure; the ratio bounds the extra load a storm can add.
    """

    def __init__(
        self, *, ratio: float = 0.2, floor: int = 10, window_s: float = 10.0, clock: Callable[[], float]
    ) -> None:
        self.ratio = ratio
        self.floor = floor
        self._counts = RollingCounter(window_s, clock)

    def record_request(self) -> None:
        self._counts.add("requests")

    def try_spend(self) -> bool:
        allowed = self.ratio * self._counts.total("requests") + self.floor
        if self._counts.total("retries") + 1 > allowed:
            return False
        self._counts.add("retries")
        return True


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
    """Run `attempt(timeout)` until it succeeds, fails for good, or no time is left for another try.

    The standalone loop for a provider used on its own; behind the Router, providers make one attempt each and
    the Router retries with its budget and breakers.
    """
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
            delay = policy.delay(retry, rng, exc)
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
