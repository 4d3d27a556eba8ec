"""The result service's use cases: store once, show a job's state, follow it until it ends."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from cveval.result.v1 import result_pb2
from cveval_kit import audit, errors
from cveval_kit.identity import Identity
from cveval_kit.ids import is_uuid
from cveval_kit.tenancy import may_read
from cveval_result.adapters.events import StatusChange
from cveval_result.adapters.job_client import JobClient, JobState
from cveval_result.adapters.repository import ResultRepository, StoredResult
from cveval_result.cache import CachedResult, InFlight, SingleFlight, TtlLru, etag_of
from cveval_result.ranking import overall_score
from cveval_result.watching import TERMINAL, JobFeeds, StatusEvents

# Events carry a watched job's status at once; this re-read only bounds the delay when one is lost: a watched job
# is re-read when no event came for it within the interval.
WATCH_RECHECK_S = 2.0
M = TypeVar("M")

log = logging.getLogger(__name__)


class ErasureNotices(Protocol):
    async def announce(self, tenant: str, job_ids: Sequence[str]) -> None:
        """Tell every replica of this service that these results were erased."""


@dataclass(frozen=True)
class ResultView:
    id: str
    status: str
    result: result_pb2.EvaluationResult | None = None
    error_code: str = ""
    error_message: str = ""
    cv_id: str = ""
    etag: str = ""  # of a completed result: its stored bytes' digest


@dataclass(frozen=True)
class CacheLimits:
    results: int = 10_000  # completed results kept in memory (a few KiB each)
    results_ttl_s: float = 60.0  # bounds how long another replica may serve an erased result if its notice is lost
    in_flight: int = 20_000  # jobs without a result, as the job service and its events last said
    in_flight_ttl_s: float = 2.0  # re-read from the job service after this long (events are best effort)


def validate_result(result: result_pb2.EvaluationResult) -> None:
    if not (math.isfinite(result.cv_match_rate) and 0.0 <= result.cv_match_rate <= 1.0):
        raise errors.InvalidArgument("cv_match_rate must be within 0..1")
    if result.cv_only:
        # The CV alone was evaluated: nothing about a project may be claimed.
        if result.project_score != 0.0 or result.project_feedback or any(p.stage != "cv" for p in result.breakdown):
            raise errors.InvalidArgument("a CV-only result has no project score, feedback or parameters")
    elif not (math.isfinite(result.project_score) and 1.0 <= result.project_score <= 5.0):
        raise errors.InvalidArgument("project_score must be within 1..5")
    if not result.breakdown:
        raise errors.InvalidArgument("a result needs its rubric breakdown")
    for item in result.breakdown:
        if not 1 <= item.score <= 5:
            raise errors.InvalidArgument(f"breakdown score of {item.parameter} must be within 1..5")
    project_feedback = "-" if result.cv_only else result.project_feedback
    if not (result.cv_feedback.strip() and project_feedback.strip() and result.overall_summary.strip()):
        raise errors.InvalidArgument("feedback and summary must not be empty")


class ResultApplication:
    def __init__(
        self,
        results: ResultRepository,
        jobs: JobClient,
        events: StatusEvents,
        trail: audit.AuditTrail,
        limits: CacheLimits | None = None,
        erasures: ErasureNotices | None = None,
    ) -> None:
        self.results = results
        self.jobs = jobs
        self.events = events
        self.trail = trail
        self.erasures = erasures
        limits = limits or CacheLimits()
        self.completed: TtlLru[tuple[str, str], CachedResult] = TtlLru(limits.results, limits.results_ttl_s)
        self.in_flight: TtlLru[str, InFlight] = TtlLru(limits.in_flight, limits.in_flight_ttl_s)
        self._loading: SingleFlight[tuple[str, str], CachedResult | None] = SingleFlight()
        self._asking: SingleFlight[tuple[str, str], JobState | None] = SingleFlight()
        self.feeds: JobFeeds[ResultView] = JobFeeds(events, WATCH_RECHECK_S)

    def job_status_changed(self, job_id: str, status: str, error_code: str = "", error_message: str = "") -> None:
        """A job status event: the cached state follows it; a job that ended is read from the database next."""
        known = self.in_flight.get(job_id)
        if known is None:
            return
        if status in TERMINAL:
            self.in_flight.drop(job_id)
        else:
            self.in_flight.put(job_id, InFlight(known.tenant, status, known.submitted_by, error_code, error_message,
                                                known.cv_id))

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
        if not is_uuid(job_id):
            raise errors.InvalidArgument("job_id must be a job id")
        if not tenant.strip():
            raise errors.InvalidArgument("tenant is required")
        validate_result(result)
        if await self.jobs.state(tenant, job_id) is None:
            # The job was erased while it was being evaluated (or never existed): its result must not outlive it.
            raise errors.NotFound(f"job {job_id!r} not found")
        payload = result.SerializeToString(deterministic=True)
        created = await self.results.add(
            job_id,
            payload,
            result.cv_match_rate,
            result.project_score,
            result.provenance.scorer,
            tenant=tenant,
            submitted_by=submitted_by,
            cv_id=cv_id,
            vacancy_id=vacancy_id or result.provenance.vacancy_id,
            batch_id=batch_id,
            overall_score=overall_score(result.cv_match_rate, result.project_score, cv_only=result.cv_only),
        )
        if created:
            # Kept as stored, so the job's watchers and pollers, all woken by its completed event, need no read.
            stored = StoredResult(payload, submitted_by, cv_id)
            self.completed.put((tenant, job_id), _cached(stored))  # parsed from the stored bytes, as a read does
        return created

    async def delete(self, tenant: str, job_ids: list[str]) -> int:
        if not tenant.strip():
            raise errors.InvalidArgument("tenant is required")
        doomed = {j for j in job_ids if is_uuid(j)}
        self.erased_elsewhere(tenant, list(doomed))
        deleted = await self.results.delete(tenant, list(doomed))
        if self.erasures is not None and doomed:
            try:
                await self.erasures.announce(tenant, sorted(doomed))
            except Exception as exc:  # the rows are gone; other replicas' copies expire within results_ttl_s
                log.warning("erased results could not be announced to other replicas: %s", type(exc).__name__)
        return deleted

    def erased_elsewhere(self, tenant: str, job_ids: list[str]) -> None:
        """Drop cached copies of results erased by any replica (this one included)."""
        doomed = set(job_ids)
        self.completed.drop_where(lambda key: key[0] == tenant and key[1] in doomed)
        self.in_flight.drop_where(lambda key: key in doomed)

    async def view(self, caller: Identity, job_id: str) -> ResultView:
        """The job's state and result as the caller may see it; every disclosed result is audited first."""
        view = await self._view(caller, job_id)
        if view.result is not None:
            await self._audit_read(caller, view)
        return view

    async def _view(self, caller: Identity, job_id: str) -> ResultView:
        """A job of another tenant, or of another submitter for a submitter, is not found (never forbidden)."""
        if not is_uuid(job_id):
            raise errors.NotFound(f"job {job_id!r} not found")
        view, owner = await self._job_view(caller.tenant, job_id)
        if not view.status or not may_read(caller, caller.tenant, owner):
            raise errors.NotFound(f"job {job_id!r} not found")
        return view

    async def _job_view(self, tenant: str, job_id: str) -> tuple[ResultView, str]:
        """The job's state in the tenant (status "" when it has none) and its submitter, for the access rule.

        Read order, cheapest first: completed results in memory, the cached state of a job in flight, the
        database, the job service."""
        done = self.completed.get((tenant, job_id))
        if done is None:
            known = self.in_flight.get(job_id)
            if known is not None and known.tenant == tenant:
                return _in_flight_view(job_id, known), known.submitted_by
            done = await self._load_completed(tenant, job_id)
        if done is not None:
            return ResultView(job_id, "completed", done.result, cv_id=done.cv_id, etag=done.etag), done.submitted_by
        state = await self._asking.run((tenant, job_id), lambda: self.jobs.state(tenant, job_id))
        known = _in_flight(tenant, state)
        if state is not None and state.status == "completed":
            # The worker stores the result before it marks the job completed, so this is a read race: re-read.
            done = await self._load_completed(tenant, job_id)
            if done is not None:
                view = ResultView(job_id, "completed", done.result, cv_id=done.cv_id, etag=done.etag)
                return view, done.submitted_by
            known = InFlight(tenant, "processing", state.submitted_by, cv_id=state.cv_id)
        else:
            self.in_flight.put(job_id, known)
        return _in_flight_view(job_id, known), known.submitted_by

    async def _load_completed(self, tenant: str, job_id: str) -> CachedResult | None:
        """One database read per job at a time, shared by everyone who missed the cache meanwhile."""
        return await self._loading.run((tenant, job_id), lambda: self._read_completed(tenant, job_id))

    async def _read_completed(self, tenant: str, job_id: str) -> CachedResult | None:
        stored = await self.results.get(tenant, job_id)
        if stored is None:
            return None
        done = _cached(stored)
        self.completed.put((tenant, job_id), done)
        self.in_flight.drop(job_id)
        return done

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

    async def watch(self, caller: Identity, job_id: str, render: Callable[[ResultView], M]) -> AsyncIterator[M]:
        """The job's state now, then each change until it ends, as `render` makes it: once per change for all the
        job's watchers (the access rule is checked here; a job's tenant and submitter never change)."""
        await self._view(caller, job_id)  # fails fast with NOT_FOUND before joining
        tenant = caller.tenant

        async def read() -> ResultView:
            view, _ = await self._job_view(tenant, job_id)
            if not view.status:
                raise errors.NotFound(f"job {job_id!r} not found")
            return view

        def from_event(change: StatusChange) -> ResultView | None:
            if not change.status or change.status == "completed":
                return None  # re-read: a completed job's result comes from memory or the database
            return ResultView(job_id, change.status, None, change.error_code, change.error_message)

        async with self.feeds.join(tenant, job_id, read, from_event) as feed:
            version, view = await feed.after(0)
            while True:
                if view.result is not None:
                    await self._audit_read(caller, view)  # each watcher's disclosure is its own
                yield feed.rendered(view, render)
                if view.status in TERMINAL:
                    return
                version, view = await feed.after(version)


def _cached(stored: StoredResult) -> CachedResult:
    return CachedResult(result_pb2.EvaluationResult.FromString(stored.payload), stored.submitted_by, stored.cv_id,
                        etag_of(stored.payload))


def _in_flight_view(job_id: str, known: InFlight) -> ResultView:
    return ResultView(job_id, known.status, None, known.error_code, known.error_message)


def _in_flight(tenant: str, state: JobState | None) -> InFlight:
    """What to remember of the job service's answer; "no such job" too (status ""), for the same short time."""
    if state is None:
        return InFlight(tenant, "")
    return InFlight(tenant, state.status, state.submitted_by, state.error_code, state.error_message, state.cv_id)
