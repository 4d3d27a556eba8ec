"""Value objects of the scoring domain. All frozen: an evaluation must not change after it was computed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from cveval_job.scoring.errors import RubricError, ScoreError, ScoringError
from cveval_job.scoring.semantic import SemanticEvidence

__all__ = [
    "CHUNK_SOURCES",
    "SCORE_RANGE",
    "STAGES",
    "Chunk",
    "Evaluation",
    "ParameterScore",
    "Rubric",
    "RubricError",
    "RubricParameter",
    "ScoreError",
    "ScoringError",
    "ScoringInput",
    "Vacancy",
]

STAGES: Final = ("cv", "project")
SCORE_RANGE: Final = range(1, 6)
CHUNK_SOURCES: Final = ("job_description", "study_case_brief", "cv_rubric", "project_rubric")
WEIGHT_TOLERANCE: Final = 1e-6


def is_valid_score(value: object) -> bool:
    """True for an int 1..5; bool is excluded because True == 1 would otherwise pass as a score."""
    return isinstance(value, int) and not isinstance(value, bool) and value in SCORE_RANGE


@dataclass(frozen=True)
class RubricParameter:
    key: str
    label: str
    weight: float
    # hash=False: a dict cannot be hashed, and rubrics are still usable as dict keys or in sets via the other fields.
    guide: dict[int, str] = field(hash=False)

    def __post_init__(self) -> None:
        if not self.key or not self.key.strip():
            raise RubricError("rubric parameter key must not be empty")
        if not self.label.strip():
            raise RubricError(f"rubric parameter {self.key!r}: label must not be empty")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int | float):
            raise RubricError(f"rubric parameter {self.key!r}: weight must be a number")
        if not math.isfinite(self.weight) or not 0 < self.weight <= 1:
            raise RubricError(f"rubric parameter {self.key!r}: weight must be in (0, 1], got {self.weight}")
        if set(self.guide) != set(SCORE_RANGE):
            raise RubricError(f"rubric parameter {self.key!r}: guide must describe exactly the scores 1..5")
        if any(not isinstance(text, str) or not text.strip() for text in self.guide.values()):
            raise RubricError(f"rubric parameter {self.key!r}: every guide entry needs a description")


@dataclass(frozen=True)
class Rubric:
    stage: str
    version: str
    parameters: tuple[RubricParameter, ...]

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise RubricError(f"rubric stage must be one of {STAGES}, got {self.stage!r}")
        if not self.version.strip():
            raise RubricError("rubric version must not be empty")
        if not self.parameters:
            raise RubricError(f"{self.stage} rubric has no parameters")
        keys = [p.key for p in self.parameters]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise RubricError(f"{self.stage} rubric has duplicate keys: {', '.join(duplicates)}")
        total = math.fsum(p.weight for p in self.parameters)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise RubricError(f"{self.stage} rubric weights must sum to 1, got {total:.6f}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parameters)

    def parameter(self, key: str) -> RubricParameter:
        for p in self.parameters:
            if p.key == key:
                return p
        raise KeyError(key)


@dataclass(frozen=True)
class Vacancy:
    id: str
    title: str
    job_description: str
    study_case_brief: str
    cv_rubric: Rubric
    project_rubric: Rubric
    version: str
    # Free-text scoring notes of an ad-hoc vacancy: extra context for the scorers, never a source of weights.
    scoring_notes: str = ""
    # Whether an evaluation may fall back to the offline scorer when the model provider is unavailable (the result's
    # provenance then says so); False fails such an evaluation instead.
    allow_degraded_scoring: bool = True
    # Whether personal data is redacted from the texts sent to an external model provider (scoring/redaction.py).
    redact_personal_data: bool = True

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("vacancy id must not be empty")
        if self.cv_rubric.stage != "cv":
            raise RubricError(f"vacancy {self.id}: cv_rubric has stage {self.cv_rubric.stage!r}")
        if self.project_rubric.stage != "project":
            raise RubricError(f"vacancy {self.id}: project_rubric has stage {self.project_rubric.stage!r}")


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    text: str

    def __post_init__(self) -> None:
        if self.source not in CHUNK_SOURCES:
            raise ValueError(f"chunk source must be one of {CHUNK_SOURCES}, got {self.source!r}")


@dataclass(frozen=True)
class ParameterScore:
    stage: str
    parameter: str
    label: str
    weight: float
    score: int
    evidence: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ScoreError(f"unknown stage {self.stage!r}")
        if not is_valid_score(self.score):
            raise ScoreError(f"{self.stage}.{self.parameter}: score must be an int 1..5, got {self.score!r}")


@dataclass(frozen=True)
class ScoringInput:
    cv_text: str
    project_text: str
    vacancy: Vacancy
    cv_context: tuple[Chunk, ...] = ()
    project_context: tuple[Chunk, ...] = ()
    # What the embeddings found (CV passages against the job description), when the pipeline had an embedder.
    semantic: SemanticEvidence | None = None
    # No project report was submitted: the scorers score the CV only (no project step, no model call for it); the
    # evaluation's project score is 0.0 and its breakdown holds the CV parameters alone.
    cv_only: bool = False

    def require_text(self) -> None:
        """An empty document is an error, not a low score: the brief reserves 0 for "no usable text"."""
        if not self.cv_text or not self.cv_text.strip():
            raise ScoringError("the CV has no usable text (empty or whitespace only)")
        if self.cv_only:
            return
        if not self.project_text or not self.project_text.strip():
            raise ScoringError("the project report has no usable text (empty or whitespace only)")


@dataclass(frozen=True)
class Evaluation:
    cv_match_rate: float
    cv_feedback: str
    project_score: float
    project_feedback: str
    overall_summary: str
    breakdown: tuple[ParameterScore, ...]
    scorer: str
    scorer_version: str
    models: tuple[str, ...]
    prompt_version: str
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    flags: tuple[str, ...]
    # Milliseconds per scoring step, in the order they ran (the LLM chain's calls; empty for the offline scorer).
    step_ms: tuple[tuple[str, float], ...] = ()

    def scores(self, stage: str) -> dict[str, int]:
        return {p.parameter: p.score for p in self.breakdown if p.stage == stage}
