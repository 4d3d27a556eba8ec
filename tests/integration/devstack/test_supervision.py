"""`python -m cveval_devstack` (make run) as a user runs it: SIGTERM during start-up and under load leaves no process
behind within a bound, and a killed service, worker, PostgreSQL, NATS or Envoy is started again."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cveval_devstack import postgres
from cveval_devstack.procs import free_port, port_open
from cveval_devstack.stack import REPO_ROOT, grpc_serving

STOP_BOUND_S = 45.0  # every process gone this long after the first SIGTERM (workers drain in-flight jobs first)
START_BOUND_S = 180.0  # a busy 2-core machine
RESTART_BOUND_S = 45.0

pytestmark = pytest.mark.timeout(600)


def _proc_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a live process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[1]), fields[19]) if fields[0] != "Z" else None


def _descendants(root: int) -> set[tuple[int, str]]:
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))) is not None:
            children.setdefault(stat[0], []).append((int(entry), stat[1]))
    found: set[tuple[int, str]] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child[0])
    return found


class Run:
    """One supervisor process, with every descendant it ever had recorded by a background watcher."""

    def __init__(self, data_dir: Path, *, via_parent: bool = False) -> None:
        self.data_dir = data_dir
        self.http_port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("CVEVAL_DATABASE_URL", "CVEVAL_NATS_URL")}
        env["CVEVAL_LLM_BASE_URL"] = ""
        self.output = data_dir / "supervisor.out"
        data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "cveval_devstack", "--data-dir", str(data_dir / "data"), *self._flags()]
        if via_parent:  # as `make run` starts it: a parent that passes no signal on and can die on its own
            command = [sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])", *command]
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
                env=env,
            )
        self.seen: set[tuple[int, str]] = set()
        self._watching = True
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _flags(self) -> list[str]:
        return ["--http-port", str(self.http_port), "--workers", "1"]

    def _watch(self) -> None:
        while self._watching and self.proc.poll() is None:
            self.seen |= _descendants(self.proc.pid)
            time.sleep(0.05)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, check: Callable[[], bool], bound: float, what: str) -> float:
        began = time.monotonic()
        while time.monotonic() - began < bound:
            if check():
                return time.monotonic() - began
            assert self.proc.poll() is None, f"supervisor exited while waiting for {what}:\n{self.text()}"
            time.sleep(0.05)
        raise AssertionError(f"{what} not within {bound:.0f}s:\n{self.text()}")

    def state(self) -> dict[str, dict[str, int]]:
        state: dict[str, dict[str, int]] = json.loads((self.data_dir / "data" / "run" / "stack.json").read_text())
        return state

    def terminate_repeatedly(self, times: int = 4) -> float:
        """SIGTERM now and again while it stops; seconds until the supervisor and every descendant are gone."""
        began = time.monotonic()
        for _ in range(times):
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            time.sleep(0.15)
        self.proc.wait(STOP_BOUND_S)
        self.gone_within(STOP_BOUND_S - (time.monotonic() - began))
        return time.monotonic() - began

    def gone_within(self, bound: float) -> float:
        """Seconds until every descendant ever seen has exited (after the supervisor itself is gone)."""
        began = time.monotonic()
        self._watching = False
        self._watcher.join()
        while time.monotonic() - began < bound:
            left = [pid for pid, started in self.seen if (now := _proc_stat(pid)) is not None and now[1] == started]
            if not left:
                return time.monotonic() - began
            time.sleep(0.1)
        raise AssertionError(f"processes left behind: {left}\n{self.text()}")

    def kill_all(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        for pid, started in self.seen:
            now = _proc_stat(pid)
            if now is not None and now[1] == started:  # still ours, not a reused pid
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    runs: list[Run] = []

    def start(via_parent: bool = False) -> Run:
        runs.append(Run(tmp_path / f"run{len(runs)}", via_parent=via_parent))
        return runs[-1]

    try:
        yield start
    finally:
        for r in runs:
            r.kill_all()  # only after a failure: a passing test already stopped everything
            # The cluster of a root-run devstack lives outside the data directory: this test's goes with it.
            shutil.rmtree(postgres.area_path(r.data_dir / "data" / "postgres"), ignore_errors=True)


@pytest.mark.parametrize("processes", [1, 4, 9], ids=["postgres-starting", "servers-up", "services-starting"])
def test_repeated_sigterm_during_start_up_leaves_no_process(run: Callable[..., Run], processes: int) -> None:
    r = run()
    # Signalled at different points of start-up: while PostgreSQL starts, once the servers are up (migrations run),
    # and while the services start; six times, so some land while it is already stopping.
    r.wait_for(lambda: len(r.seen) >= processes, START_BOUND_S, f"{processes} processes started")
    took = r.terminate_repeatedly(times=6)
    assert r.proc.returncode == 0, r.text()
    assert "during start-up; stopped" in r.text() or "stopped in" in r.text()
    assert took < STOP_BOUND_S


def test_a_killed_supervisor_takes_its_servers_with_it(run: Callable[..., Run]) -> None:
    """SIGKILL cannot be handled: the servers learn of it from the kernel (parent-death signal) and stop."""
    r = run()
    r.wait_for(lambda: len(r.seen) >= 4, START_BOUND_S, "servers started")
    time.sleep(1.0)
    r.proc.kill()
    r.proc.wait(10)
    assert r.gone_within(STOP_BOUND_S) < STOP_BOUND_S


def test_a_killed_make_run_stops_the_stack(run: Callable[..., Run]) -> None:
    """`make` dies on SIGTERM without passing it on: the stack hears of it from the kernel and stops cleanly."""
    r = run(via_parent=True)
    r.wait_for(lambda: "cveval: up in" in r.text(), START_BOUND_S, "the stack")
    r.proc.kill()  # the parent, as make is when terminated; the supervisor is its child
    r.proc.wait(10)
    assert r.gone_within(STOP_BOUND_S) < STOP_BOUND_S
    assert "stopped in" in r.text()


def _listening(pids: set[int]) -> dict[str, set[int]]:
    """Local addresses (hex, as /proc/net shows them) of the listening TCP sockets the given processes hold."""
    inodes: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes[fields[9]] = fields[1].rsplit(":", 1)[0]
    found: dict[str, set[int]] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    inode = target[len("socket:[") : -1] if target.startswith("socket:[") else ""
                    if inode in inodes:
                        found.setdefault(inodes[inode], set()).add(pid)
    return found


# 127.0.0.1, ::1 and ::ffff:127.0.0.1 (gRPC's IPv4 loopback bind, seen through an IPv6 socket)
LOOPBACK = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}


def _serving(r: Run, name: str) -> Callable[[], bool]:
    ports = r.state()["ports"]
    if name in ("job", "upload", "result", "gateway"):
        return lambda: grpc_serving(ports[name])
    if name == "worker-0":
        return lambda: True  # the heartbeat file is rewritten by the old worker's leftovers: its new pid is enough
    if name == "envoy":
        return lambda: port_open(r.http_port)
    return lambda: port_open(ports[name])


def _load(url: str, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        while not stop.is_set():
            try:
                client.post("/v1/evaluate", json={"cv_id": "x", "project_id": "y"})
                client.get("/v1/jobs")
            except httpx.HTTPError:
                pass  # the stack is going away: refused connections are expected


def test_crashed_processes_are_restarted_and_sigterm_under_load_stops_everything(run: Callable[..., Run]) -> None:
    r = run()
    started = r.wait_for(lambda: "cveval: up in" in r.text(), START_BOUND_S, "the stack")
    # Nothing of the stack listens beyond loopback: services, metrics, Envoy and its admin, PostgreSQL, NATS.
    listening = _listening({pid for pid, _ in _descendants(r.proc.pid)})
    assert listening and set(listening) <= LOOPBACK, listening
    restarts: dict[str, float] = {}
    for name in ("worker-0", "job", "nats", "envoy", "postgres"):
        old = r.state()["pids"][name]
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        r.wait_for(lambda n=name, o=old: r.state()["pids"][n] != o, RESTART_BOUND_S, f"{name} restarted")  # type: ignore[misc]
        r.wait_for(_serving(r, name), RESTART_BOUND_S, f"{name} serving again")
        restarts[name] = round(time.monotonic() - killed_at, 2)
    supervisor_log = r.data_dir / "data" / "logs" / "supervisor.log"

    def logged() -> bool:
        # The supervisor logs a restart once the process is back, which can be just after it answers again.
        log = supervisor_log.read_text()
        return all(f"{name} exited with code -9" in log and f"{name} restarted" in log for name in restarts)

    r.wait_for(logged, RESTART_BOUND_S, "every exit and restart logged")
    # Still a working system: the REST bridge answers through the restarted Envoy to the restarted job service.
    assert httpx.get(f"http://127.0.0.1:{r.http_port}/v1/jobs", timeout=10).status_code < 500

    stop_load = threading.Event()
    load = [threading.Thread(target=_load, args=(f"http://127.0.0.1:{r.http_port}", stop_load)) for _ in range(4)]
    for t in load:
        t.start()
    time.sleep(1.0)
    try:
        took = r.terminate_repeatedly()
    finally:
        stop_load.set()
        for t in load:
            t.join(10)
    assert r.proc.returncode == 0, r.text()
    print(f"\nstart {started:.1f}s, restart after kill -9 {restarts}, stop under load {took:.1f}s")
