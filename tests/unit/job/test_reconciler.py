"""The reconciler with in-memory fakes: unpublished jobs are published, stale ones republished or failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cveval_job.domain.jobs import PROCESSING, QUEUED, Job
from cveval_job.reconciler import DEADLINE_CODE, ReconcilePolicy, Reconciler

NOW = datetime.now(UTC)


@dataclass
class FakeJobs:
    unpublished_ids: list[str] = field(default_factory=list)
    stale: list[Job] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    async def unpublished(self, older_than: timedelta, limit: int = 100) -> list[tuple[str, str]]:
        return [(job_id, "tenant-a") for job_id in self.unpublished_ids]

    async def mark_published(self, job_id: str) -> None:
        self.published.append(job_id)

    async def claim_stale(self, untouched_for: timedelta, limit: int = 100) -> list[Job]:
        claimed, self.stale = self.stale, []
        return claimed

    async def fail(self, job_id: str, code: str, message: str) -> bool:
        self.failed[job_id] = code
        return True


@dataclass
class FakeQueue:
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def publish(self, job_id: str, tenant: str, republish: str = "") -> None:
        assert tenant == "tenant-a"
        self.sent.append((job_id, republish))


def job(job_id: str, status: str, age: timedelta) -> Job:
    return Job(job_id, status, "cv", "pr", "vac", 1, NOW - age, NOW - age, tenant="tenant-a")


async def test_unpublished_jobs_are_published_under_their_usual_id() -> None:
    jobs, queue = FakeJobs(unpublished_ids=["a", "b"]), FakeQueue()
    report = await Reconciler(jobs, queue, ReconcilePolicy()).run_once()
    assert queue.sent == [("a", ""), ("b", "")]
    assert jobs.published == ["a", "b"] and report.published == 2


async def test_stale_jobs_are_republished_under_a_new_id_and_overdue_ones_fail() -> None:
    policy = ReconcilePolicy(stuck_after=timedelta(minutes=10), deadline=timedelta(hours=1))
    jobs = FakeJobs(stale=[job("q", QUEUED, timedelta(minutes=20)), job("p", PROCESSING, timedelta(hours=2))])
    queue = FakeQueue()
    report = await Reconciler(jobs, queue, policy).run_once()
    assert [j for j, _ in queue.sent] == ["q"]
    assert queue.sent[0][1]  # a republish tag: JetStream's duplicate window would drop the usual id
    assert jobs.failed == {"p": DEADLINE_CODE}
    assert (report.republished, report.failed) == (1, 1)
