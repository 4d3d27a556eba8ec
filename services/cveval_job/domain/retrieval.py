"""Hybrid retrieval over a vacancy's embedded reference chunks, per stage, never silently empty.

Two rankings of the stage's chunks are fused:
- dense: the best cosine between a chunk and any query window (whatever the gateway's embedder is);
- lexical: Okapi BM25 (Lucene variant, via bm25s) of the candidate document's terms against each chunk, so a chunk
  that shares rare terms with the CV ("Kubernetes", "pgvector") beats one that only shares common words.

They are fused with reciprocal rank fusion (RRF) rather than a weighted sum of scores: cosine scales differ between
embedders (a hashing embedder and MiniLM put "related" at very different values) and BM25 is unbounded and grows
with query length, so a weighted sum would need re-calibrating whenever the model changes. RRF uses ranks only and
works unchanged with either embedder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import bm25s  # type: ignore[import-untyped]
import numpy as np

from cveval_job.scoring.chunking import vacancy_chunks
from cveval_job.scoring.model import Chunk, Vacancy
from cveval_job.scoring.skills import extract_skills
from cveval_job.scoring.text import STOPWORDS, normalize, stem, words

__all__ = [
    "STAGE_SOURCES",
    "EmbeddedChunk",
    "RetrievalEmpty",
    "Retrieved",
    "lexical_tokens",
    "query_windows",
    "reference_chunks",
    "retrieve",
    "retrieve_lexical",
]

# Which reference documents each stage reads (PRODUCT.md: the CV against the job description and CV rubric,
# the project against the case-study brief and the project rubric).
STAGE_SOURCES: Final = {
    "cv": ("job_description", "cv_rubric"),
    "project": ("study_case_brief", "project_rubric"),
}
RRF_K: Final = 60  # the usual constant (Cormack et al., 2009): agreement of both rankings outweighs one top rank
# A cosine at or below this is what unrelated texts get from a hashing embedder (random signs cancel to ~0);
# such a chunk is not "found" by the dense ranking.
MIN_COSINE: Final = 0.05
BM25_K1: Final = 1.2
BM25_B: Final = 0.75
# The dense side of the hybrid ranking embeds a few short windows of the document, not all of it: embedding cost
# grows with the tokens embedded (a sentence model on CPU spends ~0.35 s on two 2,500-character documents), while
# the BM25 side already reads the whole text. Windows of ~128 tokens (the length the model was trained on), spread
# over the document, keep the CPU per evaluation low (measured with bench.rest_bench).
QUERY_WINDOW_CHARS: Final = 600
MAX_QUERY_WINDOWS: Final = 3


class RetrievalEmpty(Exception):
    """Nothing to retrieve, or nothing retrieved: the job fails (RETRIEVAL_EMPTY) instead of scoring blind."""


@dataclass(frozen=True)
class EmbeddedChunk:
    id: str
    source: str
    text: str
    vector: tuple[float, ...]


@dataclass(frozen=True)
class Retrieved:
    chunk: EmbeddedChunk
    score: float  # fused RRF score: what the order is by
    cosine: float  # best cosine to any query window
    lexical: float  # BM25 of the query document against this chunk (0 when it shares no term)


def reference_chunks(vacancy: Vacancy) -> list[Chunk]:
    """Every chunk a vacancy offers to retrieval (job description, brief, both rubrics, any scoring notes)."""
    return vacancy_chunks(vacancy)


def query_windows(text: str, limit: int = MAX_QUERY_WINDOWS) -> list[str]:
    """Short windows spread over the document (its start first), so the dense ranking sees more than one page."""
    flat = " ".join(text.split())
    windows = [flat[i : i + QUERY_WINDOW_CHARS] for i in range(0, len(flat), QUERY_WINDOW_CHARS)]
    if len(windows) <= limit:
        return windows
    if limit < 2:
        return windows[:limit]
    last = len(windows) - 1  # first, last and evenly between: the head, the end and the middle of the document
    return [windows[round(i * last / (limit - 1))] for i in range(limit)]


def lexical_tokens(text: str) -> list[str]:
    """Light stems of the content words, plus one "skill:<canonical>" token per recognised skill, so an alias in the
    CV ("Postgres", "k8s") meets the name in the job text ("PostgreSQL", "Kubernetes")."""
    clean = normalize(text)
    tokens = [stem(w) for w in words(clean) if len(w) >= 2 and w not in STOPWORDS and not w.isdigit()]
    return tokens + sorted(f"skill:{s}" for s in extract_skills(clean))


def _bm25(query: Sequence[str], documents: Sequence[Sequence[str]]) -> np.ndarray:
    if not query or not any(documents):
        return np.zeros(len(documents), dtype=np.float64)
    index = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
    index.index([list(d) for d in documents], show_progress=False)
    known = [t for t in query if t in index.vocab_dict]
    if not known:
        return np.zeros(len(documents), dtype=np.float64)
    return np.asarray(index.get_scores(known), dtype=np.float64)


def _cosines(query_vectors: Sequence[Sequence[float]], chunks: Sequence[EmbeddedChunk]) -> np.ndarray:
    matrix = _normalise(np.asarray([c.vector for c in chunks], dtype=np.float64))
    queries = _normalise(np.asarray(query_vectors, dtype=np.float64))
    if matrix.shape[1] != queries.shape[1]:
        raise ValueError(f"query vectors have {queries.shape[1]} dimensions, chunks {matrix.shape[1]}")
    return np.asarray((matrix @ queries.T).max(axis=1), dtype=np.float64)


def _ranks(values: np.ndarray, floor: float) -> dict[int, int]:
    """1-based rank of each index whose value exceeds floor; ties keep document order."""
    order = sorted((i for i in range(len(values)) if values[i] > floor), key=lambda i: (-values[i], i))
    return {i: r for r, i in enumerate(order, start=1)}


def retrieve(
    stage: str,
    query_text: str,
    query_vectors: Sequence[Sequence[float]],
    chunks: Sequence[EmbeddedChunk],
    k: int = 6,
) -> list[Retrieved]:
    """The k best chunks of the stage's sources for a candidate document, best first.

    Each of the stage's sources keeps at least its best chunk in the result (when it has one that matched), so the
    CV stage always sees some job text and some rubric text. Raises RetrievalEmpty when the stage has no reference
    text or the document gives no query; a document that matches nothing still gets the closest chunks.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    sources = STAGE_SOURCES[stage]
    candidates = [c for c in chunks if c.source in sources]
    if not candidates:
        raise RetrievalEmpty(f"the vacancy has no {' or '.join(sources)} text to retrieve from")
    if not query_vectors or not query_text.strip():
        raise RetrievalEmpty(f"the {stage} document produced no query to retrieve with")
    cosine = _cosines(query_vectors, candidates)
    query = sorted(set(lexical_tokens(query_text)))  # each term once: repetition in a CV is not relevance
    lexical = _bm25(query, [lexical_tokens(c.text) for c in candidates])
    dense_rank, lexical_rank = _ranks(cosine, MIN_COSINE), _ranks(lexical, 0.0)
    fused = {
        i: sum(1.0 / (RRF_K + r[i]) for r in (dense_rank, lexical_rank) if i in r)
        for i in dense_rank.keys() | lexical_rank.keys()
    }
    if not fused:
        # Nothing resembles the document (say, a pastry chef's CV for a backend role). That is a finding about the
        # candidate, not a failure: score against the closest chunks by cosine so the result shows the poor fit.
        fused = {
            i: 1.0 / (RRF_K + r) for r, i in enumerate(sorted(range(len(candidates)), key=lambda i: (-cosine[i], i)), 1)
        }
    order = sorted(fused, key=lambda i: (-fused[i], i))
    chosen = order[:k]
    for source in sources:
        best = next((i for i in order if candidates[i].source == source), None)
        if best is not None and best not in chosen:
            # Replace the weakest chunk of a source that is already represented more than once.
            for pos in range(len(chosen) - 1, -1, -1):
                own = candidates[chosen[pos]].source
                if sum(candidates[j].source == own for j in chosen) > 1:
                    chosen[pos] = best
                    break
    chosen.sort(key=lambda i: (-fused[i], i))
    return [Retrieved(candidates[i], fused[i], float(cosine[i]), float(lexical[i])) for i in chosen]


def retrieve_lexical(stage: str, query_text: str, chunks: Sequence[Chunk], k: int = 6) -> list[Retrieved]:
    """retrieve() on BM25 alone, for degraded scoring when no embedder is reachable: a zero vector has cosine 0 with
    everything, so the dense ranking finds nothing and the same fusion and per-source guarantees apply."""
    unembedded = [EmbeddedChunk(c.id, c.source, c.text, (0.0,)) for c in chunks]
    return retrieve(stage, query_text, [(0.0,)], unembedded, k)


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms
