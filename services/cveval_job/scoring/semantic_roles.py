"""Relevant experience and achievements judged by meaning: the CV's dated roles and projects against the vacancy.

The pipeline embeds each dated block of the CV (a role or a project, with its dates, title and what was done; a
freelancer's projects are their roles) next to the CV's passages. From those vectors, without any I/O:
- each block's cosine to the job description as a whole (the mean direction of its chunks): how relevant that role
  was, by meaning, whatever words either side uses;
- evidence coverage: for each job-description chunk (a requirement), the closest block; their mean cosine says how
  much of what the job asks the CV shows done somewhere (its passages stand in when the CV has no dated blocks).

The scorer turns them into two 1-5 scores, each averaged with the lexical measure of the same parameter:
- experience by meaning: the years of each block weighted by its relevance (0 below `relevance_lo`, 1 from
  `relevance_hi`), against the years the job asks (the same ratio bands as the lexical measure);
- achievements by meaning: the coverage in five equal bands between `coverage_lo` and `coverage_hi`.
Four numbers per model, fitted on half A of the development set and checked on half B (decision record 0028); an
uncalibrated model leaves both scores to the lexical measures.

Two more bands reuse the same four numbers (no new ones; decision record 0030):
- the best role: the cosine of the CV's most relevant dated block to the job, in five bands between `relevance_lo`
  and `relevance_hi` (how close the candidate's closest engagement came to this one);
- the strongest evidence: the mean cosine of the job's best-met requirements and their closest CV paragraphs, in the
  bands of the coverage (what the CV shows best of what the job asks, where coverage also counts what it lacks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, NamedTuple

import numpy as np

from cveval_job.scoring.experience import dated_blocks

__all__ = [
    "ROLE_CALIBRATION",
    "RoleCalibration",
    "RoleEvidence",
    "achievement_band",
    "best_role_band",
    "experience_band",
    "match_band",
    "paragraph_texts",
    "role_evidence",
    "role_texts",
    "weighted_relevant_years",
]

# At most this many blocks, in document order (CVs list the recent ones first): it bounds the embedding work.
MAX_ROLE_BLOCKS: Final = 12
# The best-met requirements: this many of the job's chunks, those whose closest CV paragraph is closest.
STRONGEST_MATCHES: Final = 3
# The CV's paragraphs (blank-line separated, short ones packed together up to this size, long ones cut), at most
# MAX_PARAGRAPHS in document order. Paragraphs follow the CV's own structure, so a line added anywhere changes one
# unit, where fixed windows over the text would all shift (a name line moved the best match by 0.05 that way).
PARAGRAPH_CHARS: Final = 600
MAX_PARAGRAPHS: Final = 16
# A block is read by its head (dates, title, client, the first lines of what was done).
ROLE_BLOCK_CHARS: Final = 600


class RoleCalibration(NamedTuple):
    relevance_lo: float
    relevance_hi: float
    coverage_lo: float
    coverage_hi: float


ROLE_CALIBRATION: Final[dict[str, RoleCalibration]] = {"use-multilingual-v3-q6": RoleCalibration(0.3, 0.6, 0.35, 0.7)}


@dataclass(frozen=True)
class RoleEvidence:
    model: str
    role_cosines: tuple[tuple[str, float], ...]  # (block text as embedded, cosine to the job), document order
    coverage: float  # mean over the job's chunks of the closest block's (or passage's) cosine
    # the job's STRONGEST_MATCHES best-met chunks: mean cosine to their closest CV paragraph (None without any)
    strongest: float | None = None


def paragraph_texts(cv_text: str) -> list[str]:
    """The CV's paragraphs as the pipeline embeds them (PARAGRAPH_CHARS, MAX_PARAGRAPHS)."""
    out: list[str] = []
    current = ""
    for raw in re.split(r"\n\s*\n", cv_text):
        part = " ".join(raw.split())
        while len(part) > PARAGRAPH_CHARS:
            if current:
                out.append(current)
                current = ""
            out.append(part[:PARAGRAPH_CHARS])
            part = part[PARAGRAPH_CHARS:]
        if not part:
            continue
        if len(current) + len(part) + 1 <= PARAGRAPH_CHARS:
            current = f"{current} {part}".strip()
        else:
            if current:
                out.append(current)
            current = part
    if current:
        out.append(current)
    return out[:MAX_PARAGRAPHS]


def role_texts(cv_text: str, today: date) -> list[str]:
    """The blocks to embed, as the scorer will look them up (weighted_relevant_years)."""
    return [r.text[:ROLE_BLOCK_CHARS] for r in dated_blocks(cv_text, today)[:MAX_ROLE_BLOCKS]]


def _unit(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def role_evidence(
    model: str,
    roles: Sequence[tuple[str, Sequence[float]]],
    passages: Sequence[tuple[str, Sequence[float]]],
    requirements: Sequence[tuple[str, Sequence[float]]],
    paragraphs: Sequence[tuple[str, Sequence[float]]] = (),
) -> RoleEvidence | None:
    """None without requirements or without anything on the CV side, or when the vectors do not share a space."""
    units = roles or passages
    if not units or not requirements:
        return None
    job = _unit([v for _, v in requirements])
    cv = _unit([v for _, v in units])
    if cv.shape[1] != job.shape[1]:
        return None
    job_direction = _unit(job.mean(axis=0))
    coverage = float((job @ cv.T).max(axis=1).mean())
    strongest = None
    if paragraphs:
        closest = (job @ _unit([v for _, v in paragraphs]).T).max(axis=1)
        strongest = round(float(np.sort(closest)[-STRONGEST_MATCHES:].mean()), 6)
    relevance = _unit([v for _, v in roles]) @ job_direction if roles else np.zeros(0)
    cosines = tuple((text, round(float(c), 6)) for (text, _), c in zip(roles, relevance, strict=True))
    return RoleEvidence(model, cosines, round(coverage, 6), strongest)


def weighted_relevant_years(evidence: RoleEvidence, cv_text: str, today: date) -> float | None:
    """Years of the CV's dated blocks, each weighted by how relevant its meaning is; None when uncalibrated."""
    calibration = ROLE_CALIBRATION.get(evidence.model)
    if calibration is None:
        return None
    lo, hi = calibration.relevance_lo, calibration.relevance_hi
    cosine = dict(evidence.role_cosines)
    months = 0.0
    for role in dated_blocks(cv_text, today)[:MAX_ROLE_BLOCKS]:
        weight = min(1.0, max(0.0, (cosine.get(role.text[:ROLE_BLOCK_CHARS], lo) - lo) / (hi - lo)))
        months += (role.end - role.start) * weight
    return months / 12


def experience_band(relevant_years: float, required_years: float) -> int:
    """The lexical measure's bands (cv_scoring._experience) on years weighted by meaning."""
    if relevant_years <= 0:
        return 2  # the guide's 2: experience in unrelated work only (or none dated)
    ratio = relevant_years / required_years if required_years else 2.0
    return 5 if ratio >= 1.5 else 4 if ratio >= 1.0 else 3 if ratio >= 0.6 else 2


def achievement_band(evidence: RoleEvidence) -> int | None:
    calibration = ROLE_CALIBRATION.get(evidence.model)
    if calibration is None:
        return None
    return _five_bands(evidence.coverage, calibration.coverage_lo, calibration.coverage_hi)


def _five_bands(value: float, lo: float, hi: float) -> int:
    return int(min(5, max(1, 1 + math.floor((value - lo) / (hi - lo) * 5))))


def best_role_band(evidence: RoleEvidence) -> int | None:
    """The most relevant dated block's band; None when uncalibrated or the CV has no dated blocks."""
    calibration = ROLE_CALIBRATION.get(evidence.model)
    if calibration is None or not evidence.role_cosines:
        return None
    best = max(c for _, c in evidence.role_cosines)
    return _five_bands(best, calibration.relevance_lo, calibration.relevance_hi)


def match_band(evidence: RoleEvidence) -> int | None:
    """The best-met requirements (RoleEvidence.strongest) in the coverage bands; None when uncalibrated or the CV
    gave no paragraphs."""
    calibration = ROLE_CALIBRATION.get(evidence.model)
    if calibration is None or evidence.strongest is None:
        return None
    return _five_bands(evidence.strongest, calibration.coverage_lo, calibration.coverage_hi)
