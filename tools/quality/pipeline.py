"""The service's EvaluationPipeline (services/cveval_job/scoring/pipeline.py), run in-process for the report: the
gateway's offline embedder stands behind the pipeline's embedder port, a dictionary behind its reference store.
Nothing here scores or retrieves on its own, so the report measures what the worker runs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from cveval_gateway.providers import minilm, use_multilingual
from cveval_gateway.providers.base import Provider
from cveval_gateway.providers.offline import EMBED_MODEL as HASH_MODEL
from cveval_gateway.providers.offline import OfflineEngine
from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring.model import Evaluation, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.pipeline import EvaluationPipeline, PipelineRun
from tools.quality import REPO_ROOT

# A fixed "today" for "Present" in CV dates, so the report is the same whichever day it runs.
REFERENCE_DATE = date(2026, 11, 15)
# Embeddings of the labelled set are kept between runs here (never committed: build/ is ignored), keyed by model
# and text hash, so `make quality` embeds each document once per machine.
CACHE_DIR = REPO_ROOT / "build" / "quality-cache"


def default_embedder() -> tuple[Provider, str]:
    """The embedder the ai-gateway serves offline, by the gateway's own order of preference."""
    if use_multilingual.available():
        return use_multilingual.UseMultilingualEmbedder(), use_multilingual.MODEL
    if minilm.available():
        return minilm.MiniLmEmbedder(), minilm.MODEL
    return OfflineEngine(), HASH_MODEL


@dataclass(frozen=True)
class Batch:
    vectors: Sequence[Sequence[float]]
    model: str


class InProcessEmbedder:
    """The pipeline's embedder port over a gateway provider, with an optional cache of vectors by text hash."""

    def __init__(self, engine: Provider, model: str, cache_file: Path | None = None) -> None:
        self.engine = engine
        self.model = model
        self.cache_file = cache_file
        self._cache: dict[str, np.ndarray] = {}
        if cache_file is not None and cache_file.is_file():
            with np.load(cache_file) as saved:
                self._cache = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
        self._dirty = False

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    async def embed(self, texts: Sequence[str]) -> Batch:
        keys = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._cache}
        if missing:
            result = await self.engine.embed("offline", list(missing.values()), timeout=120.0)
            for key, vector in zip(missing, result.vectors, strict=True):
                self._cache[key] = np.asarray(vector, dtype=np.float32)
            self._dirty = self.cache_file is not None
        return Batch([self._cache[k].tolist() for k in keys], self.model)

    def save(self) -> None:
        if self.cache_file is None or not self._dirty or not self._cache:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._cache)
        np.savez(self.cache_file, keys=np.array(keys), vectors=np.vstack([self._cache[k] for k in keys]))
        self._dirty = False


@dataclass
class MemoryChunks:
    rows: dict[tuple[str, str], list[EmbeddedChunk]] = field(default_factory=dict)

    async def chunks(self, vacancy_id: str, embed_model: str) -> list[EmbeddedChunk]:
        return list(self.rows.get((vacancy_id, embed_model), []))

    async def save_chunks(self, vacancy_id: str, embed_model: str, chunks: Sequence[EmbeddedChunk]) -> None:
        self.rows[(vacancy_id, embed_model)] = list(chunks)


@dataclass(frozen=True)
class Run:
    evaluation: Evaluation
    retrieved: tuple[str, ...]
    run: PipelineRun


class Pipeline:
    """One EvaluationPipeline with the offline scorer; `cached` keeps vectors on disk between report runs."""

    def __init__(self, *, cached: bool = False, engine: tuple[Provider, str] | None = None) -> None:
        provider, model = engine or default_embedder()
        cache = CACHE_DIR / f"{model}.npz" if cached else None
        self.embedder = InProcessEmbedder(provider, model, cache)
        self.scorer = OfflineScorer(REFERENCE_DATE)
        self.inner = EvaluationPipeline(self.embedder, MemoryChunks(), self.scorer, today=lambda: REFERENCE_DATE)

    @property
    def model(self) -> str:
        return self.embedder.model

    async def evaluate(self, cv: str, report: str, vacancy: Vacancy) -> Run:
        run = await self.inner.evaluate(cv, report, vacancy)
        return Run(run.evaluation, tuple(h.chunk.id for h in run.retrieved), run)

    async def aclose(self) -> None:
        self.embedder.save()
        await self.embedder.engine.aclose()


def embedder_name() -> str:
    if use_multilingual.available():
        return use_multilingual.MODEL
    return minilm.MODEL if minilm.available() else HASH_MODEL
