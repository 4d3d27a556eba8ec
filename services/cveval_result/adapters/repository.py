"""PostgreSQL repository for results: write once, read by job id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_result.adapters.tables import results


class ResultRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add(self, job_id: str, payload: bytes, cv_match_rate: float, project_score: float, scorer: str) -> bool:
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
                )
                .on_conflict_do_nothing(index_elements=["job_id"])
                .returning(results.c.job_id)
            )
            return row.one_or_none() is not None

    async def get(self, job_id: str) -> bytes | None:
        async with self.sessions() as session:
            row = (await session.execute(select(results.c.payload).where(results.c.job_id == job_id))).one_or_none()
        return None if row is None else bytes(row[0])
