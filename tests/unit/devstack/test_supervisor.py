from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cveval_devstack.signals import StopRequest
from cveval_devstack.supervisor import RestartPolicy, Supervisor


class FakeStack:
    """Just what the supervisor uses: exited processes, restart, a log directory."""

    def __init__(self, log_dir: Path, restart_fails: int = 0) -> None:
        self.log_dir = log_dir
        self.dead: dict[str, int] = {}
        self.restarts: list[str] = []
        self.restart_fails = restart_fails
        self.processes: dict[str, object] = {}

    def exited(self) -> dict[str, int]:
        return dict(self.dead)

    def restart(self, name: str) -> None:
        self.restarts.append(name)
        if self.restart_fails > 0:
            self.restart_fails -= 1
            raise RuntimeError("still broken")
        self.dead.pop(name, None)

    def server_process(self, name: str) -> None:
        return None


FAST = RestartPolicy(first_delay_s=0.0, max_delay_s=0.0, healthy_after_s=60.0, max_failures=3)


def supervisor(stack: FakeStack, policy: RestartPolicy = FAST) -> tuple[Supervisor, list[str]]:
    said: list[str] = []
    return Supervisor(stack, StopRequest(), policy, say=said.append), said  # type: ignore[arg-type]


def test_an_exited_process_is_restarted_and_logged(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path)
    sup, said = supervisor(stack)
    stack.dead["worker-0"] = -9
    assert sup.check()  # noticed, restart scheduled
    assert sup.check()  # due: restarted
    assert stack.restarts == ["worker-0"]
    assert any("worker-0 exited with code -9" in line for line in said)
    assert any("worker-0 restarted" in line for line in said)
    assert "worker-0 restarted" in (tmp_path / "supervisor.log").read_text()


def test_a_process_that_keeps_failing_stops_the_stack_with_a_message(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path, restart_fails=100)
    sup, said = supervisor(stack)
    stack.dead["nats"] = 1
    rounds = 0
    while sup.check():
        rounds += 1
        assert rounds < 20
    assert sup.gave_up == "nats"
    assert "giving up and stopping the whole stack" in said[-1]


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RestartPolicy(first_delay_s=0.5, max_delay_s=4.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_a_restart_waits_for_its_backoff(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path)
    sup, _ = supervisor(stack, RestartPolicy(first_delay_s=30.0))
    stack.dead["job"] = 1
    assert sup.check() and sup.check()
    assert stack.restarts == []


@pytest.fixture
def restored_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.mark.usefixtures("restored_handlers")
def test_a_signal_wakes_the_waiting_main_thread_at_once() -> None:
    """The handler runs in the main thread while it waits: it must not need a lock the wait holds."""
    stop = StopRequest()
    stop.install()
    timers = [threading.Timer(0.2 + 0.05 * i, os.kill, (os.getpid(), signal.SIGTERM)) for i in range(5)]
    for timer in timers:
        timer.start()
    began = time.monotonic()
    try:
        assert stop.wait(30.0)
        assert time.monotonic() - began < 5.0
        for timer in timers:
            timer.join()
        assert stop.wait(0.0) and stop.count == 5 and stop.signal_name == "SIGTERM"
    finally:
        stop.close()
