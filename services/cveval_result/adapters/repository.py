"""PostgreSQL repository for results: write once, read by job id within a tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_result.adapters.tables import results


@dataclass(frozen=True)
class StoredResult:
    payload: bytes
    submitted_by: str
    cv_id: str


class ResultRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add(
        self,
        job_id: str,
        payload: bytes,
        cv_match_rate: float,
        project_score: float,
        scorer: str,
        *,
        tenant: str,
        submitted_by: str,
        cv_id: str,
    ) -> bool:
        """Store a result once; a second store for the same job keeps the first and returns False."""
        async with self.sessions.begin() as session:
            row = await session.execute(
                insert(results)
                .values(
                    job_id=job_id,
                    payload=payload,
                    cv_match_rate=cv_match_rate,
                    project_score=project_score,
                    scorer=scorer,
                    created_at=datetime.now(UTC),
                    tenant=tenant,
                    submitted_by=submitted_by,
                    cv_id=cv_id,
                )
                .on_conflict_do_nothing(index_elements=["job_id"])
                .returning(results.c.job_id)
            )
            return row.one_or_none() is not None

    async def get(self, tenant: str, job_id: str) -> StoredResult | None:
        query = select(results.c.payload, results.c.submitted_by, results.c.cv_id).where(
            results.c.job_id == job_id, results.c.tenant == tenant
        )
        async with self.sessions() as session:
            row = (await session.execute(query)).one_or_none()
        return None if row is None else StoredResult(bytes(row.payload), row.submitted_by, row.cv_id)

    async def delete(self, tenant: str, job_ids: Sequence[str]) -> int:
        if not job_ids:
            return 0
        async with self.sessions.begin() as session:
            rows = await session.execute(
                delete(results)
                .where(results.c.tenant == tenant, results.c.job_id.in_(list(job_ids)))
                .returning(results.c.job_id)
            )
            return len(rows.all())
