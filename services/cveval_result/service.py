"""The result service's use cases: store once, show a job's state, follow it until it ends."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from cveval.result.v1 import result_pb2
from cveval_kit import audit, errors
from cveval_kit.identity import Identity
from cveval_kit.tenancy import may_read
from cveval_result.adapters.events import Wakeups
from cveval_result.adapters.job_client import JobClient
from cveval_result.adapters.repository import ResultRepository
from cveval_result.ranking import overall_score

TERMINAL = frozenset({"completed", "failed"})
# Events wake watchers at once; this re-read interval only bounds the delay if an event is lost.
WATCH_RECHECK_S = 2.0


class StatusEvents(Protocol):
    def subscribe(self, job_id: str) -> AbstractAsyncContextManager[Wakeups]: ...


@dataclass(frozen=True)
class ResultView:
    id: str
    status: str
    result: result_pb2.EvaluationResult | None = None
    error_code: str = ""
    error_message: str = ""
    cv_id: str = ""


def validate_result(result: result_pb2.EvaluationResult) -> None:
    if not (math.isfinite(result.cv_match_rate) and 0.0 <= result.cv_match_rate <= 1.0):
        raise errors.InvalidArgument("cv_match_rate must be within 0..1")
    if not (math.isfinite(result.project_score) and 1.0 <= result.project_score <= 5.0):
        raise errors.InvalidArgument("project_score must be within 1..5")
    if not result.breakdown:
        raise errors.InvalidArgument("a result needs its rubric breakdown")
    for item in result.breakdown:
        if not 1 <= item.score <= 5:
            raise errors.InvalidArgument(f"breakdown score of {item.parameter} must be within 1..5")
    if not (result.cv_feedback.strip() and result.project_feedback.strip() and result.overall_summary.strip()):
        raise errors.InvalidArgument("feedback and summary must not be empty")


class ResultApplication:
    def __init__(
        self, results: ResultRepository, jobs: JobClient, events: StatusEvents, trail: audit.AuditTrail
    ) -> None:
        self.results = results
        self.jobs = jobs
        self.events = events
        self.trail = trail

    async def store(
        self,
        job_id: str,
        result: result_pb2.EvaluationResult,
        *,
        tenant: str,
        submitted_by: str,
        cv_id: str,
        vacancy_id: str = "",
        batch_id: str = "",
    ) -> bool:
        if not _is_uuid(job_id):
            raise errors.InvalidArgument("job_id must be a job id")
        if not tenant.strip():
            raise errors.InvalidArgument("tenant is required")
        validate_result(result)
        if await self.jobs.state(tenant, job_id) is None:
            # The job was erased while it was being evaluated (or never existed): its result must not outlive it.
            raise errors.NotFound(f"job {job_id!r} not found")
        return await self.results.add(
            job_id,
            result.SerializeToString(deterministic=True),
            result.cv_match_rate,
            result.project_score,
            result.provenance.scorer,
            tenant=tenant,
            submitted_by=submitted_by,
            cv_id=cv_id,
            vacancy_id=vacancy_id or result.provenance.vacancy_id,
            batch_id=batch_id,
            overall_score=overall_score(result.cv_match_rate, result.project_score),
        )

    async def delete(self, tenant: str, job_ids: list[str]) -> int:
        if not tenant.strip():
            raise errors.InvalidArgument("tenant is required")
        return await self.results.delete(tenant, [j for j in job_ids if _is_uuid(j)])

    async def view(self, caller: Identity, job_id: str) -> ResultView:
        """The job's state and result as the caller may see it; every disclosed result is audited first."""
        view = await self._view(caller, job_id)
        if view.result is not None:
            await self._audit_read(caller, view)
        return view

    async def _view(self, caller: Identity, job_id: str) -> ResultView:
        """A job of another tenant, or of another submitter for a submitter, is not found (never forbidden)."""
        if not _is_uuid(job_id):
            raise errors.NotFound(f"job {job_id!r} not found")
        stored = await self.results.get(caller.tenant, job_id)
        if stored is not None:
            if not may_read(caller, caller.tenant, stored.submitted_by):
                raise errors.NotFound(f"job {job_id!r} not found")
            return ResultView(job_id, "completed", result_pb2.EvaluationResult.FromString(stored.payload),
                              cv_id=stored.cv_id)
        state = await self.jobs.state(caller.tenant, job_id)
        if state is None or not may_read(caller, caller.tenant, state.submitted_by):
            raise errors.NotFound(f"job {job_id!r} not found")
        if state.status == "completed":
            # The worker stores the result before it marks the job completed, so this is a read race: re-read.
            stored = await self.results.get(caller.tenant, job_id)
            if stored is not None:
                return ResultView(job_id, "completed", result_pb2.EvaluationResult.FromString(stored.payload),
                                  cv_id=stored.cv_id)
            return ResultView(job_id, "processing")
        return ResultView(job_id, state.status, None, state.error_code, state.error_message)

    async def _audit_read(self, caller: Identity, view: ResultView) -> None:
        await self.trail.record(
            audit.AuditEvent.about(
                tenant=caller.tenant,
                principal=caller.principal,
                action=audit.READ_RESULT,
                kind="result",
                resource_id=view.id,
                candidate_id=view.cv_id,
                service="result",
            )
        )

    async def watch(self, caller: Identity, job_id: str) -> AsyncIterator[ResultView]:
        last = await self._view(caller, job_id)  # fails fast with NOT_FOUND before subscribing
        async with self.events.subscribe(job_id) as wakeups:
            last = await self.view(caller, job_id)
            yield last
            while last.status not in TERMINAL:
                await wakeups.wait(WATCH_RECHECK_S)
                current = await self._view(caller, job_id)
                if current.status != last.status:
                    if current.result is not None:
                        await self._audit_read(caller, current)
                    yield current
                last = current


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
