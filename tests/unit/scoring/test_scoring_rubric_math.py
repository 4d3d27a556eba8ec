"""Rubric arithmetic of the brief: weighted average, cv_match_rate = average x 0.2, project_score = average."""

from __future__ import annotations

import pytest

from cveval_job.scoring.errors import ScoreError
from cveval_job.scoring.rubric_math import cv_match_rate, project_score, validate_scores, weighted_average
from cveval_job.scoring.rubrics import default_cv_rubric, default_project_rubric

CV = default_cv_rubric()
PROJECT = default_project_rubric()


def _all(rubric_keys: tuple[str, ...], value: int) -> dict[str, int]:
    return dict.fromkeys(rubric_keys, value)


def test_all_fives_give_full_cv_match() -> None:
    assert cv_match_rate(_all(CV.keys, 5), CV) == 1.0


def test_all_ones_give_lowest_cv_match() -> None:
    assert cv_match_rate(_all(CV.keys, 1), CV) == 0.2


def test_weighted_cv_example() -> None:
    scores = {"technical_skills": 4, "experience_level": 3, "relevant_achievements": 5, "cultural_fit": 2}
    # 0.40*4 + 0.25*3 + 0.20*5 + 0.15*2 = 3.65 -> x 0.2 = 0.73
    assert weighted_average(scores, CV) == pytest.approx(3.65)
    assert cv_match_rate(scores, CV) == 0.73


def test_weighted_project_example() -> None:
    scores = {"correctness": 5, "code_quality": 4, "resilience": 3, "documentation": 2, "creativity": 1}
    # 1.5 + 1.0 + 0.6 + 0.3 + 0.1 = 3.5
    assert project_score(scores, PROJECT) == 3.5
    assert project_score(_all(PROJECT.keys, 5), PROJECT) == 5.0
    assert project_score(_all(PROJECT.keys, 1), PROJECT) == 1.0


def test_rounding_is_half_up_and_exact() -> None:
    # 0.40*4 + 0.25*4 + 0.20*4 + 0.15*3 = 3.85 -> 0.77 exactly, whatever binary floats say.
    scores = {"technical_skills": 4, "experience_level": 4, "relevant_achievements": 4, "cultural_fit": 3}
    assert cv_match_rate(scores, CV) == 0.77
    # 0.30*3 + 0.25*3 + 0.20*3 + 0.15*3 + 0.10*4 = 3.1
    assert project_score({"correctness": 3, "code_quality": 3, "resilience": 3, "documentation": 3,
                          "creativity": 4}, PROJECT) == 3.1


def test_missing_score_raises_instead_of_defaulting() -> None:
    scores = {"technical_skills": 4, "experience_level": 3, "relevant_achievements": 5}
    with pytest.raises(ScoreError, match="cultural_fit"):
        cv_match_rate(scores, CV)


@pytest.mark.parametrize("bad", [0, 6, -1, 3.5, "4", None, True])
def test_out_of_range_or_non_int_score_raises(bad: object) -> None:
    scores: dict[str, object] = {**_all(CV.keys, 3), "technical_skills": bad}
    with pytest.raises(ScoreError):
        cv_match_rate(scores, CV)


def test_unknown_parameter_raises() -> None:
    with pytest.raises(ScoreError, match="unknown"):
        validate_scores({**_all(CV.keys, 3), "charisma": 5}, CV)


def test_score_error_is_a_value_error() -> None:
    assert issubclass(ScoreError, ValueError)
