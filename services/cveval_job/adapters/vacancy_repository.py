"""PostgreSQL repository for vacancies and their embedded reference chunks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_job.adapters.rubric_codec import rubric_from_json, rubric_to_json
from cveval_job.adapters.tables import vacancies, vacancy_chunks
from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring.model import Vacancy
from cveval_job.vacancies.domain import StoredVacancy, normalize_title


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
        allow_degraded_scoring=m["allow_degraded_scoring"],
        redact_personal_data=m["redact_personal_data"],
    )


def _row_to_stored(row: Any) -> StoredVacancy:
    return StoredVacancy(vacancy=_row_to_vacancy(row), created_at=row._mapping["created_at"])


def _content(vacancy: Vacancy) -> dict[str, Any]:
    return dict(
        title=vacancy.title,
        job_description=vacancy.job_description,
        study_case_brief=vacancy.study_case_brief,
        scoring_rubric=vacancy.scoring_notes,
        cv_rubric=rubric_to_json(vacancy.cv_rubric),
        project_rubric=rubric_to_json(vacancy.project_rubric),
        version=vacancy.version,
        allow_degraded_scoring=vacancy.allow_degraded_scoring,
        redact_personal_data=vacancy.redact_personal_data,
        created_at=datetime.now(UTC),
    )


def _visible_to(tenant: str) -> Any:
    """A tenant sees its own vacancies and the global ones (tenant NULL: the shipped default)."""
    return or_(vacancies.c.tenant.is_(None), vacancies.c.tenant == tenant)


class VacancyRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def insert(self, vacancy: Vacancy, *, tenant: str, created_by: str) -> tuple[StoredVacancy, bool]:
        """Store the vacancy unless its id exists (ids are content hashes, salted per tenant); the stored row and
        whether it is new."""
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    insert(vacancies)
                    .values(id=vacancy.id, tenant=tenant, created_by=created_by, **_content(vacancy))
                    .on_conflict_do_nothing(index_elements=["id"])
                    .returning(*vacancies.c)
                )
            ).one_or_none()
            if row is not None:
                return _row_to_stored(row), True
            # A concurrent insert of the same content waited for and lost to: its committed row is visible now.
            existing = (await session.execute(select(vacancies).where(vacancies.c.id == vacancy.id))).one()
            return _row_to_stored(existing), False

    async def install(self, vacancy: Vacancy) -> bool:
        """Insert a vacancy the code owns (the shipped default) or, when its version changed with a release, replace
        its content and drop its chunks, which were embedded from the old texts. True when something was written."""
        async with self.sessions.begin() as session:
            current = (
                await session.execute(
                    select(vacancies.c.version).where(vacancies.c.id == vacancy.id).with_for_update()
                )
            ).scalar_one_or_none()
            if current is None:
                inserted = await session.execute(
                    insert(vacancies)
                    .values(id=vacancy.id, tenant=None, created_by="", **_content(vacancy))
                    .on_conflict_do_nothing(index_elements=["id"])
                    .returning(vacancies.c.id)
                )
                return inserted.one_or_none() is not None
            if current == vacancy.version:
                return False
            await session.execute(update(vacancies).where(vacancies.c.id == vacancy.id).values(**_content(vacancy)))
            await session.execute(delete(vacancy_chunks).where(vacancy_chunks.c.vacancy_id == vacancy.id))
            return True

    async def get(self, vacancy_id: str) -> Vacancy | None:
        stored = await self.get_stored(vacancy_id)
        return None if stored is None else stored.vacancy

    async def get_stored(self, vacancy_id: str, tenant: str | None = None) -> StoredVacancy | None:
        query = select(vacancies).where(vacancies.c.id == vacancy_id)
        if tenant is not None:
            query = query.where(_visible_to(tenant))
        async with self.sessions() as session:
            row = (await session.execute(query)).one_or_none()
        return None if row is None else _row_to_stored(row)

    async def newest_by_title(self, title: str, tenant: str) -> StoredVacancy | None:
        page = await self.page(tenant=tenant, title=title, limit=1, after=None)
        return page[0] if page else None

    async def page(
        self, *, tenant: str, title: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[StoredVacancy]:
        query = (
            select(vacancies)
            .where(_visible_to(tenant))
            .order_by(vacancies.c.created_at.desc(), vacancies.c.id.desc())
            .limit(limit)
        )
        if title:
            query = query.where(func.lower(vacancies.c.title) == normalize_title(title).lower())
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(
                    vacancies.c.created_at < created,
                    and_(vacancies.c.created_at == created, vacancies.c.id < last_id),
                )
            )
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [_row_to_stored(r) for r in rows]

    async def has_chunks(self, vacancy_id: str) -> bool:
        async with self.sessions() as session:
            found = await session.scalar(select(exists().where(vacancy_chunks.c.vacancy_id == vacancy_id)))
        return bool(found)

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
