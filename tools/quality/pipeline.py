"""The worker's evaluation pipeline, in-process and offline: chunk and embed the vacancy, retrieve per stage with
the hybrid ranking, score with the offline scorer. Same domain code as the worker; no servers, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cveval_gateway.providers import minilm
from cveval_gateway.providers.base import Provider
from cveval_gateway.providers.offline import OfflineEngine
from cveval_job.domain.retrieval import EmbeddedChunk, query_windows, reference_chunks, retrieve
from cveval_job.scoring.model import Chunk, Evaluation, ScoringInput, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer

# A fixed "today" for "Present" in CV dates, so the report is the same whichever day it runs.
REFERENCE_DATE = date(2026, 11, 15)
TOP_K = 6  # as the worker


@dataclass(frozen=True)
class Run:
    evaluation: Evaluation
    retrieved: tuple[str, ...]


def default_embedder() -> Provider:
    """The embedder the ai-gateway serves offline: MiniLM when its wheel is installed, else feature hashing."""
    return minilm.MiniLmEmbedder() if minilm.available() else OfflineEngine()


def embedder_name() -> str:
    return minilm.MODEL if minilm.available() else "offline-hash-384"


@dataclass
class Pipeline:
    engine: Provider = field(default_factory=default_embedder)
    scorer: OfflineScorer = field(default_factory=lambda: OfflineScorer(REFERENCE_DATE))
    _chunks: dict[str, list[EmbeddedChunk]] = field(default_factory=dict)

    async def _embed(self, texts: list[str]) -> list[tuple[float, ...]]:
        result = await self.engine.embed("offline", texts, timeout=60.0)
        return [tuple(v) for v in result.vectors]

    async def _reference(self, vacancy: Vacancy) -> list[EmbeddedChunk]:
        if vacancy.id not in self._chunks:
            chunks = reference_chunks(vacancy)
            vectors = await self._embed([c.text for c in chunks])
            self._chunks[vacancy.id] = [
                EmbeddedChunk(c.id, c.source, c.text, v) for c, v in zip(chunks, vectors, strict=True)
            ]
        return self._chunks[vacancy.id]

    async def evaluate(self, cv: str, report: str, vacancy: Vacancy) -> Run:
        chunks = await self._reference(vacancy)
        cv_hits = retrieve("cv", cv, await self._embed(query_windows(cv)), chunks, TOP_K)
        project_hits = retrieve("project", report, await self._embed(query_windows(report)), chunks, TOP_K)
        evaluation = await self.scorer.score(
            ScoringInput(
                cv_text=cv,
                project_text=report,
                vacancy=vacancy,
                cv_context=tuple(Chunk(h.chunk.id, h.chunk.source, h.chunk.text) for h in cv_hits),
                project_context=tuple(Chunk(h.chunk.id, h.chunk.source, h.chunk.text) for h in project_hits),
            )
        )
        return Run(evaluation, tuple(h.chunk.id for h in [*cv_hits, *project_hits]))
