"""Client-side rate limits (requests/min, tokens/min) that queue callers up to their deadline.

Token buckets with reservations: a caller takes its share at once, possibly driving the bucket below zero, and
sleeps until the refill covers it. Reservations make waiting fair (first come, first served) without a loop of
polls, and let a caller know its exact wait before committing: if the wait would pass its deadline it takes
nothing and fails with ProviderRateLimited straight away.

Hand-written: aiolimiter (leaky bucket) waits with no deadline, covers one dimension (not requests and tokens
together) and takes no injectable clock.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass

from cveval_gateway.providers.base import ProviderRateLimited
from cveval_gateway.resilience.clock import Clock

CHARS_PER_TOKEN = 4


def estimate_tokens(texts: Sequence[str], max_output: int = 0) -> int:
    """About four characters a token for English text; the output budget counts too, as providers count it."""
    return math.ceil(sum(len(t) for t in texts) / CHARS_PER_TOKEN) + max(0, max_output)


class TokenBucket:
    """Refills `per_minute` units a minute, holding at most one minute's worth."""

    def __init__(self, per_minute: float, unit: str, scope: str, clock: Clock) -> None:
        if per_minute <= 0:
            raise ValueError("a rate limit must be positive")
        self.capacity = float(per_minute)
        self.unit = unit  # "requests" or "tokens"
        self.scope = scope  # what the limit is on, for messages: "openrouter" or "openrouter:gpt-4o-mini"
        self._rate = per_minute / 60.0
        self._clock = clock
        self._level = self.capacity
        self._updated = clock.now()

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` is available, counting earlier reservations; one too big waits for a full bucket."""
        self._refill()
        needed = min(amount, self.capacity)
        return 0.0 if self._level >= needed else (needed - self._level) / self._rate

    def take(self, amount: float) -> None:
        self._refill()
        self._level -= min(amount, self.capacity)

    def give_back(self, amount: float) -> None:
        self._refill()
        self._level = min(self.capacity, self._level + min(amount, self.capacity))

    def _refill(self) -> None:
        now = self._clock.now()
        self._level = min(self.capacity, self._level + (now - self._updated) * self._rate)
        self._updated = now


@dataclass(frozen=True)
class Reservation:
    requests: int
    tokens: int
    waited_s: float


class RateLimiter:
    """All the buckets one target is subject to: its provider's and its own, requests and tokens."""

    def __init__(self, buckets: Sequence[TokenBucket], clock: Clock) -> None:
        self._buckets = list(buckets)
        self._clock = clock

    @property
    def limited(self) -> bool:
        return bool(self._buckets)

    async def acquire(self, requests: int, tokens: int, deadline: float) -> Reservation:
        if not self._buckets:
            return Reservation(requests, tokens, 0.0)
        # Check and take with no await in between, so concurrent callers cannot both claim the same capacity.
        waits = [(bucket.wait_for(self._amount(bucket, requests, tokens)), bucket) for bucket in self._buckets]
        wait, slowest = max(waits, key=lambda pair: pair[0])
        if self._clock.now() + wait > deadline:
            limit = f"{slowest.capacity:g} {slowest.unit}/min"
            raise ProviderRateLimited(
                f"{slowest.scope}: the client-side limit of {limit} would need a {wait:.2f}s wait, "
                "longer than the caller's deadline allows",
                retry_after=wait,
            )
        for bucket in self._buckets:
            bucket.take(self._amount(bucket, requests, tokens))
        if wait > 0:
            try:
                await self._clock.sleep(wait)
            except asyncio.CancelledError:
                # The caller gave up while queued: its share goes back to those still waiting.
                self.refund(requests, tokens)
                raise
        return Reservation(requests, tokens, wait)

    def refund(self, requests: int, tokens: int) -> None:
        for bucket in self._buckets:
            bucket.give_back(self._amount(bucket, requests, tokens))

    def settle(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Correct the token buckets once the provider reports what the call really used."""
        difference = actual_tokens - estimated_tokens
        for bucket in self._buckets:
            if bucket.unit != "tokens" or difference == 0:
                continue
            if difference > 0:
                bucket.take(difference)
            else:
                bucket.give_back(-difference)

    @staticmethod
    def _amount(bucket: TokenBucket, requests: int, tokens: int) -> float:
        return float(requests if bucket.unit == "requests" else tokens)
