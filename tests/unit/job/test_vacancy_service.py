"""Vacancy use cases with an in-memory store and a fake ai-gateway: idempotent create, embedding once at creation
(and not failing when the gateway is down), newest-by-title, keyset listing, the default and ad-hoc vacancies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring import pipeline
from cveval_job.scoring.model import Vacancy
from cveval_job.scoring.rubrics import DEFAULT_VACANCY_ID
from cveval_job.vacancies.domain import MAX_TEXT_CHARS, StoredVacancy, VacancyDraft
from cveval_job.vacancies.indexing import ReferenceIndexer
from cveval_job.vacancies.service import DocumentSources, VacancyApplication, shipped_default
from cveval_kit import errors
from cveval_kit.identity import SUBMITTER, Identity

CALLER = Identity("default", "key:test", frozenset({SUBMITTER}))


@dataclass
class MemoryStore:
    rows: dict[str, StoredVacancy] = field(default_factory=dict)
    chunks: dict[str, list[tuple[str, EmbeddedChunk]]] = field(default_factory=dict)
    clock: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    def _now(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    async def insert(self, vacancy: Vacancy, *, tenant: str, created_by: str) -> tuple[StoredVacancy, bool]:
        if vacancy.id in self.rows:
            return self.rows[vacancy.id], False
        self.rows[vacancy.id] = StoredVacancy(vacancy, self._now())
        return self.rows[vacancy.id], True

    async def install(self, vacancy: Vacancy) -> bool:
        current = self.rows.get(vacancy.id)
        if current is not None and current.vacancy.version == vacancy.version:
            return False
        self.rows[vacancy.id] = StoredVacancy(vacancy, self._now())
        self.chunks.pop(vacancy.id, None)
        return True

    async def get_stored(self, vacancy_id: str, tenant: str | None = None) -> StoredVacancy | None:
        return self.rows.get(vacancy_id)

    async def newest_by_title(self, title: str, tenant: str) -> StoredVacancy | None:
        page = await self.page(tenant=tenant, title=title, limit=1, after=None)
        return page[0] if page else None

    async def page(
        self, *, tenant: str, title: str | None, limit: int, after: tuple[datetime, str] | None
    ) -> list[StoredVacancy]:
        rows = sorted(self.rows.values(), key=lambda s: (s.created_at, s.vacancy.id), reverse=True)
        if title:
            rows = [s for s in rows if s.vacancy.title.lower() == title.lower()]
        if after is not None:
            rows = [s for s in rows if (s.created_at, s.vacancy.id) < after]
        return rows[:limit]

    async def has_chunks(self, vacancy_id: str) -> bool:
        return bool(self.chunks.get(vacancy_id))

    async def save_chunks(self, vacancy_id: str, embed_model: str, chunks: Sequence[EmbeddedChunk]) -> None:
        self.chunks.setdefault(vacancy_id, []).extend((embed_model, c) for c in chunks)


@dataclass(frozen=True)
class Batch:
    vectors: list[tuple[float, ...]]
    model: str


@dataclass
class FakeGateway:
    down: bool = False
    models: list[str] = field(default_factory=lambda: ["embed-a"])
    calls: list[int] = field(default_factory=list)

    async def embed(self, texts: Sequence[str]) -> Batch:
        if self.down:
            raise errors.Unavailable("ai-gateway embedding unavailable", code="AI_UNAVAILABLE")
        model = self.models[min(len(self.calls), len(self.models) - 1)]
        self.calls.append(len(texts))
        return Batch([(float(len(t)), 1.0) for t in texts], model)


def make_app(gateway: FakeGateway | None = None) -> tuple[VacancyApplication, MemoryStore, FakeGateway]:
    store, gw = MemoryStore(), gateway or FakeGateway()
    return VacancyApplication(store, ReferenceIndexer(gw, store)), store, gw


def draft(title: str = "Data Engineer", brief: str = "Build a pipeline.") -> VacancyDraft:
    return VacancyDraft(title=title, job_description="We need Spark and Python.", study_case_brief=brief)


async def test_create_stores_and_embeds_once() -> None:
    app, store, gw = make_app()
    first, created = await app.create(CALLER, draft())
    again, created_again = await app.create(CALLER, draft(title="data  engineer"))
    assert created and not created_again
    assert again == first
    assert len(gw.calls) == 1
    saved = store.chunks[first.vacancy.id]
    assert {model for model, _ in saved} == {"embed-a"}
    sources = {c.source for _, c in saved}
    assert sources == {"job_description", "study_case_brief", "cv_rubric", "project_rubric"}


async def test_create_succeeds_when_the_gateway_is_down() -> None:
    app, store, _ = make_app(FakeGateway(down=True))
    stored, created = await app.create(CALLER, draft())
    assert created and stored.vacancy.id in store.rows
    assert not await store.has_chunks(stored.vacancy.id)


async def test_chunks_are_embedded_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "EMBED_BATCH", 4)
    app, store, gw = make_app()
    stored, _ = await app.create(CALLER, draft())
    assert len(gw.calls) > 1 and max(gw.calls) <= 4
    assert len(store.chunks[stored.vacancy.id]) == sum(gw.calls)


async def test_batches_from_different_models_are_not_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "EMBED_BATCH", 4)
    app, store, gw = make_app(FakeGateway(models=["embed-a", "embed-b"]))
    stored, _ = await app.create(CALLER, draft())
    assert len(gw.calls) == 2
    assert not await store.has_chunks(stored.vacancy.id)


async def test_invalid_vacancy_is_invalid_argument() -> None:
    app, _, _ = make_app()
    with pytest.raises(errors.InvalidArgument) as err:
        await app.create(CALLER, VacancyDraft("", "x", "y"))
    assert err.value.message == "title: must not be empty" and err.value.code == "INVALID_VACANCY"


async def test_newest_with_a_title_wins() -> None:
    app, _, _ = make_app()
    await app.create(CALLER, draft(brief="First brief."))
    second, _ = await app.create(CALLER, draft(brief="Second brief."))
    await app.create(CALLER, draft(title="Other", brief="Third brief."))
    assert (await app.newest_titled("default", "  DATA engineer ")).id == second.vacancy.id
    with pytest.raises(errors.NotFound) as err:
        await app.newest_titled("default", "Nobody")
    assert err.value.code == "VACANCY_NOT_FOUND"


async def test_list_pages_newest_first_and_filters_by_title() -> None:
    app, _, _ = make_app()
    ids = [(await app.create(CALLER, draft(brief=f"Brief {i}.")))[0].vacancy.id for i in range(5)]
    seen: list[str] = []
    token = ""
    while True:
        page, token = await app.list("default", "", 2, token, full=False)
        assert len(page) <= 2
        seen += [s.vacancy.id for s in page]
        if not token:
            break
    assert seen == ids[::-1]
    only, _ = await app.list("default", "data engineer", 0, "", full=True)
    assert len(only) == 5
    with pytest.raises(errors.InvalidArgument):
        await app.list("default", "", 2, "not-a-token", full=False)
    with pytest.raises(errors.InvalidArgument):
        await app.list("default", "", -1, "", full=False)


async def test_full_pages_are_capped() -> None:
    app, _, _ = make_app()
    for i in range(12):
        await app.create(CALLER, draft(brief=f"Brief {i}."))
    page, token = await app.list("default", "", 100, "", full=True)
    assert len(page) == 10 and token


async def test_get_unknown_is_not_found() -> None:
    app, _, _ = make_app()
    with pytest.raises(errors.NotFound):
        await app.get("default", "vac-nope")


async def test_default_is_installed_once_and_replaced_when_the_shipped_content_changes() -> None:
    app, store, _ = make_app()
    assert await app.install_default()
    assert not await app.install_default()
    assert await app.index_default()
    assert store.rows[DEFAULT_VACANCY_ID].vacancy.version == shipped_default().version
    stale = replace(shipped_default(), version="2026-11-1")
    store.rows[DEFAULT_VACANCY_ID] = StoredVacancy(stale, store.clock)
    assert await app.install_default()
    assert not await store.has_chunks(DEFAULT_VACANCY_ID)
    assert (await app.default()).version == shipped_default().version


async def test_default_is_installed_on_demand() -> None:
    app, store, _ = make_app()
    assert (await app.default()).id == DEFAULT_VACANCY_ID
    assert DEFAULT_VACANCY_ID in store.rows


async def test_adhoc_vacancies_dedup_by_content_and_are_embedded() -> None:
    app, store, gw = make_app()
    a = await app.adhoc(CALLER, "Data Engineer\nWe need Spark.", "Build a pipeline.", "")
    b = await app.adhoc(CALLER, "Data Engineer\n\nWe   need Spark.", "Build a  pipeline.", "")
    assert a.id == b.id and a.id.startswith("adhoc-")
    assert len(a.version) == 16
    assert len(gw.calls) == 1 and await store.has_chunks(a.id)
    only_notes = await app.adhoc(CALLER, "", "", "Prefer clean tests.")
    assert only_notes.scoring_notes == "Prefer clean tests."
    assert only_notes.job_description == shipped_default().job_description


async def test_adhoc_oversize_text_is_invalid_argument() -> None:
    app, _, _ = make_app()
    with pytest.raises(errors.InvalidArgument) as err:
        await app.adhoc(CALLER, "x" * (MAX_TEXT_CHARS + 1), "", "")
    assert "job_description" in err.value.message


@dataclass
class UploadedTexts:
    """Uploaded documents by id: (kind, extracted text)."""

    documents: dict[str, tuple[str, str]]

    async def kind_and_text(self, tenant: str, document_id: str, owner: str | None = None) -> tuple[str, str] | None:
        return self.documents.get(document_id)


async def test_create_from_uploaded_documents_uses_their_text() -> None:
    jd = "Backend engineer with Python and PostgreSQL " * 3
    brief = "Build an evaluator service with retrieval " * 3
    uploads = UploadedTexts({"d1": ("job_description", jd), "d2": ("case_study_brief", brief), "d3": ("cv", "x")})
    app = VacancyApplication(MemoryStore(), ReferenceIndexer(FakeGateway(), MemoryStore()), uploads)
    draft = VacancyDraft(title="From files", job_description="", study_case_brief="")
    stored, created = await app.create(CALLER, draft, DocumentSources("d1", "d2"))
    assert created and stored.vacancy.job_description.strip() == jd.strip()
    assert stored.vacancy.study_case_brief.strip() == brief.strip()
    with pytest.raises(errors.InvalidArgument, match="expected a job_description document"):
        await app.create(CALLER, draft, DocumentSources("d3", "d2"))
    with pytest.raises(errors.InvalidArgument, match="not both"):
        await app.create(CALLER, replace(draft, job_description=jd), DocumentSources("d1", "d2"))
    with pytest.raises(errors.NotFound):
        await app.create(CALLER, draft, DocumentSources("nope", "d2"))
