"""The CV scores by meaning (cv_scoring.with_meaning): which measures each parameter averages, and how it rounds."""

from __future__ import annotations

import math
from datetime import date

from cveval_job.scoring.cv_scoring import RoleContext, assess_cv, job_profile, with_meaning
from cveval_job.scoring.semantic import Match, SemanticEvidence
from cveval_job.scoring.semantic_roles import (
    ROLE_CALIBRATION,
    RoleEvidence,
    achievement_band,
    best_role_band,
    experience_band,
    match_band,
    role_texts,
    weighted_relevant_years,
)

MODEL = next(iter(ROLE_CALIBRATION))
CAL = ROLE_CALIBRATION[MODEL]
TODAY = date(2026, 11, 15)
JOB = "Java backend developer. Requirements: Java, Spring Boot, Oracle, 5 years of experience."
CV = """Projekte
01/2020 - 12/2023
Java backend services for a bank
Spring Boot, Oracle
01/2016 - 12/2019
Primary school teacher
Taught English to children
"""


def _semantic(role_cosines: tuple[float, float], strongest: float | None) -> SemanticEvidence:
    texts = role_texts(CV, TODAY)
    roles = RoleEvidence(MODEL, tuple(zip(texts, role_cosines, strict=True)), 0.5, strongest)
    return SemanticEvidence(MODEL, 0.45, (Match("requirement", "passage", 0.5),), roles)


def test_experience_is_the_half_up_mean_of_words_years_by_meaning_and_the_best_role() -> None:
    job = job_profile([JOB])
    lexical = assess_cv(CV, job, TODAY)
    semantic = _semantic((CAL.relevance_hi, CAL.relevance_lo), 0.55)
    scored = with_meaning(lexical, semantic, RoleContext(CV, job, TODAY))
    assert semantic.roles is not None
    years = weighted_relevant_years(semantic.roles, CV, TODAY)
    assert years is not None
    by_meaning = experience_band(years, job.required_years)
    best = best_role_band(semantic.roles)
    assert best == 5
    expected = math.floor((lexical.scores["experience_level"] + by_meaning + best) / 3 + 0.5)
    assert scored.scores["experience_level"] == expected
    assert "closest role or project at band 5/5" in scored.evidence["experience_level"][-1]


def test_achievements_add_the_best_met_requirements_to_the_coverage() -> None:
    job = job_profile([JOB])
    lexical = assess_cv(CV, job, TODAY)
    semantic = _semantic((CAL.relevance_hi, CAL.relevance_lo), CAL.coverage_hi)
    scored = with_meaning(lexical, semantic, RoleContext(CV, job, TODAY))
    assert semantic.roles is not None
    coverage = achievement_band(semantic.roles)
    assert coverage is not None
    first = math.floor((lexical.scores["relevant_achievements"] + coverage) / 2 + 0.5)
    assert match_band(semantic.roles) == 5
    assert scored.scores["relevant_achievements"] == math.floor((first + 5) / 2 + 0.5)
    weak = with_meaning(lexical, _semantic((CAL.relevance_hi, CAL.relevance_lo), 0.0), RoleContext(CV, job, TODAY))
    assert weak.scores["relevant_achievements"] < scored.scores["relevant_achievements"]
    # Without paragraphs the achievements stay the mean of words and coverage.
    alone = with_meaning(lexical, _semantic((CAL.relevance_hi, CAL.relevance_lo), None), RoleContext(CV, job, TODAY))
    assert alone.scores["relevant_achievements"] == first
