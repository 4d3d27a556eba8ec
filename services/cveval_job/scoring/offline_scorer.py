"""The offline scorer: deterministic, explainable scores from extracted evidence, no model involved.

Used when no LLM provider is configured and as a reference the LLM path can be compared with. Same input and same
reference date → identical Evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Final

from cveval_job.scoring import rubric_math
from cveval_job.scoring.cv_scoring import CV_ALIASES, assess_cv, job_profile, known_key
from cveval_job.scoring.errors import ScoringError
from cveval_job.scoring.feedback import cv_feedback, overall_summary, project_feedback
from cveval_job.scoring.injection import INJECTION_FLAG, strip_injections
from cveval_job.scoring.model import Chunk, Evaluation, ParameterScore, Rubric, ScoringInput
from cveval_job.scoring.project_scoring import PROJECT_ALIASES, assess_project
from cveval_job.scoring.text import collapse

__all__ = ["SCORER_NAME", "SCORER_VERSION", "OfflineScorer"]

SCORER_NAME: Final = "offline"
SCORER_VERSION: Final = "offline-2"
# About 25 pages of text. Longer documents are scored on their beginning (and flagged): it bounds the work per job,
# and a CV or report that long has said what matters well before the end.
MAX_SCORED_CHARS: Final = 60_000


def _with_context(base: str, chunks: Iterable[Chunk], source: str) -> str:
    """The reference text plus retrieved chunks of the same source it does not already contain."""
    flat = collapse(base)
    extra = [c.text for c in chunks if c.source == source and collapse(c.text) not in flat]
    return "\n\n".join([base, *extra])


def _breakdown(
    rubric: Rubric,
    scores: dict[str, int],
    evidence: dict[str, tuple[str, ...]],
    aliases: dict[str, tuple[str, ...]],
) -> tuple[list[ParameterScore], dict[str, int]]:
    """Scores in the rubric's own keys; a custom key is scored by the built-in parameter it names."""
    out: list[ParameterScore] = []
    by_key: dict[str, int] = {}
    for p in rubric.parameters:
        known = known_key(p.key, p.label, aliases)
        if known is None:
            raise ScoringError(f"the offline scorer cannot score {rubric.stage} parameter {p.key!r}")
        by_key[p.key] = scores[known]
        out.append(ParameterScore(rubric.stage, p.key, p.label, p.weight, scores[known], evidence[known][:3]))
    return out, by_key


class OfflineScorer:
    """Scores from evidence only.

    `today` is the reference date for "Present" in CV date ranges: a date (fixed, for reproducible runs and tests) or
    a callable the caller owns (e.g. `date.today` in a long-running worker). The domain never reads the clock itself.
    """

    def __init__(self, today: date | Callable[[], date]) -> None:
        self._today = today

    def _reference_date(self) -> date:
        return self._today if isinstance(self._today, date) else self._today()

    async def score(self, inp: ScoringInput) -> Evaluation:
        # CPU-light (milliseconds): running inline is cheaper than a thread hop.
        return self.score_sync(inp)

    def score_sync(self, inp: ScoringInput) -> Evaluation:
        inp.require_text()
        flags: set[str] = set()
        if len(inp.cv_text) > MAX_SCORED_CHARS:
            flags.add("cv_truncated")
        if len(inp.project_text) > MAX_SCORED_CHARS:
            flags.add("project_truncated")
        cv_text, cv_injections = strip_injections(inp.cv_text[:MAX_SCORED_CHARS])
        report, report_injections = strip_injections(inp.project_text[:MAX_SCORED_CHARS])
        vacancy = inp.vacancy

        job = job_profile([_with_context(vacancy.job_description, inp.cv_context, "job_description")])
        cv = assess_cv(cv_text, job, self._reference_date())
        brief = _with_context(vacancy.study_case_brief, inp.project_context, "study_case_brief")
        project = assess_project(report, brief)

        cv_scores, cv_by_key = _breakdown(vacancy.cv_rubric, cv.scores, cv.evidence, CV_ALIASES)
        pr_scores, pr_by_key = _breakdown(vacancy.project_rubric, project.scores, project.evidence, PROJECT_ALIASES)
        match_rate = rubric_math.cv_match_rate(cv_by_key, vacancy.cv_rubric)
        project_score = rubric_math.project_score(pr_by_key, vacancy.project_rubric)

        flags.update(cv.flags)
        if cv_injections or report_injections:
            flags.add(INJECTION_FLAG)
        return Evaluation(
            cv_match_rate=match_rate,
            cv_feedback=cv_feedback(cv, match_rate),
            project_score=project_score,
            project_feedback=project_feedback(project, project_score),
            overall_summary=overall_summary(cv, project, match_rate, project_score, vacancy.title),
            breakdown=tuple(cv_scores + pr_scores),
            scorer=SCORER_NAME,
            scorer_version=SCORER_VERSION,
            models=(),
            prompt_version="",
            attempts=1,
            prompt_tokens=0,
            completion_tokens=0,
            flags=tuple(sorted(flags)),
        )
