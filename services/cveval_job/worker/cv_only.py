"""A candidate without a project report: the evaluation keeps the CV part only.

The scorers score a CV and a project report together (scoring/); rather than change them, the worker gives the
pipeline a placeholder report and then drops everything it said about a project, so no project score, feedback or
breakdown entry is ever invented. The result says so (EvaluationResult.cv_only) and ranks on the CV alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cveval_job.scoring.model import Evaluation

# What the scorer reads in place of a report; its project scores are discarded below.
PLACEHOLDER_REPORT: Final = "No project report was submitted for this candidate."
CV_ONLY_FLAG: Final = "cv_only"


def cv_part(evaluation: Evaluation) -> Evaluation:
    """The evaluation of the CV alone: project score 0 (not evaluated), no project feedback or parameters, and a
    summary that is the CV feedback."""
    summary = f"Screened on the CV alone (no project report). {evaluation.cv_feedback}".strip()
    return replace(
        evaluation,
        project_score=0.0,
        project_feedback="",
        overall_summary=summary,
        breakdown=tuple(p for p in evaluation.breakdown if p.stage == "cv"),
        flags=tuple(sorted({*evaluation.flags, CV_ONLY_FLAG})),
    )
