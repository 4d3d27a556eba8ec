"""What the embeddings say about a CV against a vacancy: evidence by meaning, in whatever language either is in.

The pipeline embeds the CV as passages spread over the whole document and the vacancy's job description as chunks
(stored with the vacancy). From those vectors, without any I/O:
- the document cosine: the mean CV passage against the mean job-description chunk, i.e. how close the two
  documents are as wholes (measured on the labelled development set, this is the embedding signal that ranks pairs
  best; the per-requirement best match is noisier);
- for each job-description chunk, the CV passage closest to it: the evidence a reader can check.

Cosine scales differ between models, so the document cosine becomes a 1-5 band only through a calibration fitted
for the model that produced it (CALIBRATION, fitted on one half of the development set and checked on the other,
see docs/decisions/0017-labelled-benchmark-and-semantic-scoring.md). With any other model the evidence is reported
but not scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from cveval_job.scoring.semantic_roles import RoleEvidence

__all__ = ["CALIBRATION", "SEMANTIC_WEIGHT", "Match", "SemanticEvidence", "semantic_evidence"]

# model → (cosine of band 1's upper edge … band 5's lower edge): five equal bands between lo and hi.
CALIBRATION: Final[dict[str, tuple[float, float]]] = {"use-multilingual-v3-q6": (0.35, 0.55)}
# The share of technical_skills that comes from meaning (the rest from the named skills the CV shows in use).
SEMANTIC_WEIGHT: Final = 0.3
MAX_MATCHES: Final = 3


@dataclass(frozen=True)
class Match:
    requirement: str
    evidence: str
    cosine: float


@dataclass(frozen=True)
class SemanticEvidence:
    model: str
    document_cosine: float
    matches: tuple[Match, ...]  # the strongest requirement ↔ passage pairs, best first
    roles: RoleEvidence | None = None  # the CV's dated roles and projects by meaning (semantic_roles.py)

    @property
    def band(self) -> int | None:
        """1..5 from the calibration of this model, None when the model has none."""
        bounds = CALIBRATION.get(self.model)
        if bounds is None:
            return None
        lo, hi = bounds
        return int(min(5, max(1, 1 + math.floor((self.document_cosine - lo) / (hi - lo) * 5))))

    def blend(self, lexical_score: int, *, skills_recognised: bool = True) -> int:
        """technical_skills from the named skills and from meaning; the lexical score alone without a band.

        When the job names too few skills the lexicon knows (`skills_recognised` false: the lexical score is only
        the share of the job's own words found in the CV), the two measures are averaged with equal weight and
        rounded half up: word overlap is no more precise than meaning there, and giving it the larger share scored
        such postings' good fits too low (decision record 0032: Spearman 0.537 → 0.555 on the development set,
        both halves and both posting halves up, 20 of 20 random profile halves up; no parameter fitted).

        Rounded down (fitted so on half A of the development set, better than rounding to nearest there): the blend
        keeps the lexical score when the CV as a whole is at least as close to the job as its named skills say, and
        lowers it (by one; by two for a 5 against band 1) when its meaning is further away. Named skills are the
        precise signal; meaning caps them, which also blunts a keyword list pasted into an unrelated CV. It never
        goes below 2 when the named skills gave 2 or more: 1 ("no relevant skills") stays a finding about skills,
        so two poor fits are still told apart by them (the corpus ranking's "unrelated is last" relies on that).
        """
        band = self.band
        if band is None:
            return lexical_score
        if not skills_recognised:
            return int(min(5, max(1, math.floor((lexical_score + band) / 2 + 0.5))))
        blended = math.floor((1 - SEMANTIC_WEIGHT) * lexical_score + SEMANTIC_WEIGHT * band + 1e-9)
        return int(min(5, max(blended, min(lexical_score, 2), 1)))


def _unit_rows(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _mean_direction(matrix: np.ndarray) -> np.ndarray:
    mean = matrix.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def semantic_evidence(
    model: str,
    passages: Sequence[tuple[str, Sequence[float]]],
    requirements: Sequence[tuple[str, Sequence[float]]],
) -> SemanticEvidence | None:
    """None when either side is empty or the vectors do not share a space (different sizes)."""
    if not passages or not requirements:
        return None
    cv = _unit_rows([v for _, v in passages])
    job = _unit_rows([v for _, v in requirements])
    if cv.shape[1] != job.shape[1]:
        return None
    document = float(_mean_direction(cv) @ _mean_direction(job))
    similarity = job @ cv.T
    best = similarity.argmax(axis=1)
    found = [(float(similarity[r, best[r]]), r, int(best[r])) for r in range(len(requirements))]
    pairs = sorted(found, key=lambda p: (-p[0], p[1]))
    matches = tuple(Match(requirements[r][0], passages[p][0], round(c, 4)) for c, r, p in pairs[:MAX_MATCHES])
    return SemanticEvidence(model, round(document, 6), matches)
