"""What the vacancy use cases need from the outside world: a store and the uploaded documents (the embedder is the
evaluation pipeline's port, `scoring.pipeline.Embedder`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring.model import Vacancy
from cveval_job.vacancies.domain import StoredVacancy


class VacancyStore(Protocol):
    async def insert(self, vacancy: Vacancy, *, tenant: str, created_by: str) -> tuple[StoredVacancy, bool]:
        """Store the tenant's vacancy unless its id exists; the stored one and whether this call created it."""

    async def install(self, vacancy: Vacancy) -> bool:
        """Store a vacancy the code owns (the default), replacing its content and chunks when its version changed;
        True when something was written."""

    async def get_stored(self, vacancy_id: str, tenant: str | None = None) -> StoredVacancy | None:
        """The vacancy; with `tenant`, only when that tenant sees it (its own, or a global one)."""

    async def newest_by_title(self, title: str, tenant: str) -> StoredVacancy | None:
        """The most recently created vacancy the tenant sees with this title, compared case-insensitively."""

    async def page(
        self, *, tenant: str, title: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[StoredVacancy]:
        """The vacancies the tenant sees, newest first by (created_at, id); `after` is the last (created_at, id) of
        the previous page."""

    async def has_chunks(self, vacancy_id: str) -> bool:
        """Whether reference chunks of any embedding model are stored for the vacancy."""

    async def save_chunks(self, vacancy_id: str, embed_model: str, chunks: Sequence[EmbeddedChunk]) -> None: ...


class VacancyDocuments(Protocol):
    async def kind_and_text(self, tenant: str, document_id: str, owner: str | None = None) -> tuple[str, str] | None:
        """(kind, extracted text) of an uploaded document the caller may read; None when there is none."""
