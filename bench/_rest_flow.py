"""The original's Artillery flow against the REST API: upload, evaluate, then follow the job, at an arrival rate.

Open loop, as Artillery's `arrivalRate`: a new virtual user starts on schedule whether or not the earlier ones are
done, so a system that falls behind shows it as growing completion times rather than as a slower client. Every loop
is bounded in count and in time: arrivals by the phases, polls by the job timeout, the drain by its own deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_pdf, make_txt

TERMINAL = frozenset({"completed", "failed"})
REQUEST_TIMEOUT_S = 30.0
WATCH_ATTEMPTS = 5  # a watch that ends before the job does (idle timeout, restart) is opened again, this often


@dataclass(frozen=True)
class Phase:
    rate: float  # new flows per second
    seconds: float


@dataclass(frozen=True)
class FlowOptions:
    watch: bool  # follow with the streaming watch instead of polling
    poll_interval_s: float
    job_timeout_s: float  # evaluate -> terminal status, after which the flow counts as timed out
    drain_s: float  # after the last arrival, how long the unfinished flows may still run


@dataclass
class Endpoint:
    """One REST endpoint as the client saw it: latencies of the answered requests, failures by status or error."""

    requests: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class FlowRecord:
    index: int
    scheduled_s: float  # when it should have started, from the first arrival
    late_ms: float = 0.0  # how much later it really started: the load generator's own lag
    outcome: str = "cut"  # completed | failed | timed_out | upload_error | evaluate_error | cut
    job_id: str = ""
    completion_s: float | None = None  # evaluate sent -> terminal status seen by the client
    polls: int = 0
    error_code: str = ""


def _distinct(text: str, i: int | None) -> str:
    """The text with the user's number in every paragraph, so no part of it is served from an embedding cache."""
    if i is None:
        return text
    return "\n\n".join(f"[{i}] {paragraph}" for paragraph in text.split("\n\n"))


def _documents(i: int | None) -> tuple[bytes, bytes]:
    return make_pdf(_distinct(SAMPLE_CV, i)), make_txt(_distinct(SAMPLE_PROJECT_REPORT, i))


def build_documents(count: int, same: bool, pool: Executor) -> list[Future[tuple[bytes, bytes]]]:
    """Each user's CV (PDF) and report (TXT), distinct per user (a counter in every paragraph) unless `same`.

    Built in a process pool while the stack starts, since one PDF takes ~25 ms of CPU: index 0 is the warm-up
    flow, users are 1..count.
    """
    if same:
        return [pool.submit(_documents, None)] * (count + 1)
    return [pool.submit(_documents, i) for i in range(count + 1)]


class Load:
    def __init__(self, client: httpx.AsyncClient, opts: FlowOptions) -> None:
        self.client = client
        self.opts = opts
        names = ("upload", "evaluate", "watch" if opts.watch else "result")
        self.endpoints: dict[str, Endpoint] = {name: Endpoint() for name in names}

    async def _request(self, name: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """One timed request; None when it did not answer 2xx (the failure is tallied under `name`)."""
        endpoint = self.endpoints[name]
        endpoint.requests += 1
        began = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            endpoint.errors[type(exc).__name__] += 1
            return None
        if response.status_code >= 300:
            endpoint.errors[str(response.status_code)] += 1
            return None
        endpoint.latencies_ms.append((time.perf_counter() - began) * 1000)
        return response

    async def flow(self, record: FlowRecord, docs: tuple[bytes, bytes]) -> FlowRecord:
        cv, report = docs
        files = {"cv": ("cv.pdf", cv, "application/pdf"), "project": ("report.txt", report, "text/plain")}
        uploaded = await self._request("upload", "POST", "/v1/upload", files=files)
        if uploaded is None:
            record.outcome = "upload_error"
            return record
        ids = uploaded.json()
        sent = time.monotonic()
        queued = await self._request("evaluate", "POST", "/v1/evaluate",
                                     json={"cv_id": ids["cv_id"], "project_id": ids["project_id"]})
        if queued is None:
            record.outcome = "evaluate_error"
            return record
        record.job_id = queued.json()["id"]
        deadline = sent + self.opts.job_timeout_s
        final = await (self._watch(record, deadline) if self.opts.watch else self._poll(record, deadline))
        if final is None:
            record.outcome = "timed_out"
            return record
        record.completion_s = time.monotonic() - sent
        record.outcome = str(final["status"])
        record.error_code = str((final.get("error") or {}).get("code", ""))
        return record

    async def _poll(self, record: FlowRecord, deadline: float) -> dict[str, Any] | None:
        max_polls = int(self.opts.job_timeout_s / max(self.opts.poll_interval_s, 0.01)) + 1
        for _ in range(max_polls):
            if time.monotonic() >= deadline:
                return None
            record.polls += 1
            response = await self._request("result", "GET", f"/v1/result/{record.job_id}")
            if response is not None:
                body: dict[str, Any] = response.json()
                if body.get("status") in TERMINAL:
                    return body
            await asyncio.sleep(self.opts.poll_interval_s)
        return None

    async def _watch(self, record: FlowRecord, deadline: float) -> dict[str, Any] | None:
        """The server-streamed watch; its latency figure is the time to the response headers (the first update)."""
        endpoint = self.endpoints["watch"]
        for _ in range(WATCH_ATTEMPTS):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            endpoint.requests += 1
            record.polls += 1
            began = time.perf_counter()
            timeout = httpx.Timeout(REQUEST_TIMEOUT_S, read=remaining)
            try:
                async with asyncio.timeout(remaining), \
                        self.client.stream("GET", f"/v1/result/{record.job_id}/watch", timeout=timeout) as response:
                    if response.status_code >= 300:
                        endpoint.errors[str(response.status_code)] += 1
                        await asyncio.sleep(self.opts.poll_interval_s)
                        continue
                    endpoint.latencies_ms.append((time.perf_counter() - began) * 1000)
                    body = await response.aread()
            except TimeoutError:
                endpoint.errors["Timeout"] += 1
                return None
            except httpx.HTTPError as exc:
                endpoint.errors[type(exc).__name__] += 1
                continue
            updates = json.loads(body) if body.strip() else []
            last: dict[str, Any] = updates[-1] if updates else {}
            if last.get("status") in TERMINAL:
                return last
        return None

    async def run(self, phases: Sequence[Phase], documents: Sequence[tuple[bytes, bytes]],
                  ) -> tuple[list[FlowRecord], float]:
        """Start flows on the phases' schedule, then wait for them up to the drain deadline. Returns the records
        and the wall time from the first arrival to the last flow's end (or the drain deadline)."""
        records: list[FlowRecord] = []
        tasks: list[asyncio.Task[FlowRecord]] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        offset = 0.0
        index = 1
        for phase in phases:
            count = round(phase.rate * phase.seconds)
            for k in range(count):
                due = offset + k / phase.rate
                await asyncio.sleep(max(0.0, start + due - loop.time()))
                record = FlowRecord(index=index, scheduled_s=due, late_ms=(loop.time() - start - due) * 1000)
                records.append(record)
                tasks.append(asyncio.create_task(self.flow(record, documents[index])))
                index += 1
            offset += phase.seconds
        if tasks:
            await asyncio.wait(tasks, timeout=self.opts.drain_s)
        for task in tasks:
            task.cancel()  # past the drain deadline: counted as "cut"
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        return records, loop.time() - start



async def warm_up(client: httpx.AsyncClient, opts: FlowOptions, docs: tuple[bytes, bytes]) -> FlowRecord:
    """One flow before the measured load (first connections, first evaluation); its figures are discarded."""
    return await Load(client, opts).flow(FlowRecord(index=0, scheduled_s=0.0), docs)


async def loop_lag(stop: asyncio.Event, samples: list[float], period_s: float = 0.05) -> None:
    """How late a 50 ms sleep wakes up in this process: when it grows, the load generator itself is saturated."""
    loop = asyncio.get_running_loop()
    for _ in range(10_000_000):  # bounded; the stop event ends it long before
        if stop.is_set():
            return
        due = loop.time() + period_s
        await asyncio.sleep(period_s)
        samples.append(max(0.0, loop.time() - due) * 1000)
