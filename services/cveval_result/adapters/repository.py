"""PostgreSQL repository for results: write once, read by job id within a tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_result.adapters.tables import results


@dataclass(frozen=True)
class StoredResult:
    payload: bytes
    submitted_by: str
    cv_id: str


@dataclass(frozen=True)
class RankingRow:
    job_id: str
    cv_id: str
    batch_id: str
    cv_match_rate: float
    project_score: float
    overall_score: float
    created_at: datetime
    payload: bytes
    # The value the ranking is ordered by (for its cursor).
    order_value: float


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
        vacancy_id: str = "",
        batch_id: str = "",
        overall_score: float = 0.0,
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
                    vacancy_id=vacancy_id,
                    batch_id=batch_id,
                    overall_score=overall_score,
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

    async def ranking(
        self,
        *,
        tenant: str,
        vacancy_id: str,
        column: str,
        limit: int,
        submitted_by: str | None = None,
        batch_id: str = "",
        after: tuple[float, str] | None = None,
    ) -> list[RankingRow]:
        """A vacancy's results, best first by `column` (ties by job id), after a keyset cursor."""
        score = results.c[column]
        query = (
            select(results.c.job_id, results.c.cv_id, results.c.batch_id, results.c.cv_match_rate,
                   results.c.project_score, results.c.overall_score, results.c.created_at, results.c.payload)
            .where(results.c.tenant == tenant, results.c.vacancy_id == vacancy_id)
            .order_by(score.desc(), results.c.job_id.desc())
            .limit(limit)
        )
        if submitted_by is not None:
            query = query.where(results.c.submitted_by == submitted_by)
        if batch_id:
            query = query.where(results.c.batch_id == batch_id)
        if after is not None:
            last_score, last_id = after
            query = query.where(or_(score < last_score, and_(score == last_score, results.c.job_id < last_id)))
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            RankingRow(r.job_id, r.cv_id, r.batch_id, r.cv_match_rate, r.project_score, r.overall_score,
                       r.created_at, bytes(r.payload), float(getattr(r, column)))
            for r in rows
        ]

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
