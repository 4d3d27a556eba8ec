"""The result service's read path with its caches: what it asks the database and the job service, and that the access
rule and the audit hold for cached answers too."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from cveval.result.v1 import result_pb2
from cveval_kit import audit, errors
from cveval_kit.identity import REVIEWER, SUBMITTER, Identity
from cveval_result.adapters.events import Wakeups
from cveval_result.adapters.job_client import JobState
from cveval_result.adapters.repository import StoredResult
from cveval_result.cache import etag_of
from cveval_result.service import ResultApplication

ALICE = Identity("t1", "key:alice", frozenset({SUBMITTER}))
BOB = Identity("t1", "key:bob", frozenset({SUBMITTER}))
REVIEW = Identity("t1", "key:rev", frozenset({REVIEWER}))
OTHER_TENANT = Identity("t2", "key:alice", frozenset({REVIEWER}))


def _payload() -> bytes:
    result = result_pb2.EvaluationResult(cv_match_rate=0.5, project_score=3.0, overall_summary="ok")
    return result.SerializeToString(deterministic=True)


def _valid_payload() -> bytes:
    result = result_pb2.EvaluationResult(
        cv_match_rate=0.5, project_score=3.0, cv_feedback="good", project_feedback="fine", overall_summary="ok"
    )
    result.breakdown.add(parameter="correctness", score=3)
    return result.SerializeToString(deterministic=True)


class Results:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], StoredResult] = {}
        self.reads = 0

    async def get(self, tenant: str, job_id: str) -> StoredResult | None:
        self.reads += 1
        await asyncio.sleep(0)  # a real read yields: concurrent callers arrive meanwhile
        return self.rows.get((tenant, job_id))

    async def delete(self, tenant: str, job_ids: list[str]) -> int:
        return sum(self.rows.pop((tenant, j), None) is not None for j in job_ids)

    async def add(self, job_id: str, payload: bytes, *args: Any, tenant: str, submitted_by: str, cv_id: str,
                  **kwargs: Any) -> bool:
        created = (tenant, job_id) not in self.rows
        self.rows.setdefault((tenant, job_id), StoredResult(payload, submitted_by, cv_id))
        return created


class Jobs:
    def __init__(self) -> None:
        self.states: dict[tuple[str, str], JobState] = {}
        self.calls = 0

    async def state(self, tenant: str, job_id: str) -> JobState | None:
        self.calls += 1
        await asyncio.sleep(0)  # a call yields: concurrent callers arrive meanwhile
        return self.states.get((tenant, job_id))


class Events:
    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[Wakeups]:
        yield Wakeups()


class Trail:
    def __init__(self) -> None:
        self.events: list[audit.AuditEvent] = []

    async def record(self, event: audit.AuditEvent) -> None:
        self.events.append(event)


def _app() -> tuple[ResultApplication, Results, Jobs, Trail]:
    results, jobs, trail = Results(), Jobs(), Trail()
    app = ResultApplication(cast(Any, results), cast(Any, jobs), Events(), trail)
    return app, results, jobs, trail


async def test_a_completed_result_is_read_once_then_served_from_memory_and_every_read_audited() -> None:
    app, results, jobs, trail = _app()
    job = str(uuid.uuid4())
    results.rows[("t1", job)] = StoredResult(_payload(), "key:alice", "cv-1")
    first = await app.view(ALICE, job)
    second = await app.view(REVIEW, job)
    assert first.status == second.status == "completed" and first.etag and first.etag == second.etag
    assert results.reads == 1 and jobs.calls == 0
    assert len(trail.events) == 2  # one audit event per disclosed read, cached or not
    with pytest.raises(errors.NotFound):
        await app.view(BOB, job)  # another submitter: the cached entry keeps the owner
    with pytest.raises(errors.NotFound):
        await app.view(OTHER_TENANT, job)
    assert len(trail.events) == 2


async def test_in_flight_polls_follow_the_events_without_asking_the_job_service() -> None:
    app, results, jobs, _ = _app()
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("queued", submitted_by="key:alice")
    assert (await app.view(ALICE, job)).status == "queued"
    assert (await app.view(ALICE, job)).status == "queued"
    assert jobs.calls == 1 and results.reads == 1
    with pytest.raises(errors.NotFound):
        await app.view(BOB, job)
    app.job_status_changed(job, "processing")
    assert (await app.view(ALICE, job)).status == "processing"
    assert jobs.calls == 1
    results.rows[("t1", job)] = StoredResult(_payload(), "key:alice", "cv-1")
    app.job_status_changed(job, "completed")  # an ended job is read from the database next
    assert (await app.view(ALICE, job)).status == "completed"


async def test_unknown_ids_are_remembered_briefly_and_deletion_forgets_results() -> None:
    app, results, jobs, _ = _app()
    unknown = str(uuid.uuid4())
    for _ in range(3):
        with pytest.raises(errors.NotFound):
            await app.view(ALICE, unknown)
    assert jobs.calls == 1
    job = str(uuid.uuid4())
    results.rows[("t1", job)] = StoredResult(_payload(), "key:alice", "cv-1")
    await app.view(ALICE, job)
    assert await app.delete("t1", [job]) == 1
    with pytest.raises(errors.NotFound):
        await app.view(ALICE, job)  # not served from memory after the erasure (the job service erased it first)


async def test_concurrent_misses_of_one_result_share_one_database_read() -> None:
    app, results, _, trail = _app()
    job = str(uuid.uuid4())
    results.rows[("t1", job)] = StoredResult(_payload(), "key:alice", "cv-1")
    views = await asyncio.gather(*(app.view(ALICE, job) for _ in range(20)))
    assert {v.status for v in views} == {"completed"}
    assert results.reads == 1 and len(trail.events) == 20


async def test_concurrent_misses_of_a_job_in_flight_share_one_job_service_call() -> None:
    app, results, jobs, _ = _app()
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("processing", submitted_by="key:alice")
    views = await asyncio.gather(*(app.view(ALICE, job) for _ in range(100)))  # 100 watchers re-checking at once
    assert {v.status for v in views} == {"processing"}
    assert jobs.calls == 1 and results.reads == 1
    app.in_flight.drop(job)  # the cached state expired
    jobs.states[("t1", job)] = JobState("failed", submitted_by="key:alice", error_code="E")
    views = await asyncio.gather(*(app.view(ALICE, job) for _ in range(10)))
    assert {v.status for v in views} == {"failed"} and jobs.calls == 2  # a later miss asks again


async def test_a_stored_result_is_served_without_a_read_and_a_deleted_one_is_not() -> None:
    app, results, jobs, trail = _app()
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("processing", submitted_by="key:alice")
    stored = result_pb2.EvaluationResult.FromString(_valid_payload())
    assert await app.store(job, stored, tenant="t1", submitted_by="key:alice", cv_id="cv-1")
    view = await app.view(ALICE, job)
    assert view.status == "completed" and view.result == stored and results.reads == 0
    assert view.etag == etag_of(stored.SerializeToString(deterministic=True))
    with pytest.raises(errors.NotFound):
        await app.view(BOB, job)  # the access rule holds for what the store put in memory too
    jobs.states.clear()  # an erasure: the job service erases the job first, then the results
    await app.delete("t1", [job])
    with pytest.raises(errors.NotFound):
        await app.view(ALICE, job)
    assert len(trail.events) == 1
