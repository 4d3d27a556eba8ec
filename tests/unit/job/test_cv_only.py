"""A candidate without a project report: the worker keeps the CV part of the evaluation and claims nothing about a
project; the result service ranks such a candidate on the CV match rate alone."""

from __future__ import annotations

from cveval_job.scoring.model import Evaluation, ParameterScore
from cveval_job.worker.cv_only import CV_ONLY_FLAG, cv_part
from cveval_result.ranking import overall_score


def _evaluation() -> Evaluation:
    return Evaluation(
        cv_match_rate=0.62,
        cv_feedback="Strong backend experience.",
        project_score=3.4,
        project_feedback="About a placeholder.",
        overall_summary="Mentions a project.",
        breakdown=(
            ParameterScore("cv", "technical_skills", "Technical skills", 0.4, 4, ("python",)),
            ParameterScore("project", "correctness", "Correctness", 0.3, 2, ("nothing",)),
        ),
        scorer="offline",
        scorer_version="1",
        models=(),
        prompt_version="p1",
        attempts=1,
        prompt_tokens=0,
        completion_tokens=0,
        flags=(),
    )


def test_the_cv_part_drops_everything_about_a_project() -> None:
    kept = cv_part(_evaluation())
    assert kept.project_score == 0.0 and kept.project_feedback == ""
    assert [p.stage for p in kept.breakdown] == ["cv"]
    assert kept.cv_match_rate == 0.62 and kept.cv_feedback == "Strong backend experience."
    assert "no project report" in kept.overall_summary and "project." not in kept.overall_summary.lower()
    assert CV_ONLY_FLAG in kept.flags


def test_overall_score_of_a_cv_only_candidate_is_the_cv_match_rate() -> None:
    assert overall_score(0.62, 0.0, cv_only=True) == 0.62
    assert overall_score(0.62, 3.0) == round((0.62 + 0.5) / 2, 6)
