"""The batch use cases: queue many evaluations against one vacancy at once, report and follow their progress."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Protocol

from cveval_job.batches.domain import MAX_CANDIDATES, Batch, CandidateRef
from cveval_job.domain.idempotency import (
    IdempotencyConflict,
    InvalidIdempotencyKey,
    check_replay,
    normalize_key,
    request_hash,
)
from cveval_job.domain.jobs import Job
from cveval_job.service import EvaluateCommand, JobApplication
from cveval_kit import errors
from cveval_kit.identity import Identity
from cveval_kit.ids import is_uuid
from cveval_kit.tenancy import may_read

# A watch re-counts the batch's jobs this often and sends a change. Counting is one indexed query; per-job status
# events would need a subscription per job of the batch, which costs more than it saves at this rate.
WATCH_INTERVAL_S = 1.0
# Candidates queued at once: bounded so one large batch does not take every database connection.
CREATE_CONCURRENCY = 8


class BatchStore(Protocol):
    async def create(self, batch: Batch) -> tuple[Batch, bool]: ...
    async def get(self, tenant: str, batch_id: str) -> Batch | None: ...
    async def get_by_key(self, tenant: str, key: str) -> Batch | None: ...
    async def with_progress(self, batch: Batch) -> Batch: ...


class BatchApplication:
    def __init__(self, batches: BatchStore, jobs: JobApplication) -> None:
        self.batches = batches
        self.jobs = jobs

    async def create(
        self, caller: Identity, vacancy_id: str, candidates: Sequence[CandidateRef], idempotency_key: str = ""
    ) -> tuple[Batch, list[Job]]:
        vacancy_id = vacancy_id.strip()
        refs = [CandidateRef(c.cv_id.strip(), c.project_id.strip(), c.idempotency_key.strip()) for c in candidates]
        _validate(vacancy_id, refs)
        try:
            key = normalize_key(idempotency_key)
        except InvalidIdempotencyKey as exc:
            raise errors.InvalidArgument(str(exc)) from exc
        fingerprint = request_hash(
            {"vacancy_id": vacancy_id, "candidates": json.dumps([[c.cv_id, c.project_id, c.idempotency_key]
                                                                 for c in refs])}
        )
        stored = await self.batches.get_by_key(caller.tenant, key) if key else None
        if stored is None:
            await self.jobs.vacancies.get(caller.tenant, vacancy_id)  # NotFound for another tenant's or none
            # Every document is checked before anything is stored, so a bad candidate leaves no half batch.
            await asyncio.gather(*(self.jobs.check_documents(caller, _command(vacancy_id, c)) for c in refs))
            new = Batch(str(uuid.uuid4()), caller.tenant, caller.principal, vacancy_id, fingerprint,
                        datetime.now(UTC), key)
            stored, _ = await self.batches.create(new)
        _check_replay(stored, fingerprint)
        queued = await self._queue(caller, stored, refs)
        return await self.batches.with_progress(stored), queued

    async def _queue(self, caller: Identity, batch: Batch, refs: list[CandidateRef]) -> list[Job]:
        """One job per candidate. Without its own key a candidate gets one derived from the batch and its position,
        so a retried or concurrent create of the same batch never queues a candidate twice."""
        gate = asyncio.Semaphore(CREATE_CONCURRENCY)

        async def queue(index: int, ref: CandidateRef) -> Job:
            async with gate:
                key = ref.idempotency_key or f"batch:{batch.id}:{index}"
                return await self.jobs.evaluate(caller, _command(batch.vacancy_id, ref), key, batch_id=batch.id)

        return list(await asyncio.gather(*(queue(i, r) for i, r in enumerate(refs))))

    async def get(self, caller: Identity, batch_id: str) -> Batch:
        """The caller's tenant's batch (a submitter's own only); any other id is simply not found."""
        batch = await self.batches.get(caller.tenant, batch_id) if is_uuid(batch_id) else None
        if batch is None or not may_read(caller, batch.tenant, batch.submitted_by):
            raise errors.NotFound(f"batch {batch_id!r} not found")
        return batch

    async def watch(self, caller: Identity, batch_id: str) -> AsyncIterator[Batch]:
        last = await self.get(caller, batch_id)
        yield last
        while not last.progress.done:
            await asyncio.sleep(WATCH_INTERVAL_S)
            current = await self.batches.with_progress(last)
            if current.progress != last.progress:
                yield current
            last = current


def _validate(vacancy_id: str, refs: list[CandidateRef]) -> None:
    if not vacancy_id:
        raise errors.InvalidArgument("vacancy_id is required")
    if not 1 <= len(refs) <= MAX_CANDIDATES:
        raise errors.InvalidArgument(f"a batch has 1 to {MAX_CANDIDATES} candidates")
    for index, ref in enumerate(refs):
        if not ref.cv_id:
            raise errors.InvalidArgument(f"candidate {index}: cv_id is required")
    keys = [r.idempotency_key for r in refs if r.idempotency_key]
    if len(keys) != len(set(keys)):
        raise errors.InvalidArgument("two candidates of a batch have the same idempotency_key")


def _command(vacancy_id: str, ref: CandidateRef) -> EvaluateCommand:
    return EvaluateCommand(cv_id=ref.cv_id, project_id=ref.project_id, vacancy_id=vacancy_id)


def _check_replay(stored: Batch, fingerprint: str) -> None:
    try:
        check_replay(stored.request_hash, fingerprint)
    except IdempotencyConflict as exc:
        raise errors.Conflict(str(exc), code="IDEMPOTENCY_CONFLICT") from exc
