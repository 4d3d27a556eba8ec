from __future__ import annotations

import asyncio

import pytest

from cveval_gateway.providers.base import ProviderRateLimited
from cveval_gateway.resilience.clock import ManualClock
from cveval_gateway.resilience.ratelimit import RateLimiter, TokenBucket, estimate_tokens


def _limiter(clock: ManualClock, rpm: float | None = 60, tpm: float | None = None) -> RateLimiter:
    buckets = []
    if rpm:
        buckets.append(TokenBucket(rpm, "requests", "p:m", clock))
    if tpm:
        buckets.append(TokenBucket(tpm, "tokens", "p", clock))
    return RateLimiter(buckets, clock)


def test_token_estimate_counts_text_and_the_output_budget() -> None:
    assert estimate_tokens(["abcd" * 10, "xy"]) == 11
    assert estimate_tokens(["abcd"], max_output=100) == 101


async def test_callers_wait_their_turn_instead_of_failing() -> None:
    clock = ManualClock()
    limiter = _limiter(clock, rpm=60)  # one a second, a burst of 60
    for _ in range(60):
        assert (await limiter.acquire(1, 0, deadline=clock.now() + 5)).waited_s == 0
    waited = await limiter.acquire(1, 0, deadline=clock.now() + 5)
    assert waited.waited_s == pytest.approx(1.0)
    assert clock.sleeps == [pytest.approx(1.0)]


async def test_a_wait_beyond_the_deadline_fails_at_once_and_takes_nothing() -> None:
    clock = ManualClock()
    limiter = _limiter(clock, rpm=60)
    for _ in range(60):
        await limiter.acquire(1, 0, deadline=clock.now() + 5)
    with pytest.raises(ProviderRateLimited, match=r"60 requests/min would need a 1\.00s wait") as info:
        await limiter.acquire(1, 0, deadline=clock.now() + 0.5)
    assert info.value.retry_after == pytest.approx(1.0)
    assert clock.sleeps == []
    # Nothing was reserved by the refused caller: the next one still waits one second, not two.
    assert (await limiter.acquire(1, 0, deadline=clock.now() + 5)).waited_s == pytest.approx(1.0)


async def test_concurrent_callers_queue_in_order() -> None:
    clock = ManualClock(auto_advance=False)
    limiter = _limiter(clock, rpm=None, tpm=600)  # 10 tokens a second
    await limiter.acquire(1, 600, deadline=clock.now() + 1)
    tasks = [asyncio.ensure_future(limiter.acquire(1, 10, deadline=clock.now() + 10)) for _ in range(3)]
    await asyncio.sleep(0)
    assert clock.sleeping == 3
    clock.advance(1.0)
    await asyncio.sleep(0)
    assert [t.done() for t in tasks] == [True, False, False]
    clock.advance(2.0)
    waits = [(await t).waited_s for t in tasks]
    assert waits == [pytest.approx(1.0), pytest.approx(2.0), pytest.approx(3.0)]


async def test_a_cancelled_waiter_gives_its_share_back() -> None:
    clock = ManualClock(auto_advance=False)
    limiter = _limiter(clock, rpm=60)
    for _ in range(60):
        await limiter.acquire(1, 0, deadline=clock.now() + 1)
    waiter = asyncio.ensure_future(limiter.acquire(1, 0, deadline=clock.now() + 10))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    with pytest.raises(ProviderRateLimited, match=r"1\.00s wait"):
        await limiter.acquire(1, 0, deadline=clock.now() + 0.5)


async def test_settle_charges_what_the_provider_reported() -> None:
    clock = ManualClock()
    limiter = _limiter(clock, rpm=None, tpm=60)
    await limiter.acquire(1, 10, deadline=clock.now())
    limiter.settle(estimated_tokens=10, actual_tokens=60)  # the bucket is now empty
    assert (await limiter.acquire(1, 1, deadline=clock.now() + 5)).waited_s == pytest.approx(1.0)


async def test_no_limits_never_wait() -> None:
    clock = ManualClock()
    limiter = RateLimiter([], clock)
    assert not limiter.limited
    assert (await limiter.acquire(100, 10**9, deadline=clock.now())).waited_s == 0
