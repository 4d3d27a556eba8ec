"""PostgreSQL repository for vacancies and their embedded reference chunks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_job.adapters.rubric_codec import rubric_from_json, rubric_to_json
from cveval_job.adapters.tables import vacancies, vacancy_chunks
from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring.model import Vacancy


def _row_to_vacancy(row: Any) -> Vacancy:
    m = row._mapping
    return Vacancy(
        id=m["id"],
        title=m["title"],
        job_description=m["job_description"],
        study_case_brief=m["study_case_brief"],
        cv_rubric=rubric_from_json(m["cv_rubric"]),
        project_rubric=rubric_from_json(m["project_rubric"]),
        version=m["version"],
        scoring_notes=m["scoring_rubric"],
    )


class VacancyRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add(self, vacancy: Vacancy) -> None:
        """Store the vacancy unless one with its id exists (ids of ad-hoc vacancies are content hashes)."""
        async with self.sessions.begin() as session:
            await session.execute(
                insert(vacancies)
                .values(
                    id=vacancy.id,
                    title=vacancy.title,
                    job_description=vacancy.job_description,
                    study_case_brief=vacancy.study_case_brief,
                    scoring_rubric=vacancy.scoring_notes,
                    cv_rubric=rubric_to_json(vacancy.cv_rubric),
                    project_rubric=rubric_to_json(vacancy.project_rubric),
                    version=vacancy.version,
                    created_at=datetime.now(UTC),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )

    async def get(self, vacancy_id: str) -> Vacancy | None:
        async with self.sessions() as session:
            row = (await session.execute(select(vacancies).where(vacancies.c.id == vacancy_id))).one_or_none()
        return None if row is None else _row_to_vacancy(row)

    async def find_by_title(self, title: str) -> Vacancy | None:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(vacancies)
                    .where(func.lower(vacancies.c.title) == title.strip().lower())
                    .order_by(vacancies.c.created_at)
                    .limit(1)
                )
            ).one_or_none()
        return None if row is None else _row_to_vacancy(row)

    async def chunks(self, vacancy_id: str, embed_model: str) -> list[EmbeddedChunk]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(vacancy_chunks)
                .where(vacancy_chunks.c.vacancy_id == vacancy_id, vacancy_chunks.c.embed_model == embed_model)
                .order_by(vacancy_chunks.c.source, vacancy_chunks.c.ordinal)
            )
        return [EmbeddedChunk(id=r.id, source=r.source, text=r.text, vector=tuple(r.embedding)) for r in rows]

    async def save_chunks(self, vacancy_id: str, embed_model: str, chunks: Sequence[EmbeddedChunk]) -> None:
        if not chunks:
            return
        rows = [
            dict(
                id=f"{c.id}@{embed_model}"[:160],
                vacancy_id=vacancy_id,
                source=c.source,
                ordinal=i,
                text=c.text,
                embed_model=embed_model,
                embedding=list(c.vector),
            )
            for i, c in enumerate(chunks)
        ]
        async with self.sessions.begin() as session:
            await session.execute(insert(vacancy_chunks).values(rows).on_conflict_do_nothing(index_elements=["id"]))
