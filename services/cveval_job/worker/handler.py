"""Handles one queued evaluation: queued → processing → completed | failed, safe under redelivery.

The result is stored before the job says completed, a message for a finished job is acknowledged and
ignored, and a job that keeps failing ends `failed` with a code instead of being redelivered forever.

The attempt budget counts evaluations that really started (the job row's `attempts`), not deliveries: while the
job's own state cannot be read or written (a database outage) the message is left for redelivery with a capped
backoff however long that lasts, and the budget is untouched (decision 0003).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from cveval_job.adapters.jetstream_queue import StatusEvents
from cveval_job.adapters.job_repository import JobRepository
from cveval_job.adapters.job_scope import job_scope
from cveval_job.adapters.result_client import ResultClient
from cveval_job.domain.jobs import COMPLETED, FAILED, PROCESSING, Job
from cveval_job.metrics import JOB_PROCESSING
from cveval_job.scoring.errors import ScoringError
from cveval_job.worker.evaluate import Evaluator, PermanentFailure
from cveval_job.worker.result_mapping import to_result
from cveval_kit import errors
from cveval_kit.jetstream import Delivery, Disposition
from cveval_kit.outages import is_outage
from cveval_kit.telemetry import current_trace_id

log = logging.getLogger(__name__)


class EvaluationHandler:
    def __init__(
        self,
        jobs: JobRepository,
        evaluator: Evaluator,
        results: ResultClient,
        events: StatusEvents,
        max_attempts: int = 5,
        evaluation_timeout_s: float | None = None,
    ) -> None:
        self.jobs = jobs
        self.evaluator = evaluator
        self.results = results
        self.events = events
        self.max_attempts = max_attempts
        # The longest an evaluation may take with every model call within its budget (cveval_job.time_budgets);
        # the reconciler waits longer than this before it publishes a job again. None: no deadline.
        self.evaluation_timeout_s = evaluation_timeout_s

    async def __call__(self, delivery: Delivery) -> Disposition:
        try:
            job_id = str(json.loads(delivery.data)["job_id"])
        except (ValueError, KeyError, TypeError):
            log.error("dead-lettering a malformed message: %r", delivery.data[:200])
            return Disposition.TERM
        try:
            job = await self.jobs.start(job_id)
        except Exception as exc:
            # Not even marked started (the database is out): no attempt spent, nothing to fail; come back later.
            log.warning("job %s could not be started (%s); leaving it for redelivery", job_id, type(exc).__name__)
            return Disposition.RETRY
        if job is None:
            log.info("job %s is finished or unknown; acknowledging the redelivery", job_id)
            return Disposition.ACK
        started = time.perf_counter()
        if job.attempts > self.max_attempts:
            # Every earlier attempt ended without an outcome (the worker died, or could not record a failure).
            return await self._fail(
                job_id, "ATTEMPTS_EXHAUSTED", f"the evaluation was interrupted {job.attempts - 1} times", started
            )
        await self._emit(job_id, PROCESSING)
        try:
            return await self._evaluate(job, job.attempts >= self.max_attempts, started)
        except Exception:
            # Recording the outcome failed (an outage): the message comes back and the outcome is recorded then.
            log.warning("job %s: could not record its outcome; leaving it for redelivery", job_id, exc_info=True)
            return Disposition.RETRY

    async def _evaluate(self, job: Job, last_attempt: bool, started: float) -> Disposition:
        job_id = job.id
        try:
            with job_scope(job.tenant, tuple(d for d in (job.cv_id, job.project_id) if d)):
                async with asyncio.timeout(self.evaluation_timeout_s):
                    outcome = await self.evaluator.run(job, last_attempt=last_attempt)
            result = to_result(job, outcome, current_trace_id())
            await self.results.store(
                job.id, result, tenant=job.tenant, submitted_by=job.submitted_by, cv_id=job.cv_id,
                vacancy_id=job.vacancy_id, batch_id=job.batch_id or "",
            )
        except errors.NotFound as exc:
            if await self.jobs.get(job_id, job.tenant) is None:
                # The candidate was erased while the evaluation ran: nothing is left to record.
                log.info("job %s was deleted during its evaluation; dropping its outcome", job_id)
                return Disposition.ACK
            return await self._fail(job_id, exc.code, exc.message, started)
        except PermanentFailure as exc:
            return await self._fail(job_id, exc.code, exc.message, started)
        except ScoringError as exc:
            return await self._fail(job_id, "SCORING_FAILED", str(exc), started)
        except errors.Unavailable as exc:
            return await self._retry_or_fail(job, last_attempt, exc.message, started)
        except TimeoutError:
            # Past its budget the job would soon be published again by the reconciler: give it up here instead,
            # so it is never evaluated twice at once.
            budget = self.evaluation_timeout_s
            reason = f"the evaluation outlasted its time budget ({budget:g} s)" if budget else "a call timed out"
            return await self._retry_or_fail(job, last_attempt, reason, started)
        except errors.ServiceError as exc:
            return await self._fail(job_id, exc.code, exc.message, started)
        except Exception as exc:
            if is_outage(exc):  # the worker's own database or NATS: transient like an unavailable service
                return await self._retry_or_fail(job, last_attempt, type(exc).__name__, started)
            log.exception("job %s attempt %d failed unexpectedly", job_id, job.attempts)
            if last_attempt:
                return await self._fail(job_id, "INTERNAL", "the evaluation failed repeatedly", started)
            return Disposition.RETRY
        await self.jobs.complete(job_id)
        JOB_PROCESSING.labels("evaluate", COMPLETED).observe(time.perf_counter() - started)
        await self._emit(job_id, COMPLETED)
        return Disposition.ACK

    async def _retry_or_fail(self, job: Job, last_attempt: bool, reason: str, started: float) -> Disposition:
        if last_attempt:
            message = f"gave up after {job.attempts} attempts: {reason}"
            return await self._fail(job.id, "UPSTREAM_UNAVAILABLE", message, started)
        log.warning("job %s attempt %d: %s; will retry", job.id, job.attempts, reason)
        return Disposition.RETRY

    async def _fail(self, job_id: str, code: str, message: str, started: float) -> Disposition:
        log.warning("job %s failed: %s %s", job_id, code, message)
        await self.jobs.fail(job_id, code, message)
        JOB_PROCESSING.labels("evaluate", FAILED).observe(time.perf_counter() - started)
        await self._emit(job_id, FAILED, code, message)
        return Disposition.TERM

    async def _emit(self, job_id: str, status: str, code: str = "", message: str = "") -> None:
        try:
            await self.events.publish(job_id, status, code, message)
        except Exception:
            # Watchers re-read the stored state, so a lost event only delays them.
            log.warning("could not publish the %s event of job %s", status, job_id, exc_info=True)
