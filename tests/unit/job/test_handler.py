"""The worker's message handling with in-memory fakes: state changes, retries, terminal failures, ordering."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from cveval_job.domain.jobs import COMPLETED, FAILED, PROCESSING, QUEUED, Job
from cveval_job.scoring.errors import ScoringError
from cveval_job.worker.evaluate import PermanentFailure
from cveval_job.worker.handler import EvaluationHandler
from cveval_kit import errors
from cveval_kit.jetstream import Delivery, Disposition

NOW = datetime(2026, 11, 26, tzinfo=UTC)


@dataclass
class FakeJobs:
    job: Job
    log: list[str] = field(default_factory=list)
    outage: bool = False  # the database is out: every call raises as asyncpg does

    async def start(self, job_id: str) -> Job | None:
        if self.outage:
            raise ConnectionRefusedError(111, "Connect call failed")
        if self.job.status not in (QUEUED, PROCESSING):
            return None
        self.job = replace(self.job, status=PROCESSING, attempts=self.job.attempts + 1)
        self.log.append("start")
        return self.job

    async def complete(self, job_id: str) -> bool:
        if self.outage:
            raise ConnectionRefusedError(111, "Connect call failed")
        self.job = replace(self.job, status=COMPLETED)
        self.log.append("complete")
        return True

    async def fail(self, job_id: str, code: str, message: str) -> bool:
        self.job = replace(self.job, status=FAILED, error_code=code, error_message=message)
        self.log.append(f"fail:{code}")
        return True


@dataclass
class FakeEvaluator:
    error: Exception | None = None
    last_attempts: list[bool] = field(default_factory=list)

    async def run(self, job: Job, *, last_attempt: bool = False) -> Any:
        self.last_attempts.append(last_attempt)
        if self.error is not None:
            raise self.error
        return object()


@dataclass
class FakeResults:
    log: list[str]

    async def store(self, job_id: str, result: Any, *, tenant: str, submitted_by: str, cv_id: str,
                    vacancy_id: str = "", batch_id: str = "") -> bool:
        assert tenant, "a result is stored within its job's tenant"
        self.log.append("store")
        return True


@dataclass
class FakeEvents:
    statuses: list[str] = field(default_factory=list)

    async def publish(self, job_id: str, status: str, code: str = "", message: str = "") -> None:
        self.statuses.append(status)


MAX_ATTEMPTS = 3


def make_handler(
    evaluator: FakeEvaluator, status: str = QUEUED, attempts: int = 0
) -> tuple[EvaluationHandler, FakeJobs, FakeEvents]:
    jobs = FakeJobs(Job("j1", status, "cv", "pr", "vac", attempts, NOW, NOW))
    events = FakeEvents()
    handler = EvaluationHandler(
        jobs,  # type: ignore[arg-type]
        evaluator,  # type: ignore[arg-type]
        FakeResults(jobs.log),  # type: ignore[arg-type]
        events,  # type: ignore[arg-type]
        max_attempts=MAX_ATTEMPTS,
    )
    return handler, jobs, events


def delivery(attempt: int = 1, last: bool = False, data: bytes = b'{"job_id": "j1"}') -> Delivery:
    return Delivery(data, {}, attempt, last)


@pytest.fixture(autouse=True)
def _no_result_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cveval_job.worker.handler.to_result", lambda job, outcome, trace_id: {"job": job.id})


async def test_success_stores_the_result_before_completing() -> None:
    handler, jobs, events = make_handler(FakeEvaluator())
    assert await handler(delivery()) is Disposition.ACK
    assert jobs.log == ["start", "store", "complete"]
    assert events.statuses == [PROCESSING, COMPLETED]


@pytest.mark.parametrize("status", [COMPLETED, FAILED])
async def test_redelivery_of_a_finished_job_is_acked_and_ignored(status: str) -> None:
    handler, jobs, events = make_handler(FakeEvaluator(), status=status)
    assert await handler(delivery(attempt=2)) is Disposition.ACK
    assert jobs.log == [] and events.statuses == []


async def test_permanent_failure_ends_failed_without_retry() -> None:
    handler, jobs, _ = make_handler(FakeEvaluator(PermanentFailure("DOCUMENT_NOT_FOUND", "cv document gone")))
    assert await handler(delivery()) is Disposition.TERM
    assert jobs.job.status == FAILED and jobs.job.error_code == "DOCUMENT_NOT_FOUND"


async def test_scoring_error_ends_failed() -> None:
    handler, jobs, _ = make_handler(FakeEvaluator(ScoringError("model omitted technical_skills")))
    assert await handler(delivery()) is Disposition.TERM
    assert jobs.job.error_code == "SCORING_FAILED"
    assert "technical_skills" in (jobs.job.error_message or "")


async def test_unavailable_upstream_retries_then_fails_on_the_last_attempt() -> None:
    handler, jobs, events = make_handler(FakeEvaluator(errors.Unavailable("ai-gateway down")))
    assert await handler(delivery(attempt=1)) is Disposition.RETRY
    assert jobs.job.status == PROCESSING
    assert await handler(delivery(attempt=2)) is Disposition.RETRY
    assert await handler(delivery(attempt=3)) is Disposition.TERM
    assert jobs.job.status == FAILED and jobs.job.error_code == "UPSTREAM_UNAVAILABLE"
    assert "3 attempts" in (jobs.job.error_message or "")
    assert events.statuses[-1] == FAILED


async def test_unexpected_errors_retry_and_never_leak_details() -> None:
    handler, jobs, _ = make_handler(FakeEvaluator(RuntimeError("SELECT * FROM secret")), attempts=MAX_ATTEMPTS - 2)
    assert await handler(delivery()) is Disposition.RETRY
    assert await handler(delivery(attempt=2)) is Disposition.TERM
    assert jobs.job.error_code == "INTERNAL"
    assert "SELECT" not in (jobs.job.error_message or "")


async def test_a_job_that_cannot_be_started_is_left_for_redelivery_however_often() -> None:
    # The budget counts started evaluations: a database outage spends none of it, whatever JetStream counts.
    handler, jobs, events = make_handler(FakeEvaluator())
    jobs.outage = True
    for attempt in range(1, 20):
        assert await handler(delivery(attempt=attempt, last=attempt >= MAX_ATTEMPTS)) is Disposition.RETRY
    assert jobs.job.status == QUEUED and jobs.job.attempts == 0 and events.statuses == []
    jobs.outage = False
    assert await handler(delivery(attempt=20, last=True)) is Disposition.ACK
    assert jobs.job.status == COMPLETED


async def test_an_outcome_that_cannot_be_recorded_is_retried_not_lost() -> None:
    handler, jobs, _ = make_handler(FakeEvaluator())
    original_store = FakeResults.store

    async def store_then_lose_the_database(self: FakeResults, job_id: str, result: Any, **scope: str) -> bool:
        jobs.outage = True
        return await original_store(self, job_id, result, **scope)

    handler.results.store = store_then_lose_the_database.__get__(handler.results)  # type: ignore[method-assign]
    assert await handler(delivery()) is Disposition.RETRY
    assert jobs.job.status == PROCESSING


async def test_a_database_outage_inside_the_evaluation_is_transient() -> None:
    handler, jobs, _ = make_handler(FakeEvaluator(ConnectionResetError(104, "reset")))
    assert await handler(delivery()) is Disposition.RETRY
    assert jobs.job.status == PROCESSING


async def test_a_job_interrupted_past_its_budget_ends_failed_without_running() -> None:
    # The earlier attempts died with the worker (or could not record their failure): stop the crash loop.
    evaluator = FakeEvaluator()
    handler, jobs, _ = make_handler(evaluator, status=PROCESSING, attempts=MAX_ATTEMPTS)
    assert await handler(delivery(attempt=4)) is Disposition.TERM
    assert jobs.job.error_code == "ATTEMPTS_EXHAUSTED"
    assert evaluator.last_attempts == []


@pytest.mark.parametrize("data", [b"not json", b"{}", json.dumps([1]).encode()])
async def test_malformed_messages_are_terminated(data: bytes) -> None:
    handler, jobs, _ = make_handler(FakeEvaluator())
    assert await handler(delivery(data=data)) is Disposition.TERM
    assert jobs.log == []


async def test_the_evaluator_knows_whether_this_is_the_last_attempt() -> None:
    # Only the last attempt may fall back to the offline scorer (worker/evaluate.py).
    evaluator = FakeEvaluator(errors.Unavailable("ai-gateway down"))
    handler, _, _ = make_handler(evaluator)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await handler(delivery(attempt=attempt))
    assert evaluator.last_attempts == [False, False, True]


@dataclass
class SlowEvaluator:
    """An evaluation that takes longer than the handler's deadline (a model far slower than its budgets)."""

    delay_s: float = 5.0

    async def run(self, job: Job, *, last_attempt: bool = False) -> Any:
        import asyncio

        await asyncio.sleep(self.delay_s)
        return object()


async def test_an_evaluation_past_its_time_budget_is_given_up_then_fails_on_the_last_attempt() -> None:
    handler, jobs, events = make_handler(SlowEvaluator(), attempts=MAX_ATTEMPTS - 2)  # type: ignore[arg-type]
    handler.evaluation_timeout_s = 0.05
    assert await handler(delivery()) is Disposition.RETRY  # not held past the budget: the job goes back
    assert jobs.job.status == PROCESSING
    assert await handler(delivery(attempt=2)) is Disposition.TERM
    assert jobs.job.error_code == "UPSTREAM_UNAVAILABLE"
    assert "outlasted its time budget (0.05 s)" in (jobs.job.error_message or "")
    assert "store" not in jobs.log and events.statuses[-1] == FAILED
