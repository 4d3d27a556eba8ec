"""The faults, done to a running Stack the way an operator's bad day would: each returns when the fault has ended
(the server is back), so the caller can time recovery from that moment."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import httpx

from cveval_devstack.procs import port_open, wait_until
from cveval_devstack.stack import Stack

Fault = Callable[[Stack, float], None]


def postgres_down(stack: Stack, outage_s: float) -> None:
    assert stack.postgres is not None, "the drill needs the embedded PostgreSQL"
    stack.postgres.stop()
    time.sleep(outage_s)
    stack.postgres.start()


def nats_killed(stack: Stack, outage_s: float) -> None:
    assert stack.nats is not None and stack.nats.proc is not None, "the drill needs the embedded nats-server"
    stack.nats.proc.kill()
    stack.nats.proc.wait(10)
    wait_until(lambda: not port_open(stack.nats.port), 10, "nats-server to go")  # type: ignore[union-attr]
    time.sleep(outage_s)
    stack.nats.start()  # same port, same JetStream store


def workers_killed(stack: Stack, outage_s: float) -> None:
    """SIGKILL every worker while a job is being evaluated, and start replacements at once (as a supervisor would):
    the jobs the dead workers held come back only when their ack wait runs out."""
    wait_until(lambda: _some_job_processing(stack), 60, "a job in processing")
    workers = [name for name in stack.processes if name.startswith("worker")]
    for name in workers:
        stack.processes[name].send_signal(signal.SIGKILL)
    for name in workers:
        stack.processes[name].wait(10)
        _restart(stack, name)


def _some_job_processing(stack: Stack) -> bool:
    try:
        response = httpx.get(f"{stack.rest_url}/v1/jobs", params={"status": "processing", "page_size": 1}, timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and bool(response.json().get("jobs"))


def gateway_killed(stack: Stack, outage_s: float) -> None:
    stack.processes["gateway"].send_signal(signal.SIGKILL)
    stack.processes["gateway"].wait(10)
    time.sleep(outage_s)
    _restart(stack, "gateway")


def _restart(stack: Stack, name: str) -> None:
    # The drill drives the Stack itself (no supervisor runs here), so it restarts the process from its spec, as the
    # supervisor of `make run` would.
    stack.spawn(name)


FAULTS: dict[str, tuple[Fault, float]] = {
    "postgres stopped 20 s": (postgres_down, 20.0),
    "nats killed, back after 5 s": (nats_killed, 5.0),
    "workers SIGKILLed mid-job": (workers_killed, 0.0),
    "ai-gateway killed 10 s": (gateway_killed, 10.0),
}
