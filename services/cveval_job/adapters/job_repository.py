"""PostgreSQL repository for jobs: idempotent creation, guarded state changes, keyset listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_job.adapters.tables import jobs
from cveval_job.domain.jobs import COMPLETED, FAILED, PROCESSING, QUEUED, Job


def _row_to_job(row: Any) -> Job:
    m = row._mapping
    return Job(
        id=m["id"],
        status=m["status"],
        cv_id=m["cv_id"],
        project_id=m["project_id"],
        vacancy_id=m["vacancy_id"],
        attempts=m["attempts"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        error_code=m["error_code"],
        error_message=m["error_message"],
        idempotency_key=m["idempotency_key"],
        request_hash=m["request_hash"],
        tenant=m["tenant"],
        submitted_by=m["submitted_by"],
        batch_id=m["batch_id"],
    )


class JobRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(
        self,
        *,
        tenant: str,
        submitted_by: str,
        job_id: str,
        cv_id: str,
        project_id: str,
        vacancy_id: str,
        idempotency_key: str | None,
        request_hash: str,
        batch_id: str | None = None,
    ) -> tuple[Job, bool]:
        """Insert a queued job; with a key already taken, return the stored job and False instead."""
        now = datetime.now(UTC)
        values = dict(
            tenant=tenant,
            submitted_by=submitted_by,
            id=job_id,
            status=QUEUED,
            cv_id=cv_id,
            project_id=project_id,
            vacancy_id=vacancy_id,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            batch_id=batch_id,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        async with self.sessions.begin() as session:
            stmt = insert(jobs).values(**values)
            if idempotency_key is not None:
                stmt = stmt.on_conflict_do_nothing(index_elements=["tenant", "idempotency_key"])
            row = (await session.execute(stmt.returning(*jobs.c))).one_or_none()
            if row is not None:
                return _row_to_job(row), True
            existing = (
                await session.execute(
                    select(jobs).where(jobs.c.tenant == tenant, jobs.c.idempotency_key == idempotency_key)
                )
            ).one()
            return _row_to_job(existing), False

    async def get(self, job_id: str, tenant: str | None = None) -> Job | None:
        """The job; with `tenant`, only that tenant's (another tenant's id is not found)."""
        query = select(jobs).where(jobs.c.id == job_id)
        if tenant is not None:
            query = query.where(jobs.c.tenant == tenant)
        async with self.sessions() as session:
            row = (await session.execute(query)).one_or_none()
        return None if row is None else _row_to_job(row)

    async def get_by_key(self, tenant: str, idempotency_key: str) -> Job | None:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(jobs).where(jobs.c.tenant == tenant, jobs.c.idempotency_key == idempotency_key)
                )
            ).one_or_none()
        return None if row is None else _row_to_job(row)

    async def page(
        self,
        *,
        tenant: str,
        status: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
        submitted_by: str | None = None,
        vacancy_id: str | None = None,
        batch_id: str | None = None,
    ) -> list[Job]:
        query = (
            select(jobs)
            .where(jobs.c.tenant == tenant)
            .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
            .limit(limit)
        )
        if submitted_by is not None:
            query = query.where(jobs.c.submitted_by == submitted_by)
        if status:
            query = query.where(jobs.c.status == status)
        if vacancy_id:
            query = query.where(jobs.c.vacancy_id == vacancy_id)
        if batch_id:
            query = query.where(jobs.c.batch_id == batch_id)
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(jobs.c.created_at < created, and_(jobs.c.created_at == created, jobs.c.id < last_id))
            )
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [_row_to_job(r) for r in rows]

    async def mark_published(self, job_id: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.published_at.is_(None))
                .values(published_at=datetime.now(UTC))
            )

    async def mark_many_published(self, job_ids: list[str]) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(jobs)
                .where(jobs.c.id.in_(job_ids), jobs.c.published_at.is_(None))
                .values(published_at=datetime.now(UTC))
            )

    async def unpublished(self, older_than: timedelta, limit: int = 100) -> list[tuple[str, str]]:
        """(job id, tenant) of jobs stored but not yet published."""
        cutoff = datetime.now(UTC) - older_than
        async with self.sessions() as session:
            rows = await session.execute(
                select(jobs.c.id, jobs.c.tenant)
                .where(jobs.c.published_at.is_(None), jobs.c.created_at < cutoff)
                .order_by(jobs.c.created_at)
                .limit(limit)
            )
        return [(r[0], r[1]) for r in rows]

    async def claim_stale(self, untouched_for: timedelta, limit: int = 100) -> list[Job]:
        """Unfinished jobs nobody has touched for `untouched_for`, claimed by touching them now: concurrent
        reconcilers (one per job-service replica) skip rows another one has locked and then see them as fresh,
        so each stale job is claimed once per period without electing a leader."""
        cutoff = datetime.now(UTC) - untouched_for
        stale = (
            select(jobs.c.id)
            .where(jobs.c.status.in_((QUEUED, PROCESSING)), jobs.c.updated_at < cutoff)
            .order_by(jobs.c.updated_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self.sessions.begin() as session:
            rows = await session.execute(
                update(jobs).where(jobs.c.id.in_(stale)).values(updated_at=datetime.now(UTC)).returning(*jobs.c)
            )
            return [_row_to_job(r) for r in rows]

    async def requeue_failed(self, job_id: str) -> Job | None:
        """failed → queued with a fresh attempt budget (an admin's replay); None unless the job is failed."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.status == FAILED)
                    .values(
                        status=QUEUED, attempts=0, error_code=None, error_message=None, updated_at=datetime.now(UTC)
                    )
                    .returning(*jobs.c)
                )
            ).one_or_none()
        return None if row is None else _row_to_job(row)

    async def start(self, job_id: str) -> Job | None:
        """Move a queued (or redelivered processing) job to processing; None when it is finished or unknown."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.status.in_((QUEUED, PROCESSING)))
                    .values(status=PROCESSING, attempts=jobs.c.attempts + 1, updated_at=datetime.now(UTC))
                    .returning(*jobs.c)
                )
            ).one_or_none()
        return None if row is None else _row_to_job(row)

    async def complete(self, job_id: str) -> bool:
        return await self._finish(job_id, COMPLETED, None, None)

    async def fail(self, job_id: str, code: str, message: str) -> bool:
        return await self._finish(job_id, FAILED, code, message)

    async def _finish(self, job_id: str, status: str, code: str | None, message: str | None) -> bool:
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status.in_((QUEUED, PROCESSING)))
                .values(status=status, error_code=code, error_message=message, updated_at=datetime.now(UTC))
                .returning(jobs.c.id)
            )
            return result.one_or_none() is not None
