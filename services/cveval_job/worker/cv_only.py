"""A candidate without a project report: the evaluation keeps the CV part only.

The worker passes the pipeline no report (None): nothing is retrieved for one and the scorers score the CV only
(ScoringInput.cv_only: no project step, no model call for it). `cv_part` then states it in the result: no project
score, feedback or breakdown entry is ever invented, the summary says the CV was screened alone, and the result is
marked (EvaluationResult.cv_only) and ranks on the CV alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cveval_job.scoring.model import Evaluation

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
