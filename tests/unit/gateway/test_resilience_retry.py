from __future__ import annotations

import random

from cveval_gateway.providers.base import ProviderRateLimited, ProviderUnavailable
from cveval_gateway.resilience.clock import ManualClock
from cveval_gateway.resilience.retry import RetryBudget, RetryPolicy


def test_backoff_is_full_jitter_within_the_exponential_cap() -> None:
    policy = RetryPolicy(max_retries=5, base_delay_s=0.5, max_delay_s=3.0)
    rng = random.Random(7)
    for retry, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0), (6, 3.0)]:
        draws = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= d <= cap for d in draws)
        assert min(draws) < cap * 0.1 and max(draws) > cap * 0.9  # spread over the whole range


def test_retry_after_is_a_floor_under_the_backoff() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=0.2)
    rng = random.Random(1)
    assert policy.delay(0, rng, ProviderRateLimited("busy", retry_after=7.0)) == 7.0
    assert policy.delay(0, rng, ProviderRateLimited("busy")) <= 0.1
    assert policy.delay(1, rng, ProviderUnavailable("down")) <= 0.2


def test_budget_allows_a_floor_plus_a_share_of_requests() -> None:
    clock = ManualClock()
    budget = RetryBudget(ratio=0.2, floor=3, window_s=10.0, clock=clock.now)
    assert sum(budget.try_spend() for _ in range(10)) == 3  # quiet: the floor only
    for _ in range(50):
        budget.record_request()
    assert sum(budget.try_spend() for _ in range(100)) == 10  # 0.2 x 50 more


def test_budget_refills_as_the_window_moves_on() -> None:
    clock = ManualClock()
    budget = RetryBudget(ratio=0.0, floor=2, window_s=10.0, clock=clock.now)
    assert [budget.try_spend() for _ in range(3)] == [True, True, False]
    clock.advance(10.5)
    assert budget.try_spend()
