"""The one evaluation pipeline: embed the vacancy's reference chunks, embed the candidate's documents, retrieve per
stage, find the semantic evidence, score. The worker, the vacancy indexer and the quality report (`make quality`)
all run this class, so what the report measures is what the service runs.

It reaches the outside world only through two ports (an embedder and a store of reference chunks), so it has no
I/O of its own: the worker passes the ai-gateway client and the vacancy repository, the quality report an
in-process embedder and a dictionary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final, Protocol

from opentelemetry import trace

from cveval_job.domain.retrieval import (
    EmbeddedChunk,
    RetrievalEmpty,
    Retrieved,
    query_windows,
    reference_chunks,
    retrieve,
    retrieve_lexical,
)
from cveval_job.scoring.candidate_text import clean_cv
from cveval_job.scoring.model import Chunk, Evaluation, ScoringInput, Vacancy
from cveval_job.scoring.ports import Scorer
from cveval_job.scoring.semantic import SemanticEvidence, semantic_evidence
from cveval_job.scoring.semantic_roles import paragraph_texts, role_evidence, role_texts
from cveval_kit import errors

__all__ = [
    "CV_PASSAGES",
    "DEGRADED_FLAG",
    "DEGRADED_REASON_PREFIX",
    "EMBED_BATCH",
    "Embedder",
    "EvaluationPipeline",
    "PipelineRun",
    "ReferenceStore",
    "embed_reference",
]

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

TOP_K: Final = 6
# Well under the gateway's 2048 texts per call; a 100k-character document gives about 150 chunks.
EMBED_BATCH: Final = 256
# The CV is read by meaning over its whole length: up to this many windows spread over it (head, end, between).
# The project report keeps retrieval's default of three: it is only used to find the brief's relevant chunks.
CV_PASSAGES: Final = 8
# Provenance flags of an evaluation the fallback scorer made because the model provider was unavailable: the flag,
# and "degraded_reason:<error code>: <message>" saying what was unavailable.
DEGRADED_FLAG: Final = "degraded_to_offline_scorer"
DEGRADED_REASON_PREFIX: Final = "degraded_reason:"
MAX_REASON_CHARS: Final = 240


class EmbeddingBatch(Protocol):
    @property
    def vectors(self) -> Sequence[Sequence[float]]: ...

    @property
    def model(self) -> str: ...


class Embedder(Protocol):
    async def embed(self, texts: Sequence[str]) -> EmbeddingBatch:
        """One vector per text, in order, all from the model named in the batch; errors.Unavailable when it can't."""


class ReferenceStore(Protocol):
    async def chunks(self, vacancy_id: str, embed_model: str) -> list[EmbeddedChunk]: ...

    async def save_chunks(self, vacancy_id: str, embed_model: str, chunks: Sequence[EmbeddedChunk]) -> None: ...


@dataclass
class PipelineRun:
    evaluation: Evaluation
    embed_model: str  # "" when no embedder answered and retrieval was lexical only
    retrieved: list[Retrieved]
    semantic: SemanticEvidence | None
    outage: errors.Unavailable | None  # set when the fallback scorer stood in for an unavailable provider
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
        span.set_attribute(
            f"retrieval.{stage}.{n}", f"{h.chunk.id} rrf={h.score:.4f} cos={h.cosine:.3f} bm25={h.lexical:.2f}"
        )
    log.debug("retrieved for %s: %s", stage, [(h.chunk.id, round(h.score, 4)) for h in hits])


def _model_changed() -> errors.Unavailable:
    return errors.Unavailable("the embedding model changed during the evaluation", code="EMBEDDING_MODEL_CHANGED")


def _context(hits: list[Retrieved]) -> tuple[Chunk, ...]:
    return tuple(Chunk(h.chunk.id, h.chunk.source, h.chunk.text) for h in hits)


async def embed_reference(embedder: Embedder, vacancy: Vacancy) -> tuple[str, list[EmbeddedChunk]]:
    """The vacancy's reference chunks with their vectors, all from one model (RetrievalEmpty without any): the one
    place they are embedded, for the vacancy indexer and for the pipeline when nothing is stored yet."""
    chunks = reference_chunks(vacancy)
    if not chunks:
        raise RetrievalEmpty(f"vacancy {vacancy.id!r} has no reference text")
    model = ""
    vectors: list[Sequence[float]] = []
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = await embedder.embed([c.text for c in chunks[start : start + EMBED_BATCH]])
        if model and batch.model != model:
            # The gateway switched models between calls (a fallback): vectors of two spaces never mix.
            raise _model_changed()
        model = batch.model
        vectors.extend(batch.vectors)
    if len(vectors) != len(chunks):
        raise errors.Unavailable(f"{len(vectors)} vectors for {len(chunks)} chunks", code="EMBEDDING_MISMATCH")
    rows = [
        EmbeddedChunk(c.id, c.source, c.text, tuple(float(x) for x in v))
        for c, v in zip(chunks, vectors, strict=True)
    ]
    return model, rows


class EvaluationPipeline:
    """`today` is the reference date for "Present" in the CV's dated roles (the scorer's own, passed by the caller:
    the domain never reads the clock)."""

    def __init__(
        self, embedder: Embedder, store: ReferenceStore, scorer: Scorer, *, today: Callable[[], date]
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.scorer = scorer
        self.today = today

    async def _reference(self, vacancy: Vacancy, model: str) -> list[EmbeddedChunk]:
        """Stored chunks of this model, else embedded now and stored (once per vacancy and model)."""
        stored = await self.store.chunks(vacancy.id, model)
        if stored:
            return stored
        used, rows = await embed_reference(self.embedder, vacancy)
        if used != model:
            raise _model_changed()
        await self.store.save_chunks(vacancy.id, model, rows)
        return await self.store.chunks(vacancy.id, model)

    async def evaluate(
        self, cv_text: str, project_text: str | None, vacancy: Vacancy, *, fallback: Scorer | None = None
    ) -> PipelineRun:
        """errors.Unavailable when the embedder or the scorer's provider is unavailable and there is no fallback;
        RetrievalEmpty when the vacancy or a document gives nothing to retrieve with. `project_text` None: no
        project report was submitted, so nothing is retrieved for one and the scorer scores the CV only
        (ScoringInput.cv_only: no project step, no model call for it)."""
        report = project_text or ""
        timings: dict[str, float] = {}
        outage: errors.Unavailable | None = None
        semantic: SemanticEvidence | None = None
        try:
            model, cv_hits, project_hits, semantic = await self._retrieve(cv_text, report, vacancy, timings)
        except errors.Unavailable as exc:
            if fallback is None:
                raise
            # No embedder either: the fallback scorer still gets the best reference chunks, by BM25 alone.
            outage, model = exc, ""
            with _step("retrieve_lexical", timings):
                chunks = reference_chunks(vacancy)
                cv_hits = retrieve_lexical("cv", cv_text, chunks, TOP_K)
                project_hits = retrieve_lexical("project", report, chunks, TOP_K) if report else []
        inp = ScoringInput(
            cv_text, report, vacancy, _context(cv_hits), _context(project_hits), semantic, cv_only=project_text is None
        )
        with _step("score", timings):
            evaluation, outage = await self._score(inp, fallback, outage)
        return PipelineRun(evaluation, model, [*cv_hits, *project_hits], semantic, outage, timings)

    async def _retrieve(
        self, cv_text: str, project_text: str, vacancy: Vacancy, timings: dict[str, float]
    ) -> tuple[str, list[Retrieved], list[Retrieved], SemanticEvidence | None]:
        with _step("embed_queries", timings):
            # The CV as the scorer reads it (no injected, stuffed or personal text), so none of that moves a vector.
            cv_clean = clean_cv(cv_text, vacancy.job_description).text or cv_text
            passages = query_windows(cv_clean, CV_PASSAGES)
            project_queries = query_windows(project_text) if project_text else []
            roles, paragraphs = role_texts(cv_clean, self.today()), paragraph_texts(cv_clean)
            embedded = await self.embedder.embed([*passages, *roles, *paragraphs, *project_queries])
            vectors = list(embedded.vectors)
            cv_vectors, vectors = vectors[: len(passages)], vectors[len(passages) :]
            role_vectors, vectors = vectors[: len(roles)], vectors[len(roles) :]
            paragraph_vectors, project_vectors = vectors[: len(paragraphs)], vectors[len(paragraphs) :]
        with _step("reference_chunks", timings):
            chunks = await self._reference(vacancy, embedded.model)
        with _step("retrieve", timings):
            cv_hits = retrieve("cv", cv_text, cv_vectors, chunks, TOP_K)
            project_hits = retrieve("project", project_text, project_vectors, chunks, TOP_K) if project_text else []
            _record("cv", cv_hits)
            _record("project", project_hits)
            job = [(c.text, c.vector) for c in chunks if c.source == "job_description"]
            cv_passages = list(zip(passages, cv_vectors, strict=True))
            semantic = semantic_evidence(embedded.model, cv_passages, job)
            if semantic is not None:
                found = role_evidence(
                    embedded.model,
                    list(zip(roles, role_vectors, strict=True)),
                    cv_passages,
                    job,
                    list(zip(paragraphs, paragraph_vectors, strict=True)),
                )
                semantic = replace(semantic, roles=found)
        return embedded.model, cv_hits, project_hits, semantic

    async def _score(
        self, inp: ScoringInput, fallback: Scorer | None, outage: errors.Unavailable | None
    ) -> tuple[Evaluation, errors.Unavailable | None]:
        """The scorer's evaluation, or the fallback's (flagged) when the provider was or turns out unavailable."""
        if outage is None:
            try:
                return await self.scorer.score(inp), None
            except errors.Unavailable as exc:
                if fallback is None:
                    raise
                outage = exc
        if fallback is None:  # an outage is only ever carried here together with a fallback
            raise outage
        log.warning("vacancy %s: the model provider is unavailable (%s); scoring with the fallback scorer",
                    inp.vacancy.id, outage.message)
        evaluation = await fallback.score(inp)
        reason = f"{DEGRADED_REASON_PREFIX}{outage.code}: {' '.join(outage.message.split())}"[:MAX_REASON_CHARS]
        return replace(evaluation, flags=tuple(sorted({*evaluation.flags, DEGRADED_FLAG, reason}))), outage
