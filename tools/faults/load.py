"""The client side of the drill: evaluations at a steady rate, retried on 503 as a well-behaved client would (after
Retry-After, with the same Idempotency-Key), and the final state of every job they created."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import httpx

MAX_CLIENT_TRIES = 30


@dataclass
class Tally:
    sent: int = 0
    accepted: int = 0
    refused: Counter[int] = field(default_factory=Counter)  # HTTP status of attempts that were turned away
    given_up: int = 0
    job_ids: dict[str, set[str]] = field(default_factory=dict)  # idempotency key → job ids it produced
    accepted_at: dict[str, float] = field(default_factory=dict)  # job id → wall-clock time it was accepted


@dataclass
class Outcome:
    completed: int
    failed: Counter[str]
    unfinished: int
    rerun: int  # completed jobs that were started more than once (a crash or an outage interrupted them)
    finished_at: dict[str, float]  # job id → wall-clock time it reached its final status


async def upload_pair(client: httpx.AsyncClient, cv: bytes, project: bytes) -> tuple[str, str]:
    files = {"cv": ("cv.pdf", cv, "application/pdf"), "project": ("report.txt", project, "text/plain")}
    response = await client.post("/v1/upload", files=files)
    response.raise_for_status()
    body = response.json()
    return str(body["cv_id"]), str(body["project_id"])


async def evaluate(client: httpx.AsyncClient, pair: tuple[str, str], tally: Tally) -> None:
    key = str(uuid.uuid4())
    tally.sent += 1
    ids = tally.job_ids.setdefault(key, set())
    for _ in range(MAX_CLIENT_TRIES):
        delay = 1.0
        try:
            response = await client.post(
                "/v1/evaluate",
                json={"cv_id": pair[0], "project_id": pair[1]},
                headers={"Idempotency-Key": key},
            )
        except httpx.HTTPError:
            tally.refused[0] += 1
        else:
            if response.status_code == 200:
                job_id = str(response.json()["id"])
                ids.add(job_id)
                tally.accepted_at.setdefault(job_id, time.time())
                tally.accepted += 1
                return
            tally.refused[response.status_code] += 1
            delay = float(response.headers.get("retry-after", "1"))
        await asyncio.sleep(delay)
    tally.given_up += 1


async def flow(
    client: httpx.AsyncClient, pair: tuple[str, str], tally: Tally, rate: float, stop: asyncio.Event
) -> None:
    """One evaluation every 1/rate seconds until `stop`; each is retried on its own so a slow one never stalls the
    flow. Returns when every request has been answered or given up."""
    pending: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        task = asyncio.create_task(evaluate(client, pair, tally))
        pending.add(task)
        task.add_done_callback(pending.discard)
        await asyncio.sleep(1 / rate)
    if pending:
        await asyncio.wait(pending)


async def job_states(client: httpx.AsyncClient, ids: list[str]) -> dict[str, dict[str, object]]:
    states: dict[str, dict[str, object]] = {}
    for job_id in ids:
        try:
            response = await client.get(f"/v1/jobs/{job_id}")
        except httpx.HTTPError:
            continue
        if response.status_code == 200:
            states[job_id] = response.json()["job"]
    return states


async def settle(client: httpx.AsyncClient, ids: list[str], limit_s: float) -> tuple[Outcome, float]:
    """Poll until every job is finished (or `limit_s` passes); the outcome and when the last one finished."""
    began = time.monotonic()
    states: dict[str, dict[str, object]] = {}
    while True:
        states = await job_states(client, ids)
        finished = [s for s in states.values() if s["status"] in ("completed", "failed")]
        if len(finished) == len(ids) or time.monotonic() - began > limit_s:
            break
        await asyncio.sleep(0.5)
    settled_at = time.monotonic()
    failed: Counter[str] = Counter()
    completed = rerun = 0
    finished_at: dict[str, float] = {}
    for job_id, state in states.items():
        if state["status"] in ("completed", "failed"):
            finished_at[job_id] = datetime.fromisoformat(str(state["updated_at"])).timestamp()
        if state["status"] == "completed":
            completed += 1
            rerun += int(str(state.get("attempts", 1))) > 1
        elif state["status"] == "failed":
            error = state.get("error") or {}
            failed[str(error.get("code", "?")) if isinstance(error, dict) else "?"] += 1
    unfinished = len(ids) - completed - sum(failed.values())
    return Outcome(completed, failed, unfinished, rerun, finished_at), settled_at
