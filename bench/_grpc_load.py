"""gRPC straight to the result service: a closed-loop GetResult load, and watch streams held open.

The caller's identity is signed here with the stack's identity secret, as the edge's auth service would sign it, so
these figures are the service's alone (no Envoy, no ext_authz). The watchers' delivery latency is measured against
the job status event itself: this process subscribes to the same NATS subject the result service hears, and each
watcher's receive time is compared with the moment the event reached this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import nats

from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval_kit import identity
from cveval_kit.identity import ADMIN, Identity


def metadata(secret: str, tenant: str = "default") -> tuple[tuple[str, str], ...]:
    token = identity.sign(Identity(tenant, "key:bench", frozenset({ADMIN})), secret.encode("utf-8"))
    return ((identity.IDENTITY_METADATA_KEY, token),)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def get_result_load(addr: str, job_id: str, secret: str, *, callers: int, seconds: float) -> dict[str, Any]:
    """`callers` concurrent loops of GetResult on one channel for `seconds`; errors counted by status code."""
    latencies: list[float] = []
    failures: dict[str, int] = {}
    md = metadata(secret)
    async with grpc.aio.insecure_channel(addr) as channel:
        stub = result_pb2_grpc.ResultServiceStub(channel)
        request = result_pb2.GetResultRequest(id=job_id)
        end = time.monotonic() + seconds

        async def caller() -> None:
            while time.monotonic() < end:
                began = time.perf_counter()
                try:
                    await stub.GetResult(request, metadata=md, timeout=10)
                except grpc.aio.AioRpcError as exc:
                    failures[exc.code().name] = failures.get(exc.code().name, 0) + 1
                    continue
                latencies.append((time.perf_counter() - began) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(caller() for _ in range(callers)))
        window = time.monotonic() - began
    return {"callers": callers, "seconds": window, "requests": len(latencies) + sum(failures.values()),
            "req_per_s": (len(latencies) + sum(failures.values())) / window, "p50_ms": pct(latencies, 50),
            "p99_ms": pct(latencies, 99), "errors": failures}


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds the process has used (/proc/PID/stat), or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Watchers:
    """`count` WatchResult streams over `job_ids` (round robin), spread over a few channels."""

    addr: str
    secret: str
    job_ids: list[str]
    count: int
    channels: int = 8
    received: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (job, status) -> receive times
    opened: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _channels: list[grpc.aio.Channel] = field(default_factory=list)

    async def open(self, within_s: float = 120.0) -> None:
        self._channels = [grpc.aio.insecure_channel(self.addr) for _ in range(self.channels)]
        md = metadata(self.secret)
        first = asyncio.Semaphore(0)
        for i in range(self.count):
            stub = result_pb2_grpc.ResultServiceStub(self._channels[i % self.channels])
            job_id = self.job_ids[i % len(self.job_ids)]
            self._tasks.append(asyncio.create_task(self._follow(stub, job_id, md, first)))
        deadline = time.monotonic() + within_s
        for _ in range(self.count):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(first.acquire(), remaining)
            except TimeoutError:
                break

    async def _follow(self, stub: result_pb2_grpc.ResultServiceStub, job_id: str, md: Any,
                      first: asyncio.Semaphore) -> None:
        announced = False
        try:
            async for update in stub.WatchResult(result_pb2.WatchResultRequest(id=job_id), metadata=md):
                self.received.setdefault((job_id, update.status), []).append(time.monotonic())
                if not announced:
                    announced = True
                    self.opened += 1
                    first.release()
        except grpc.aio.AioRpcError as exc:
            self.errors[exc.code().name] = self.errors.get(exc.code().name, 0) + 1
        finally:
            if not announced:
                first.release()

    async def wait_all(self, within_s: float) -> None:
        await asyncio.wait(self._tasks, timeout=within_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self._channels:
            await channel.close()


async def event_times(nats_url: str, user: str, password: str, subject: str,
                      seen: dict[tuple[str, str], float]) -> nats.NATS:
    """Record when each job status event reaches this process; returns the connection (drain it at the end)."""
    nc = await nats.connect(nats_url, user=user, password=password)

    async def on_event(msg: Any) -> None:
        body = json.loads(msg.data)
        seen.setdefault((body["id"], body["status"]), time.monotonic())

    await nc.subscribe(subject, cb=on_event)
    return nc


def delivery_ms(events: dict[tuple[str, str], float], received: dict[tuple[str, str], list[float]]) -> list[float]:
    """Each watcher's receive time minus the time its status event reached the benchmark."""
    delays: list[float] = []
    for key, at in events.items():
        delays.extend((t - at) * 1000 for t in received.get(key, []))
    return delays


def fan_out(events: dict[tuple[str, str], float],
            received: dict[tuple[str, str], list[float]]) -> dict[str, float | None]:
    """Per status event: its first watcher's delay (how soon the service reacts) and the spread from its first to
    its last watcher (what writing one message to each of the job's streams costs, here and in this client)."""
    first: list[float] = []
    spread: list[float] = []
    for key, at in events.items():
        times = received.get(key)
        if times:
            first.append((min(times) - at) * 1000)
            spread.append((max(times) - min(times)) * 1000)
    return {"events": len(first), "first_p50_ms": pct(first, 50), "first_max_ms": max(first) if first else None,
            "spread_p50_ms": pct(spread, 50), "spread_max_ms": max(spread) if spread else None}


def summary(delays: list[float]) -> dict[str, Any]:
    return {"deliveries": len(delays), "p50_ms": pct(delays, 50), "p99_ms": pct(delays, 99),
            "max_ms": max(delays) if delays else None, "mean_ms": statistics.fmean(delays) if delays else None}
