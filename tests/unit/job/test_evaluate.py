"""Evaluate's accept path: one database transaction per accepted job, the default vacancy read once, publish marks
off the answer's path, and idempotency judged exactly as before (a key's replay wins over anything else)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from cveval_job.domain.jobs import QUEUED, Job
from cveval_job.published_marks import PublishedMarks
from cveval_job.scoring.rubrics import DEFAULT_VACANCY_ID, default_vacancy
from cveval_job.service import EvaluateCommand, JobApplication
from cveval_job.vacancies.service import VacancyApplication
from cveval_kit import errors
from cveval_kit.identity import SUBMITTER, Identity

ALICE = Identity("tenant-a", "key:alice", frozenset({SUBMITTER}))
CMD = EvaluateCommand(cv_id="cv-1", project_id="pr-1")


class Jobs:
    """The repository's evaluate-side calls, each one a transaction, counted."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Job] = {}
        self.transactions: list[str] = []
        self.marked: list[str] = []

    async def get_by_key(self, tenant: str, key: str) -> Job | None:
        self.transactions.append("get_by_key")
        return self.by_key.get((tenant, key))

    async def create(self, **values: Any) -> tuple[Job, bool]:
        self.transactions.append("create")
        key = values["idempotency_key"]
        if key is not None and (values["tenant"], key) in self.by_key:
            return self.by_key[(values["tenant"], key)], False
        now = datetime.now(UTC)
        job = Job(
            id=values["job_id"],
            status=QUEUED,
            cv_id=values["cv_id"],
            project_id=values["project_id"],
            vacancy_id=values["vacancy_id"],
            attempts=0,
            created_at=now,
            updated_at=now,
            idempotency_key=key,
            request_hash=values["request_hash"],
            tenant=values["tenant"],
            submitted_by=values["submitted_by"],
        )
        if key is not None:
            self.by_key[(values["tenant"], key)] = job
        return job, True

    async def mark_published(self, job_id: str) -> None:
        self.transactions.append("mark_published")
        self.marked.append(job_id)

    async def mark_many_published(self, job_ids: list[str]) -> None:
        self.transactions.append("mark_many_published")
        self.marked.extend(job_ids)


class VacancyStore:
    def __init__(self) -> None:
        self.reads = 0

    async def get_stored(self, vacancy_id: str, tenant: str | None = None) -> Any:
        self.reads += 1
        return type("Stored", (), {"vacancy": default_vacancy()})() if vacancy_id == DEFAULT_VACANCY_ID else None


class Documents:
    def __init__(self) -> None:
        self.kinds = {"cv-1": "cv", "pr-1": "project", "pr-2": "project"}

    async def kind_of(self, tenant: str, document_id: str, owner: str | None = None) -> str | None:
        return self.kinds.get(document_id)


class Queue:
    def __init__(self) -> None:
        self.published: list[str] = []

    async def publish(self, job_id: str, tenant: str, republish: str = "") -> None:
        self.published.append(job_id)


def _app(with_marks: bool = False) -> tuple[JobApplication, Jobs, VacancyStore, Documents, Queue, PublishedMarks]:
    jobs, store, documents, queue = Jobs(), VacancyStore(), Documents(), Queue()
    marks = PublishedMarks(jobs.mark_many_published)
    vacancies = VacancyApplication(cast(Any, store), cast(Any, None))
    app = JobApplication(cast(Any, jobs), vacancies, documents, queue, marks if with_marks else None)
    return app, jobs, store, documents, queue, marks


async def test_an_accepted_job_takes_one_transaction_and_the_default_vacancy_is_read_once() -> None:
    app, jobs, store, _, queue, _ = _app()
    first = await app.evaluate(ALICE, CMD, "key-1")
    second = await app.evaluate(ALICE, CMD, "key-2")
    assert first.vacancy_id == second.vacancy_id == DEFAULT_VACANCY_ID
    assert store.reads == 1  # the global default is known to be stored after the first read
    assert jobs.transactions == ["create", "mark_published", "create", "mark_published"]
    assert queue.published == [first.id, second.id]


async def test_publish_marks_leave_the_answer_path_and_are_written_in_batches() -> None:
    app, jobs, _, _, _, marks = _app(with_marks=True)
    accepted = [await app.evaluate(ALICE, CMD, f"key-{n}") for n in range(5)]
    assert jobs.transactions == ["create"] * 5  # nothing else awaited before the answers
    marks.start()
    await marks.close()
    assert jobs.marked == [job.id for job in accepted] and marks.pending == 0
    assert jobs.transactions.count("mark_many_published") == 1


async def test_a_replay_returns_the_first_job_and_another_body_under_the_key_conflicts() -> None:
    app, _, _, _, queue, _ = _app()
    first = await app.evaluate(ALICE, CMD, "key-1")
    again = await app.evaluate(ALICE, CMD, "key-1")
    assert again == first and queue.published == [first.id]  # not queued twice
    with pytest.raises(errors.Conflict):
        await app.evaluate(ALICE, replace(CMD, project_id="pr-2"), "key-1")


async def test_a_replay_wins_even_when_its_documents_are_gone() -> None:
    app, _, _, documents, _, _ = _app()
    first = await app.evaluate(ALICE, CMD, "key-1")
    documents.kinds.clear()  # deleted since
    assert await app.evaluate(ALICE, CMD, "key-1") == first
    with pytest.raises(errors.NotFound):  # a key never used gets the documents' error
        await app.evaluate(ALICE, CMD, "key-2")
    with pytest.raises(errors.NotFound):
        await app.evaluate(ALICE, CMD)  # and so does a call without a key


async def test_concurrent_requests_under_one_key_make_one_job() -> None:
    app, _, _, _, queue, _ = _app()
    jobs = await asyncio.gather(*(app.evaluate(ALICE, CMD, "key-1") for _ in range(5)))
    assert len({job.id for job in jobs}) == 1 and len(queue.published) == 1


async def test_a_lost_mark_is_logged_and_the_marks_go_on() -> None:
    calls: list[list[str]] = []
    failed = asyncio.Event()

    async def flaky(ids: list[str]) -> None:
        calls.append(ids)
        if len(calls) == 1:
            failed.set()
            raise ConnectionError("database away")

    marks = PublishedMarks(flaky)
    marks.start()
    marks.add("job-1")
    await asyncio.wait_for(failed.wait(), 5)
    marks.add("job-2")
    await marks.close()
    assert calls[-1] == ["job-2"] and marks.pending == 0  # job-1 is the reconciler's now
