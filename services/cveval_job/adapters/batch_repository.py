"""PostgreSQL repository for batches: idempotent creation and progress counted from the batch's jobs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_job.adapters.tables import batches, jobs
from cveval_job.batches.domain import Batch, Progress


def _row_to_batch(row: Any) -> Batch:
    m = row._mapping
    return Batch(
        id=m["id"],
        tenant=m["tenant"],
        submitted_by=m["submitted_by"],
        vacancy_id=m["vacancy_id"],
        request_hash=m["request_hash"],
        created_at=m["created_at"],
        idempotency_key=m["idempotency_key"],
    )


class BatchRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(self, batch: Batch) -> tuple[Batch, bool]:
        """Insert the batch; with its idempotency key already taken, return the stored batch and False."""
        values = dict(
            id=batch.id,
            tenant=batch.tenant,
            submitted_by=batch.submitted_by,
            vacancy_id=batch.vacancy_id,
            idempotency_key=batch.idempotency_key,
            request_hash=batch.request_hash,
            created_at=batch.created_at,
        )
        async with self.sessions.begin() as session:
            stmt = insert(batches).values(**values)
            if batch.idempotency_key is not None:
                stmt = stmt.on_conflict_do_nothing(index_elements=["tenant", "idempotency_key"])
            row = (await session.execute(stmt.returning(*batches.c))).one_or_none()
            if row is not None:
                return _row_to_batch(row), True
        stored = await self.get_by_key(batch.tenant, batch.idempotency_key or "")
        assert stored is not None  # the conflicting row exists: batches are never deleted
        return stored, False

    async def get(self, tenant: str, batch_id: str) -> Batch | None:
        async with self.sessions() as session:
            row = (
                await session.execute(select(batches).where(batches.c.id == batch_id, batches.c.tenant == tenant))
            ).one_or_none()
        return None if row is None else await self.with_progress(_row_to_batch(row))

    async def get_by_key(self, tenant: str, key: str) -> Batch | None:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(batches).where(batches.c.tenant == tenant, batches.c.idempotency_key == key)
                )
            ).one_or_none()
        return None if row is None else _row_to_batch(row)

    async def with_progress(self, batch: Batch) -> Batch:
        query = (
            select(jobs.c.status, func.count())
            .where(jobs.c.tenant == batch.tenant, jobs.c.batch_id == batch.id)
            .group_by(jobs.c.status)
        )
        async with self.sessions() as session:
            counts = {status: int(n) for status, n in (await session.execute(query)).all()}
        return replace(batch, progress=Progress.of(counts))
