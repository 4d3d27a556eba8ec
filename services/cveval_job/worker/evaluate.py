"""One evaluation: fetch the texts, retrieve the vacancy context per stage, score, and say how it was made."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Final

from opentelemetry import trace

from cveval_job.adapters.gateway_client import GatewayClient
from cveval_job.adapters.upload_client import UploadClient
from cveval_job.adapters.vacancy_repository import VacancyRepository
from cveval_job.domain.jobs import Job
from cveval_job.domain.retrieval import (
    EmbeddedChunk,
    RetrievalEmpty,
    Retrieved,
    query_windows,
    reference_chunks,
    retrieve,
    retrieve_lexical,
)
from cveval_job.metrics import DEGRADED
from cveval_job.scoring.model import Chunk, Evaluation, ScoringInput, Vacancy
from cveval_job.scoring.ports import Scorer
from cveval_kit import errors

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

TOP_K = 6
# Provenance flags of an evaluation the offline scorer made because the model provider was unavailable: the flag,
# and "degraded_reason:<error code>: <message>" saying what was unavailable.
DEGRADED_FLAG: Final = "degraded_to_offline_scorer"
DEGRADED_REASON_PREFIX: Final = "degraded_reason:"
MAX_REASON_CHARS: Final = 240


class PermanentFailure(Exception):
    """The job cannot succeed by retrying (missing document, empty text, unusable vacancy, invalid scores)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Outcome:
    evaluation: Evaluation
    vacancy: Vacancy
    embed_model: str
    retrieved: list[Retrieved]
    step_ms: dict[str, float] = field(default_factory=dict)


@contextmanager
def _step(name: str, timings: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    with tracer.start_as_current_span(f"evaluate.{name}"):
        yield
    timings[name] = round((time.perf_counter() - started) * 1000, 2)


def _record(stage: str, hits: list[Retrieved]) -> None:
    """Per-chunk scores go on the span and the debug log: the result's provenance has no field for them."""
    span = trace.get_current_span()
    for n, h in enumerate(hits):
        span.set_attribute(f"retrieval.{stage}.{n}", f"{h.chunk.id} rrf={h.score:.4f} cos={h.cosine:.3f} "
                                                      f"bm25={h.lexical:.2f}")
    log.debug("retrieved for %s: %s", stage, [(h.chunk.id, round(h.score, 4)) for h in hits])


class Evaluator:
    """`fallback` scores instead of `scorer` when the model provider stays unavailable (DEGRADED_FLAG); None never."""

    def __init__(
        self,
        documents: UploadClient,
        vacancies: VacancyRepository,
        gateway: GatewayClient,
        scorer: Scorer,
        fallback: Scorer | None = None,
    ) -> None:
        self.documents = documents
        self.vacancies = vacancies
        self.gateway = gateway
        self.scorer = scorer
        self.fallback = fallback

    async def run(self, job: Job, *, last_attempt: bool = False) -> Outcome:
        """On earlier deliveries an unavailable provider raises errors.Unavailable (the job is retried); only the last
        one may degrade, so a short outage costs a retry rather than the model's judgement."""
        timings: dict[str, float] = {}
        with _step("fetch_documents", timings):
            cv_text, project_text = await asyncio.gather(
                self._text(job.cv_id, "cv"), self._text(job.project_id, "project")
            )
            vacancy = await self.vacancies.get(job.vacancy_id)
            if vacancy is None:
                raise PermanentFailure("VACANCY_NOT_FOUND", f"vacancy {job.vacancy_id!r} no longer exists")
        fallback = self.fallback if last_attempt and vacancy.allow_degraded_scoring else None
        outage: errors.Unavailable | None = None
        try:
            embed_model, cv_hits, project_hits = await self._retrieve(cv_text, project_text, vacancy, timings)
        except errors.Unavailable as exc:
            if fallback is None:
                raise
            # No embedder either: the offline scorer still gets the best reference chunks, by BM25 alone.
            outage, embed_model = exc, ""
            with _step("retrieve_lexical", timings):
                cv_hits, project_hits = _lexical_hits(vacancy, cv_text, project_text)
        scoring_input = ScoringInput(
            cv_text=cv_text,
            project_text=project_text,
            vacancy=vacancy,
            cv_context=tuple(Chunk(h.chunk.id, h.chunk.source, h.chunk.text) for h in cv_hits),
            project_context=tuple(Chunk(h.chunk.id, h.chunk.source, h.chunk.text) for h in project_hits),
        )
        with _step("score", timings):
            evaluation = await self._score(scoring_input, fallback, outage)
        return Outcome(evaluation, vacancy, embed_model, [*cv_hits, *project_hits], timings)

    async def _score(
        self, inp: ScoringInput, fallback: Scorer | None, outage: errors.Unavailable | None
    ) -> Evaluation:
        """The scorer's evaluation, or the fallback's when the provider was (or now turns out to be) unavailable."""
        if outage is None:
            try:
                return await self.scorer.score(inp)
            except errors.Unavailable as exc:
                if fallback is None:
                    raise
                outage = exc
        if fallback is None:  # an outage is only ever carried here together with a fallback
            raise outage
        return await _degraded(fallback, inp, outage)

    async def _retrieve(
        self, cv_text: str, project_text: str, vacancy: Vacancy, timings: dict[str, float]
    ) -> tuple[str, list[Retrieved], list[Retrieved]]:
        """The embedding model and each stage's hits; errors.Unavailable when the ai-gateway cannot embed."""
        with _step("embed_queries", timings):
            cv_queries, project_queries = query_windows(cv_text), query_windows(project_text)
            embedded = await self.gateway.embed([*cv_queries, *project_queries])
            cv_vectors = embedded.vectors[: len(cv_queries)]
            project_vectors = embedded.vectors[len(cv_queries) :]
        with _step("reference_chunks", timings):
            chunks = await self._embedded_reference(vacancy, embedded.model)
        with _step("retrieve", timings):
            try:
                cv_hits = retrieve("cv", cv_text, cv_vectors, chunks, TOP_K)
                project_hits = retrieve("project", project_text, project_vectors, chunks, TOP_K)
            except RetrievalEmpty as exc:
                raise PermanentFailure("RETRIEVAL_EMPTY", str(exc)) from exc
            _record("cv", cv_hits)
            _record("project", project_hits)
        return embedded.model, cv_hits, project_hits

    async def _text(self, document_id: str, expected_kind: str) -> str:
        found = await self.documents.text_of(document_id)
        if found is None:
            raise PermanentFailure("DOCUMENT_NOT_FOUND", f"{expected_kind} document {document_id!r} not found")
        kind, text = found
        if kind != expected_kind:
            raise PermanentFailure("WRONG_KIND", f"document {document_id!r} is a {kind} document")
        if not text.strip():
            raise PermanentFailure("EMPTY_TEXT", f"the {expected_kind} document has no usable text")
        return text

    async def _embedded_reference(self, vacancy: Vacancy, model: str) -> list[EmbeddedChunk]:
        """Reference chunks are embedded once per (vacancy, model) and kept with the vacancy."""
        stored = await self.vacancies.chunks(vacancy.id, model)
        if stored:
            return stored
        chunks = reference_chunks(vacancy)
        if not chunks:
            raise PermanentFailure("RETRIEVAL_EMPTY", f"vacancy {vacancy.id!r} has no reference text")
        embedded = await self.gateway.embed([c.text for c in chunks])
        if embedded.model != model:
            # The gateway switched models between calls (a fallback): keep vectors of one space together.
            raise errors.Unavailable(
                "the embedding model changed during the evaluation", code="EMBEDDING_MODEL_CHANGED"
            )
        rows = [EmbeddedChunk(c.id, c.source, c.text, v) for c, v in zip(chunks, embedded.vectors, strict=True)]
        await self.vacancies.save_chunks(vacancy.id, model, rows)
        return await self.vacancies.chunks(vacancy.id, model)


async def _degraded(fallback: Scorer, inp: ScoringInput, outage: errors.Unavailable) -> Evaluation:
    log.warning("vacancy %s: the model provider is unavailable (%s); scoring with the fallback scorer",
                inp.vacancy.id, outage.message)
    DEGRADED.labels(outage.code).inc()
    evaluation = await fallback.score(inp)
    reason = f"{DEGRADED_REASON_PREFIX}{outage.code}: {' '.join(outage.message.split())}"[:MAX_REASON_CHARS]
    return replace(evaluation, flags=tuple(sorted({*evaluation.flags, DEGRADED_FLAG, reason})))


def _lexical_hits(vacancy: Vacancy, cv_text: str, project_text: str) -> tuple[list[Retrieved], list[Retrieved]]:
    chunks = reference_chunks(vacancy)
    try:
        cv_hits = retrieve_lexical("cv", cv_text, chunks, TOP_K)
        project_hits = retrieve_lexical("project", project_text, chunks, TOP_K)
    except RetrievalEmpty as exc:
        raise PermanentFailure("RETRIEVAL_EMPTY", str(exc)) from exc
    _record("cv", cv_hits)
    _record("project", project_hits)
    return cv_hits, project_hits
