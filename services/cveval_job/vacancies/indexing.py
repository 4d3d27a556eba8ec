"""Embedding of a vacancy's reference chunks once, when the vacancy is stored, through the ai-gateway."""

from __future__ import annotations

import logging
from typing import Final

from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring.chunking import vacancy_chunks
from cveval_job.scoring.model import Vacancy
from cveval_job.vacancies.ports import Embedder, VacancyStore
from cveval_kit import errors

log = logging.getLogger(__name__)

# Well under the gateway's 2048 texts per call; a 100k-character document gives about 150 chunks.
EMBED_BATCH: Final = 256


class EmbeddingModelChanged(Exception):
    """The gateway answered batches of one vacancy from different models (a fallback mid-way)."""


class ReferenceIndexer:
    def __init__(self, embedder: Embedder, store: VacancyStore) -> None:
        self.embedder = embedder
        self.store = store

    async def index(self, vacancy: Vacancy) -> bool:
        """Embed and store the vacancy's reference chunks unless some are stored; False (logged) when that fails.

        Best effort on purpose: a vacancy stays usable without stored chunks, because the evaluation worker embeds
        them lazily on first use (worker/evaluate.py, `_embedded_reference`). So an unavailable ai-gateway never
        fails or blocks the creation of a vacancy; it only moves the embedding cost to the first evaluation.
        """
        try:
            if await self.store.has_chunks(vacancy.id):
                return True
            chunks = vacancy_chunks(vacancy)
            if not chunks:
                return False
            model, vectors = await self._embed([c.text for c in chunks])
            rows = [
                EmbeddedChunk(c.id, c.source, c.text, tuple(float(x) for x in v))
                for c, v in zip(chunks, vectors, strict=True)
            ]
            await self.store.save_chunks(vacancy.id, model, rows)
        except errors.ServiceError as exc:  # the ai-gateway is unavailable or refused the texts
            log.warning("vacancy %s: reference chunks not embedded (%s); the worker will on first use", vacancy.id, exc)
            return False
        except Exception:
            log.warning("vacancy %s: reference chunks not embedded; the worker will on first use", vacancy.id,
                        exc_info=True)
            return False
        log.info("embedded %d reference chunks of vacancy %s with %s", len(rows), vacancy.id, model)
        return True

    async def _embed(self, texts: list[str]) -> tuple[str, list[tuple[float, ...]]]:
        model = ""
        vectors: list[tuple[float, ...]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = await self.embedder.embed(texts[start : start + EMBED_BATCH])
            if model and batch.model != model:
                # Vectors of two models are not comparable; the worker's lazy path embeds in one model instead.
                raise EmbeddingModelChanged(f"{model} then {batch.model}")
            model = batch.model
            vectors.extend(tuple(v) for v in batch.vectors)
        if len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} chunks")
        return model, vectors
