"""The job service's use cases: accept evaluations idempotently, report and list jobs. No gRPC here."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict, dataclass

from cveval_job.adapters.job_repository import JobRepository
from cveval_job.domain.idempotency import (
    IdempotencyConflict,
    InvalidIdempotencyKey,
    check_replay,
    normalize_key,
    request_hash,
)
from cveval_job.domain.jobs import STATUSES, Job
from cveval_job.domain.pagination import InvalidPageToken, clamp_page_size, decode_token, encode_token
from cveval_job.ports import DocumentCatalog, JobQueue
from cveval_job.published_marks import PublishedMarks
from cveval_job.vacancies.service import VacancyApplication
from cveval_kit import errors
from cveval_kit.identity import Identity
from cveval_kit.ids import is_uuid
from cveval_kit.tenancy import may_read, owner_filter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluateCommand:
    cv_id: str
    project_id: str
    job_title: str = ""
    vacancy_id: str = ""
    job_description: str = ""
    study_case_brief: str = ""
    scoring_rubric: str = ""


class JobApplication:
    def __init__(
        self,
        jobs: JobRepository,
        vacancies: VacancyApplication,
        documents: DocumentCatalog,
        queue: JobQueue,
        marks: PublishedMarks | None = None,
    ) -> None:
        self.jobs = jobs
        self.vacancies = vacancies
        self.documents = documents
        self.queue = queue
        self.marks = marks  # without it, each publish is marked before the answer

    async def evaluate(
        self, caller: Identity, cmd: EvaluateCommand, idempotency_key: str = "", *, batch_id: str | None = None
    ) -> Job:
        """`batch_id` only labels the new job: a replay of a key returns the job as first created."""
        cmd = EvaluateCommand(**{k: v.strip() for k, v in asdict(cmd).items()})
        if not cmd.cv_id:
            raise errors.InvalidArgument("cv_id is required")
        try:
            key = normalize_key(idempotency_key)
        except InvalidIdempotencyKey as exc:
            raise errors.InvalidArgument(str(exc)) from exc
        fingerprint = request_hash(asdict(cmd))
        try:
            await self.check_documents(caller, cmd)
            vacancy_id = await self._resolve_vacancy(caller, cmd)
        except Exception:
            # A replay is judged against the request the key first came with, whatever the documents or the
            # vacancy have become since: only a key never used gets this error.
            stored = await self.jobs.get_by_key(caller.tenant, key) if key is not None else None
            if stored is None:
                raise
            return await self._replay(stored, fingerprint)
        # The one database transaction of an accepted evaluation: the insert, or the job a key already names.
        job, created = await self.jobs.create(
            tenant=caller.tenant,
            submitted_by=caller.principal,
            job_id=str(uuid.uuid4()),
            cv_id=cmd.cv_id,
            project_id=cmd.project_id,
            vacancy_id=vacancy_id,
            idempotency_key=key,
            request_hash=fingerprint,
            batch_id=batch_id,
        )
        if not created:  # the key was used before (a replay), or by a concurrent request that won the insert
            return await self._replay(job, fingerprint)
        await self._publish(job.id, job.tenant)
        return job

    async def _replay(self, stored: Job, fingerprint: str) -> Job:
        try:
            check_replay(stored.request_hash, fingerprint)
        except IdempotencyConflict as exc:
            raise errors.Conflict(str(exc), code="IDEMPOTENCY_CONFLICT") from exc
        return stored

    async def get(self, caller: Identity, job_id: str) -> Job:
        """The caller's tenant's job (a submitter's own only); any other id is simply not found."""
        job = await self.get_in_tenant(caller.tenant, job_id)
        if not may_read(caller, job.tenant, job.submitted_by):
            raise errors.NotFound(f"job {job_id!r} not found")
        return job

    async def get_in_tenant(self, tenant: str, job_id: str) -> Job:
        job = await self.jobs.get(job_id, tenant) if is_uuid(job_id) else None
        if job is None:
            raise errors.NotFound(f"job {job_id!r} not found")
        return job

    async def list(
        self,
        caller: Identity,
        status: str,
        page_size: int,
        page_token: str,
        *,
        vacancy_id: str = "",
        batch_id: str = "",
    ) -> tuple[list[Job], str]:
        status = status.strip().lower()
        if status and status not in STATUSES:
            raise errors.InvalidArgument(f"status must be one of {', '.join(STATUSES)}")
        try:
            limit = clamp_page_size(page_size)
            after = decode_token(page_token) if page_token else None
        except (ValueError, InvalidPageToken) as exc:
            raise errors.InvalidArgument(str(exc)) from exc
        page = await self.jobs.page(
            tenant=caller.tenant,
            submitted_by=owner_filter(caller),
            status=status or None,
            limit=limit + 1,
            after=after,
            vacancy_id=vacancy_id.strip() or None,
            batch_id=batch_id.strip() or None,
        )
        if len(page) > limit:
            last = page[limit - 1]
            return page[:limit], encode_token(last.created_at, last.id)
        return page, ""

    async def replay(self, caller: Identity, job_id: str) -> Job:
        """An admin's second chance for a failed job of its tenant: back to queued with a fresh attempt budget,
        queued again."""
        await self.get(caller, job_id)  # NotFound for an unknown id or another tenant's
        job = await self.jobs.requeue_failed(job_id)
        if job is None:
            current = await self.get(caller, job_id)
            raise errors.Conflict(
                f"only a failed job can be replayed; job {job_id} is {current.status}", code="JOB_NOT_FAILED"
            )
        log.info("job %s replayed", job_id)
        await self._publish(job_id, job.tenant, republish=f"replay{int(job.updated_at.timestamp() * 1000)}")
        return job

    async def _publish(self, job_id: str, tenant: str, republish: str = "") -> None:
        try:
            await self.queue.publish(job_id, tenant, republish)
        except Exception:
            # The job is stored; the reconciler publishes it later. The caller still gets its id.
            log.warning("publishing job %s failed; the reconciler will retry", job_id, exc_info=True)
            return
        if self.marks is not None:
            self.marks.add(job_id)
            return
        try:
            await self.jobs.mark_published(job_id)
        except Exception:
            # Published but not marked: the reconciler publishes it again under the same id, which JetStream drops
            # within its duplicate window (and the worker ignores after it).
            log.warning("could not mark job %s published", job_id, exc_info=True)

    async def check_documents(self, caller: Identity, cmd: EvaluateCommand) -> None:
        """The documents must be ones the caller may read: its tenant's, and a submitter's own. The project report is
        optional (without one the worker evaluates the CV alone)."""
        owner = owner_filter(caller)
        fields = [("cv_id", "cv"), *([("project_id", "project")] if cmd.project_id else [])]
        kinds = await asyncio.gather(
            *(self.documents.kind_of(caller.tenant, getattr(cmd, f), owner) for f, _ in fields)
        )
        for (field, expected), kind in zip(fields, kinds, strict=True):
            value = getattr(cmd, field)
            if kind is None:
                raise errors.NotFound(f"{field} {value!r}: no such document", code="DOCUMENT_NOT_FOUND")
            if kind != expected:
                raise errors.InvalidArgument(
                    f"{field} {value!r} is a {kind} document, expected a {expected} document", code="WRONG_KIND"
                )

    async def _resolve_vacancy(self, caller: Identity, cmd: EvaluateCommand) -> str:
        """vacancy_id, else inline texts (an ad-hoc vacancy, stored and embedded like a created one), else the newest
        vacancy titled job_title, else the default; the original system's clients send only some of these."""
        if cmd.vacancy_id:
            return (await self.vacancies.get(caller.tenant, cmd.vacancy_id)).vacancy.id
        if cmd.job_description or cmd.study_case_brief or cmd.scoring_rubric:
            vacancy = await self.vacancies.adhoc(caller, cmd.job_description, cmd.study_case_brief, cmd.scoring_rubric)
            return vacancy.id
        if cmd.job_title:
            return (await self.vacancies.newest_titled(caller.tenant, cmd.job_title)).id
        return await self.vacancies.default_id()
