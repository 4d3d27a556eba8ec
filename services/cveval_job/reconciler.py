"""The reconciler: no accepted job is ever stranded, whatever was lost on the way.

A job can be left unfinished with no message that will ever finish it: a publish that failed (the outbox case), a
message lost with a NATS store, terminated by an older release, or dropped by a broken consumer. Each pass, run by
every job-service replica:

1. publishes jobs never published (`published_at IS NULL`) with their usual de-duplication id;
2. claims queued/processing jobs untouched for `stuck_after` (SKIP LOCKED: each is claimed by one replica) and
   publishes them again under a new message id (the duplicate window would drop the usual one), or fails them with
   DEADLINE_EXCEEDED once they are older than `deadline`.

A second message for a job that is in fact still moving is harmless: the worker's guarded start and the result
service's write-once store make processing idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cveval_job.domain.jobs import Job
from cveval_job.metrics import RECONCILED
from cveval_job.ports import JobQueue

log = logging.getLogger(__name__)

DEADLINE_CODE = "DEADLINE_EXCEEDED"


class ReconcilableJobs(Protocol):
    async def unpublished(self, older_than: timedelta, limit: int = 100) -> list[tuple[str, str]]: ...

    async def mark_published(self, job_id: str) -> None: ...

    async def claim_stale(self, untouched_for: timedelta, limit: int = 100) -> list[Job]: ...

    async def fail(self, job_id: str, code: str, message: str) -> bool: ...


@dataclass(frozen=True)
class ReconcilePolicy:
    stuck_after: timedelta = timedelta(minutes=10)
    deadline: timedelta = timedelta(hours=24)
    unpublished_after: timedelta = timedelta(seconds=5)


@dataclass
class PassReport:
    published: int = 0
    republished: int = 0
    failed: int = 0


def overdue(job: Job, now: datetime, deadline: timedelta) -> bool:
    return now - job.created_at > deadline


class Reconciler:
    def __init__(self, jobs: ReconcilableJobs, queue: JobQueue, policy: ReconcilePolicy) -> None:
        self.jobs = jobs
        self.queue = queue
        self.policy = policy

    async def run_once(self) -> PassReport:
        report = PassReport()
        for job_id, tenant in await self.jobs.unpublished(self.policy.unpublished_after):
            await self.queue.publish(job_id, tenant)
            await self.jobs.mark_published(job_id)
            report.published += 1
        now = datetime.now(UTC)
        for job in await self.jobs.claim_stale(self.policy.stuck_after):
            if overdue(job, now, self.policy.deadline):
                message = f"the job did not finish within {self.policy.deadline} of being accepted"
                if await self.jobs.fail(job.id, DEADLINE_CODE, message):
                    report.failed += 1
                    RECONCILED.labels("failed").inc()
                continue
            # A new message id per pass: within JetStream's duplicate window the usual id would be dropped.
            await self.queue.publish(job.id, job.tenant, republish=f"r{int(now.timestamp())}")
            log.warning("job %s was %s and untouched since %s; published again", job.id, job.status, job.updated_at)
            report.republished += 1
            RECONCILED.labels("republished").inc()
        return report

    async def run_forever(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                report = await self.run_once()
            except Exception:
                # An outage of the database or NATS: the next pass tries again; nothing is lost meanwhile.
                log.warning("reconciler pass failed", exc_info=True)
                continue
            if report.published or report.republished or report.failed:
                log.info(
                    "reconciler: %d published, %d published again, %d failed past their deadline",
                    report.published,
                    report.republished,
                    report.failed,
                )
