"""Retrieval over a vacancy's embedded reference chunks: cosine ranking, per stage, never silently empty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Which reference documents each stage reads (PRODUCT.md: the CV against the job description and CV rubric,
# the project against the case-study brief and the project rubric).
STAGE_SOURCES = {
    "cv": ("job_description", "cv_rubric"),
    "project": ("study_case_brief", "project_rubric"),
}


class RetrievalEmpty(Exception):
    pass


@dataclass(frozen=True)
class EmbeddedChunk:
    id: str
    source: str
    text: str
    vector: tuple[float, ...]


@dataclass(frozen=True)
class Retrieved:
    chunk: EmbeddedChunk
    score: float


def rank(
    query_vectors: Sequence[Sequence[float]], chunks: Sequence[EmbeddedChunk], stage: str, k: int = 6
) -> list[Retrieved]:
    """Top-k chunks of the stage's sources by their best cosine to any query vector; ties keep document order."""
    sources = STAGE_SOURCES[stage]
    candidates = [c for c in chunks if c.source in sources]
    if not candidates:
        raise RetrievalEmpty(f"the vacancy has no {' or '.join(sources)} text to retrieve from")
    if not query_vectors:
        raise RetrievalEmpty(f"the {stage} text produced no query to retrieve with")
    matrix = _normalise(np.asarray([c.vector for c in candidates], dtype=np.float64))
    queries = _normalise(np.asarray(query_vectors, dtype=np.float64))
    best = (matrix @ queries.T).max(axis=1)
    order = sorted(range(len(candidates)), key=lambda i: (-best[i], i))[:k]
    return [Retrieved(candidates[i], float(best[i])) for i in order]


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms
