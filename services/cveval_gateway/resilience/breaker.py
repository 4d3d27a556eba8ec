"""A circuit breaker per (provider, model) with a true half-open state.

closed    every call goes through; the breaker opens after `failure_threshold` consecutive failures, or when at
          least `min_calls` calls in the rolling window failed at `failure_rate` or more.
open      calls fail fast (the Router moves on to the next target) until `cooldown_s` has passed.
half-open exactly one probe call is let through; every other call fails fast while it runs. Probe success closes
          the breaker, probe failure opens it for another cool-down, a probe that ends with no verdict (cancelled,
          or refused by the client-side rate limit) frees the slot for the next caller.

Hand-written: pybreaker, circuitbreaker and aiobreaker let every call through in half-open (no single probe under
asyncio concurrency) and take no injectable clock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from cveval_gateway.resilience.window import RollingCounter


class BreakerState(enum.IntEnum):
    # The values are the ones exported on the cveval_ai_breaker_state gauge.
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    failure_rate: float = 0.5
    min_calls: int = 20
    window_s: float = 30.0
    cooldown_s: float = 15.0


class Permit:
    """The right to make one call; report its outcome exactly once (later reports are ignored)."""

    def __init__(self, breaker: CircuitBreaker, probe: bool) -> None:
        self._breaker = breaker
        self.probe = probe
        self._done = False

    def success(self) -> None:
        if not self._done:
            self._done = True
            self._breaker._on_success(self.probe)

    def failure(self) -> None:
        if not self._done:
            self._done = True
            self._breaker._on_failure(self.probe)

    def release(self) -> None:
        """No verdict on the upstream's health: the call was cancelled or never sent."""
        if not self._done:
            self._done = True
            self._breaker._on_release(self.probe)


class CircuitBreaker:
    def __init__(
        self,
        policy: BreakerPolicy,
        clock: Callable[[], float],
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._consecutive = 0
        self._probing = False
        self._window = RollingCounter(policy.window_s, clock)

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.policy.cooldown_s:
            self._set(BreakerState.HALF_OPEN)
        return self._state

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when it is not open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.policy.cooldown_s - self._clock())

    def try_acquire(self) -> Permit | None:
        """A permit to call, or None when the call must fail fast. Synchronous, so no other task interleaves."""
        state = self.state
        if state is BreakerState.CLOSED:
            return Permit(self, probe=False)
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return Permit(self, probe=True)
        return None

    def _on_success(self, probe: bool) -> None:
        if probe:
            self._probing = False
            self._close()
        elif self._state is BreakerState.CLOSED:
            self._consecutive = 0
            self._window.add("calls")
        # A call let in while closed that ends after the breaker opened says nothing the probe will not say.

    def _on_failure(self, probe: bool) -> None:
        if probe:
            self._probing = False
            self._open()
            return
        if self._state is not BreakerState.CLOSED:
            return
        self._consecutive += 1
        self._window.add("calls")
        self._window.add("failures")
        calls = self._window.total("calls")
        too_many = calls >= self.policy.min_calls and self._window.total("failures") / calls >= self.policy.failure_rate
        if self._consecutive >= self.policy.failure_threshold or too_many:
            self._open()

    def _on_release(self, probe: bool) -> None:
        if probe:
            self._probing = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._set(BreakerState.OPEN)

    def _close(self) -> None:
        self._consecutive = 0
        self._window.clear()
        self._set(BreakerState.CLOSED)

    def _set(self, state: BreakerState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_change is not None:
            self._on_change(state)
