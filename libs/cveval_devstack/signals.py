"""A stop request from SIGTERM / SIGINT that is safe to raise from a signal handler.

A signal handler runs in the main thread between two bytecodes, possibly while that same thread is inside
`threading.Event.wait()` holding the event's lock: calling `Event.set()` from the handler then deadlocks. Here the
handler only bumps a counter and writes one byte to a non-blocking self-pipe; waiting is a `select()` on the pipe,
which the write wakes at once.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from types import FrameType


class StopRequest:
    def __init__(self) -> None:
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        os.set_blocking(self._write_fd, False)
        self.count = 0
        self.signal_name = ""

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def ignore_further(self) -> None:
        """Once everything is stopped: Python puts the default (fatal) action back while the interpreter shuts down,
        so one more SIGTERM in that window would turn a clean exit into death by signal. Ignored handlers stay."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.count += 1
        self.signal_name = signal.Signals(signum).name
        with contextlib.suppress(BlockingIOError):  # the pipe is full: a wake-up is already pending
            os.write(self._write_fd, b"x")

    def request(self) -> None:
        """Ask for a stop from code (the supervisor giving up)."""
        self.count += 1
        with contextlib.suppress(BlockingIOError):
            os.write(self._write_fd, b"x")

    def is_set(self) -> bool:
        return self.count > 0

    def wait(self, timeout: float) -> bool:
        """True as soon as a stop is requested, False after `timeout` seconds without one."""
        if self.is_set():
            return True
        readable, _, _ = select.select([self._read_fd], [], [], timeout)
        if readable:
            with contextlib.suppress(BlockingIOError):
                os.read(self._read_fd, 512)
        return self.is_set()

    def close(self) -> None:
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
