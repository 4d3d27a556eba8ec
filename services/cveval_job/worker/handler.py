"""Handles one queued evaluation: queued → processing → completed | failed, safe under redelivery.

The result is stored before the job says completed, a message for a finished job is acknowledged and
ignored, and a job that keeps failing ends `failed` with a code instead of being redelivered forever.
"""

from __future__ import annotations

import json
import logging
import time

from prometheus_client import Histogram

from cveval_job.adapters.jetstream_queue import StatusEvents
from cveval_job.adapters.job_repository import JobRepository
from cveval_job.adapters.job_scope import job_scope
from cveval_job.adapters.result_client import ResultClient
from cveval_job.domain.jobs import COMPLETED, FAILED, PROCESSING
from cveval_job.scoring.errors import ScoringError
from cveval_job.worker.evaluate import Evaluator, PermanentFailure
from cveval_job.worker.result_mapping import to_result
from cveval_kit import errors
from cveval_kit.jetstream import Delivery, Disposition
from cveval_kit.telemetry import current_trace_id

log = logging.getLogger(__name__)

# Named as in the original system's ops guide so its dashboards keep working.
JOB_PROCESSING = Histogram(
    "job_processing_duration_seconds",
    "Time spent processing jobs",
    ["job_type", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),  # the original's, plus finer ones below 1 s
)


class EvaluationHandler:
    def __init__(self, jobs: JobRepository, evaluator: Evaluator, results: ResultClient, events: StatusEvents) -> None:
        self.jobs = jobs
        self.evaluator = evaluator
        self.results = results
        self.events = events

    async def __call__(self, delivery: Delivery) -> Disposition:
        try:
            job_id = str(json.loads(delivery.data)["job_id"])
        except (ValueError, KeyError, TypeError):
            log.error("dropping a malformed message: %r", delivery.data[:200])
            return Disposition.TERM
        job = await self.jobs.start(job_id)
        if job is None:
            log.info("job %s is finished or unknown; acknowledging the redelivery", job_id)
            return Disposition.ACK
        await self._emit(job_id, PROCESSING)
        started = time.perf_counter()
        try:
            with job_scope(job.tenant, (job.cv_id, job.project_id)):
                outcome = await self.evaluator.run(job, last_attempt=delivery.last_attempt)
            result = to_result(job, outcome, current_trace_id())
            await self.results.store(
                job.id, result, tenant=job.tenant, submitted_by=job.submitted_by, cv_id=job.cv_id
            )
        except PermanentFailure as exc:
            return await self._fail(job_id, exc.code, exc.message, started)
        except ScoringError as exc:
            return await self._fail(job_id, "SCORING_FAILED", str(exc), started)
        except errors.Unavailable as exc:
            if delivery.last_attempt:
                return await self._fail(
                    job_id, "UPSTREAM_UNAVAILABLE", f"gave up after {delivery.attempt} attempts: {exc.message}", started
                )
            log.warning("job %s attempt %d: %s; will retry", job_id, delivery.attempt, exc.message)
            return Disposition.RETRY
        except errors.ServiceError as exc:
            return await self._fail(job_id, exc.code, exc.message, started)
        except Exception:
            log.exception("job %s attempt %d failed unexpectedly", job_id, delivery.attempt)
            if delivery.last_attempt:
                return await self._fail(job_id, "INTERNAL", "the evaluation failed repeatedly", started)
            return Disposition.RETRY
        await self.jobs.complete(job_id)
        JOB_PROCESSING.labels("evaluate", COMPLETED).observe(time.perf_counter() - started)
        await self._emit(job_id, COMPLETED)
        return Disposition.ACK

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
