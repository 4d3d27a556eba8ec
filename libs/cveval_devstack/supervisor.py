"""Keeps a started Stack running: any process that exits (a service, a worker, PostgreSQL, NATS or Envoy) is started
again with exponential backoff, and the stack is stopped with a clear message when one keeps failing.

Only an exit counts: a service that answers NOT_SERVING (say, while its database is down) is left alone, since it
recovers by itself when the dependency returns.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cveval_devstack.procs import StartCancelled, stop_process
from cveval_devstack.signals import StopRequest
from cveval_devstack.stack import Stack


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_s: float = 0.5
    max_delay_s: float = 30.0
    healthy_after_s: float = 60.0  # up this long and the next exit starts a fresh streak
    max_failures: int = 6  # exits (or failed restarts) in a row before giving up

    def delay(self, failures: int) -> float:
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** max(0, failures - 1)))


@dataclass
class _Streak:
    failures: int = 0
    started_at: float = field(default_factory=time.monotonic)
    restart_at: float | None = None  # set while a restart is pending


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Supervisor:
    def __init__(
        self,
        stack: Stack,
        stop: StopRequest,
        policy: RestartPolicy | None = None,
        say: Callable[[str], None] = _stderr,
        interval_s: float = 0.5,
    ) -> None:
        self.stack = stack
        self.stop = stop
        self.policy = policy or RestartPolicy()
        self._say = say
        self.interval_s = interval_s
        self.streaks: dict[str, _Streak] = {}
        self.gave_up = ""

    def say(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        line = f"cveval {stamp}: {message}"
        self._say(line)
        with (self.stack.log_dir / "supervisor.log").open("a") as out:
            out.write(line + "\n")

    def run(self) -> int:
        """Until a stop is requested (0) or a process keeps failing (1)."""
        while not self.stop.wait(self.interval_s):
            if not self.check():
                return 1
        return 0

    def check(self) -> bool:
        """One round: notice exits, run the restarts that are due. False when giving up."""
        now = time.monotonic()
        for name, code in self.stack.exited().items():
            streak = self.streaks.setdefault(name, _Streak())
            if streak.restart_at is None and not self._failed(name, streak, now, f"exited with code {code}"):
                return False
        for name, streak in self.streaks.items():
            if streak.restart_at is None or now < streak.restart_at:
                continue
            if self.stop.is_set():
                return True
            try:
                self.stack.restart(name)
            except StartCancelled:
                return True
            except Exception as exc:
                self._stop_half_started(name)
                if not self._failed(name, streak, time.monotonic(), f"did not restart ({exc})"):
                    return False
                continue
            streak.restart_at = None
            streak.started_at = time.monotonic()
            self.say(f"{name} restarted (log: {self.stack.log_dir})")
        return True

    def _failed(self, name: str, streak: _Streak, now: float, what: str) -> bool:
        if streak.restart_at is None and now - streak.started_at >= self.policy.healthy_after_s:
            streak.failures = 0
        streak.failures += 1
        if streak.failures > self.policy.max_failures:
            self.gave_up = name
            self.say(
                f"{name} {what}, {streak.failures} times in a row; giving up and stopping the whole stack "
                f"(see {self.stack.log_dir})"
            )
            return False
        delay = self.policy.delay(streak.failures)
        streak.restart_at = now + delay
        self.say(f"{name} {what}; restarting in {delay:.1f}s (attempt {streak.failures} of {self.policy.max_failures})")
        return True

    def _stop_half_started(self, name: str) -> None:
        """A server that started but never became ready is stopped, so the next attempt starts clean."""
        proc = self.stack.server_process(name) if name in ("postgres", "nats", "envoy") else None
        proc = proc or self.stack.processes.get(name)
        if proc is not None and proc.poll() is None:
            stop_process(proc, timeout=10)
