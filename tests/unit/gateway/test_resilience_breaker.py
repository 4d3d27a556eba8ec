from __future__ import annotations

from cveval_gateway.resilience.breaker import BreakerPolicy, BreakerState, CircuitBreaker
from cveval_gateway.resilience.clock import ManualClock


def _breaker(clock: ManualClock, **policy: float) -> tuple[CircuitBreaker, list[BreakerState]]:
    changes: list[BreakerState] = []
    settings = {"failure_threshold": 3, "cooldown_s": 10.0, **policy}
    return CircuitBreaker(BreakerPolicy(**settings), clock.now, changes.append), changes  # type: ignore[arg-type]


def _fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        permit = breaker.try_acquire()
        assert permit is not None
        permit.failure()


def test_opens_after_consecutive_failures_and_fails_fast() -> None:
    clock = ManualClock()
    breaker, changes = _breaker(clock)
    _fail(breaker, 2)
    ok = breaker.try_acquire()
    assert ok is not None
    ok.success()  # a success resets the run of failures
    _fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    _fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    assert changes == [BreakerState.OPEN]
    assert breaker.try_acquire() is None
    assert breaker.retry_in() == 10.0


def test_opens_on_failure_rate_over_the_window() -> None:
    clock = ManualClock()
    breaker, _ = _breaker(clock, failure_threshold=100, failure_rate=0.5, min_calls=10, window_s=30.0)
    for i in range(9):
        permit = breaker.try_acquire()
        assert permit is not None
        permit.failure() if i % 2 == 0 else permit.success()
    assert breaker.state is BreakerState.CLOSED  # 5 of 9 failed, but fewer than min_calls
    _fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN  # 6 of 10


def test_old_failures_leave_the_window() -> None:
    clock = ManualClock()
    breaker, _ = _breaker(clock, failure_threshold=100, failure_rate=0.5, min_calls=4, window_s=10.0)
    _fail(breaker, 3)
    clock.advance(11)
    for _ in range(2):
        permit = breaker.try_acquire()
        assert permit is not None
        permit.success()
    _fail(breaker, 1)
    assert breaker.state is BreakerState.CLOSED  # 1 failure of 3 recent calls


def test_half_open_lets_exactly_one_probe_through() -> None:
    clock = ManualClock()
    breaker, changes = _breaker(clock)
    _fail(breaker, 3)
    clock.advance(9.9)
    assert breaker.try_acquire() is None
    clock.advance(0.1)
    probe = breaker.try_acquire()
    assert probe is not None and probe.probe
    assert [breaker.try_acquire() for _ in range(50)] == [None] * 50
    probe.success()
    assert breaker.state is BreakerState.CLOSED
    assert changes == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]
    assert all(breaker.try_acquire() is not None for _ in range(5))


def test_probe_failure_reopens_for_another_cooldown() -> None:
    clock = ManualClock()
    breaker, changes = _breaker(clock)
    _fail(breaker, 3)
    clock.advance(10)
    probe = breaker.try_acquire()
    assert probe is not None
    probe.failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(9)
    assert breaker.try_acquire() is None
    clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert changes == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.OPEN, BreakerState.HALF_OPEN]


def test_a_probe_released_without_verdict_frees_the_slot() -> None:
    clock = ManualClock()
    breaker, _ = _breaker(clock)
    _fail(breaker, 3)
    clock.advance(10)
    probe = breaker.try_acquire()
    assert probe is not None
    probe.release()
    probe.failure()  # a second report on the same permit is ignored
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.try_acquire() is not None


def test_late_outcomes_of_calls_started_while_closed_do_not_decide() -> None:
    clock = ManualClock()
    breaker, _ = _breaker(clock)
    early = breaker.try_acquire()
    assert early is not None
    _fail(breaker, 3)
    clock.advance(10)
    probe = breaker.try_acquire()
    assert probe is not None
    early.success()  # started before the breaker opened: not the probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.try_acquire() is None
