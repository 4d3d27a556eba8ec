"""The benchmark's handles on its child processes (see _children.py): start, talk, measure, stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
_START_TIMEOUT_S = 60.0


class ChildFailed(RuntimeError):
    pass


class Child:
    def __init__(self, proc: asyncio.subprocess.Process, hello: dict[str, Any], stderr: IO[bytes]) -> None:
        self.proc = proc
        self.hello = hello
        self._stderr = stderr
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, *args: str, env: dict[str, str] | None = None) -> Child:
        # stderr goes to a file: the table stays readable, and a failed start can still show why. It lives as long
        # as the child, so stop() closes it, not a with-block here.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._children", *args, cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            env={**os.environ, **(env or {})},
        )
        child = cls(proc, {}, stderr)
        try:
            child.hello = await asyncio.wait_for(child._read(), _START_TIMEOUT_S)
        except (TimeoutError, ChildFailed, ValueError) as exc:
            await child.stop()
            raise ChildFailed(f"{' '.join(args[:1])} did not start: {exc}; stderr: {child.stderr_tail()}") from None
        if "error" in child.hello:
            await child.stop()
            raise ChildFailed(f"{child.hello['error']}; stderr: {child.stderr_tail()}")
        return child

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise ChildFailed("exited before answering")
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def command(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        async with self._lock:
            self.proc.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
            await self.proc.stdin.drain()
            return await asyncio.wait_for(self._read(), 30)

    def rss_kib(self) -> int | None:
        """VmRSS from /proc: what the process holds in RAM now (None where /proc is not there)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def cpu_s(self) -> float | None:
        """User + system CPU seconds the process has used (from /proc/PID/stat), or None off Linux."""
        try:
            # The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stderr_tail(self, limit: int = 2000) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-limit:].strip()

    async def stop(self) -> None:
        """Closing stdin is the child's signal to stop; terminate and kill only this pid if it does not."""
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        self._stderr.close()


class Mock:
    """The mock provider in its own process, with its request counters read over the control pipe."""

    def __init__(self, child: Child, dims: int) -> None:
        self.child = child
        self.dims = dims
        self.base_url: str = child.hello["base_url"]

    @classmethod
    async def start(cls, dims: int) -> Mock:
        return cls(await Child.start("mock", "--dims", str(dims)), dims)

    async def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in (await self.child.command("counts")).items()}

    async def reset(self, latency_s: float = 0.0) -> None:
        """Empty the request log (it grows with every call) and set the mode for the next phase."""
        await self.child.command("reset", dims=self.dims, latency_s=latency_s)

    async def stop(self) -> None:
        await self.child.stop()


class Gateway:
    def __init__(self, child: Child) -> None:
        self.child = child
        self.address = f"127.0.0.1:{child.hello['port']}"

    @classmethod
    async def start(cls, base_url: str, max_connections: int, env: dict[str, str] | None = None) -> Gateway:
        """`env` carries the gateway's own knobs (CVEVAL_GATEWAY_*), read by it whatever its start() accepts."""
        args = ("gateway", "--base-url", base_url, "--max-connections", str(max_connections))
        return cls(await Child.start(*args, env=env))

    def rss_kib(self) -> int | None:
        return self.child.rss_kib()

    def cpu_s(self) -> float | None:
        return self.child.cpu_s()

    async def stop(self) -> None:
        await self.child.stop()
