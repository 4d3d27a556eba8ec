"""The vacancy use cases: create (idempotent), get, list, the shipped default and ad-hoc vacancies. No gRPC here.

Every new vacancy, whichever way it comes (CreateVacancy, Evaluate's inline texts, the default at start-up), takes
one path: stored once by its content-derived id, then its reference chunks are embedded once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Final

from cveval_job.domain.pagination import InvalidPageToken, clamp_page_size, decode_token, encode_token
from cveval_job.scoring.errors import RubricError
from cveval_job.scoring.model import Vacancy
from cveval_job.scoring.rubrics import DEFAULT_VACANCY_ID, default_vacancy, vacancy_from_texts
from cveval_job.vacancies.domain import (
    InvalidVacancy,
    StoredVacancy,
    VacancyDraft,
    build_vacancy,
    check_text,
    normalize_title,
    tenant_scoped,
    with_content_version,
)
from cveval_job.vacancies.indexing import ReferenceIndexer
from cveval_job.vacancies.ports import VacancyDocuments, VacancyStore
from cveval_kit import errors
from cveval_kit.identity import Identity
from cveval_kit.tenancy import DEFAULT_TENANT, owner_filter

# Full vacancies carry up to 2 x 100k characters of text: keep a page of them far below Envoy's 8 MiB response cap.
MAX_FULL_PAGE_SIZE: Final = 10
NOT_FOUND_CODE: Final = "VACANCY_NOT_FOUND"


@dataclass(frozen=True)
class DocumentSources:
    """Uploaded documents whose extracted text stands for a draft's job description or case-study brief."""

    job_description_document_id: str = ""
    study_case_brief_document_id: str = ""


# draft field, its document id field, the document kind it must have
_SOURCES: Final = (
    ("job_description", "job_description_document_id", "job_description"),
    ("study_case_brief", "study_case_brief_document_id", "case_study_brief"),
)


@functools.cache
def shipped_default() -> Vacancy:
    return with_content_version(default_vacancy())


class VacancyApplication:
    def __init__(
        self, store: VacancyStore, indexer: ReferenceIndexer, documents: VacancyDocuments | None = None
    ) -> None:
        self.store = store
        self.indexer = indexer
        self.documents = documents
        self._default_stored = False

    async def create(
        self, caller: Identity, draft: VacancyDraft, sources: DocumentSources = DocumentSources()
    ) -> tuple[StoredVacancy, bool]:
        draft = await self._with_document_texts(caller, draft, sources)
        try:
            vacancy = build_vacancy(draft)
        except InvalidVacancy as exc:
            raise errors.InvalidArgument(str(exc), code="INVALID_VACANCY") from exc
        return await self._store(caller, vacancy)

    async def _with_document_texts(
        self, caller: Identity, draft: VacancyDraft, sources: DocumentSources
    ) -> VacancyDraft:
        """The draft with each text given as an uploaded document replaced by that document's extracted text. The
        vacancy stores the text itself (not the document), so erasing the upload later leaves the vacancy whole."""
        texts = {"job_description": draft.job_description, "study_case_brief": draft.study_case_brief}
        for field, id_field, kind in _SOURCES:
            document_id = getattr(sources, id_field).strip()
            if not document_id:
                continue
            if getattr(draft, field).strip():
                raise errors.InvalidArgument(f"give {field} or {id_field}, not both", code="INVALID_VACANCY")
            found = None
            if self.documents is not None:
                found = await self.documents.kind_and_text(caller.tenant, document_id, owner_filter(caller))
            if found is None:
                raise errors.NotFound(f"{id_field} {document_id!r}: no such document", code="DOCUMENT_NOT_FOUND")
            if found[0] != kind:
                raise errors.InvalidArgument(
                    f"{id_field} {document_id!r} is a {found[0]} document, expected a {kind} document",
                    code="WRONG_KIND",
                )
            texts[field] = found[1]
        return replace(draft, job_description=texts["job_description"], study_case_brief=texts["study_case_brief"])

    async def adhoc(
        self, caller: Identity, job_description: str, study_case_brief: str, scoring_rubric: str
    ) -> Vacancy:
        """The vacancy of an Evaluate request that carries its own texts; missing texts come from the default."""
        try:
            texts = [
                check_text(field, value, required=False)
                for field, value in (
                    ("job_description", job_description),
                    ("study_case_brief", study_case_brief),
                    ("scoring_rubric", scoring_rubric),
                )
            ]
            default = default_vacancy()
            vacancy = vacancy_from_texts(
                texts[0] or default.job_description, texts[1] or default.study_case_brief, texts[2] or None
            )
        except (InvalidVacancy, RubricError, ValueError) as exc:
            raise errors.InvalidArgument(f"inline vacancy: {exc}", code="INVALID_VACANCY") from exc
        # The id stays the scoring domain's hash of the texts, so ad-hoc vacancies stored before keep deduplicating.
        stored, _ = await self._store(caller, with_content_version(vacancy))
        return stored.vacancy

    async def _store(self, caller: Identity, vacancy: Vacancy) -> tuple[StoredVacancy, bool]:
        vacancy = tenant_scoped(vacancy, caller.tenant, DEFAULT_TENANT)
        stored, created = await self.store.insert(vacancy, tenant=caller.tenant, created_by=caller.principal)
        if created:
            # Awaited, not fired off: the chunks are stored before any job can reach the worker, so the worker never
            # embeds the same chunks in parallel. A failure is logged and left to the worker's lazy path.
            await self.indexer.index(stored.vacancy)
        return stored, created

    async def get(self, tenant: str, vacancy_id: str) -> StoredVacancy:
        """A vacancy the tenant sees (its own or a global one); another tenant's id is simply not found."""
        found = await self.store.get_stored(vacancy_id.strip(), tenant)
        if found is None:
            raise errors.NotFound(f"vacancy {vacancy_id!r} not found", code=NOT_FOUND_CODE)
        return found

    async def newest_titled(self, tenant: str, title: str) -> Vacancy:
        found = await self.store.newest_by_title(normalize_title(title), tenant)
        if found is None:
            raise errors.NotFound(
                f"no vacancy titled {normalize_title(title)!r}; pass vacancy_id, inline texts, or omit job_title "
                "for the default vacancy",
                code=NOT_FOUND_CODE,
            )
        return found.vacancy

    async def list(
        self, tenant: str, title: str, page_size: int, page_token: str, *, full: bool
    ) -> tuple[list[StoredVacancy], str]:
        try:
            limit = clamp_page_size(page_size)
            after = decode_token(page_token) if page_token else None
        except (ValueError, InvalidPageToken) as exc:
            raise errors.InvalidArgument(str(exc)) from exc
        if full:
            limit = min(limit, MAX_FULL_PAGE_SIZE)
        page = await self.store.page(
            tenant=tenant, title=normalize_title(title) or None, limit=limit + 1, after=after
        )
        if len(page) > limit:
            last = page[limit - 1]
            return page[:limit], encode_token(last.created_at, last.vacancy.id)
        return page, ""

    async def default_id(self) -> str:
        """The default vacancy's id once it is known to be stored: it is global, installed at start-up and never
        deleted (retention purges tenants' own vacancies only), so an Evaluate without a vacancy reads nothing."""
        if not self._default_stored:
            await self.default()
            self._default_stored = True
        return DEFAULT_VACANCY_ID

    async def default(self) -> Vacancy:
        stored = await self.store.get_stored(DEFAULT_VACANCY_ID)
        if stored is not None:
            return stored.vacancy
        await self.install_default()
        found = await self.store.get_stored(DEFAULT_VACANCY_ID)
        if found is None:
            raise errors.NotFound("the default vacancy is missing", code=NOT_FOUND_CODE)
        return found.vacancy

    async def install_default(self) -> bool:
        """Store the shipped default vacancy (replacing it when a release changed its texts or rubrics)."""
        return await self.store.install(shipped_default())

    async def index_default(self) -> bool:
        return await self.indexer.index(shipped_default())
