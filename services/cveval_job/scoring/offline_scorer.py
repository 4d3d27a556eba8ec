"""The offline scorer: deterministic, explainable scores from extracted evidence, no model involved.

Used when no LLM provider is configured and as a reference the LLM path can be compared with. Same input and same
reference date → identical Evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from cveval_job.scoring import rubric_math
from cveval_job.scoring.candidate_text import clean_cv
from cveval_job.scoring.cv_scoring import (
    CV_ALIASES,
    CV_NOT_BUILT_IN,
    RoleContext,
    assess_cv,
    job_profile,
    with_meaning,
)
from cveval_job.scoring.feedback import RubricView, cv_feedback, overall_summary, project_feedback
from cveval_job.scoring.generic_scoring import generic_flag, score_generically
from cveval_job.scoring.guide_terms import DocumentIndex, index_document
from cveval_job.scoring.injection import INJECTION_FLAG, strip_injections
from cveval_job.scoring.model import Chunk, Evaluation, ParameterScore, Rubric, ScoringInput
from cveval_job.scoring.parameter_mapping import resolve_parameters
from cveval_job.scoring.project_evidence import claims
from cveval_job.scoring.project_scoring import PROJECT_ALIASES, PROJECT_NOT_BUILT_IN, assess_project
from cveval_job.scoring.stuffing import HIDDEN_TEXT_FLAG, remove_hidden_text_marker
from cveval_job.scoring.text import collapse

__all__ = ["SCORER_NAME", "SCORER_VERSION", "OfflineScorer"]

SCORER_NAME: Final = "offline"
# 7: technical skills half from meaning when the job names too few known skills (decision record 0032);
# 6: the best role and the best-met requirements by meaning; 5: experience and achievements also by meaning;
# 4: technical skills also by meaning; 3: custom rubric parameters
SCORER_VERSION: Final = "offline-7"
# About 25 pages of text. Longer documents are scored on their beginning (and flagged): it bounds the work per job,
# and a CV or report that long has said what matters well before the end.
MAX_SCORED_CHARS: Final = 60_000


def _with_context(base: str, chunks: Iterable[Chunk], source: str) -> str:
    """The reference text plus retrieved chunks of the same source it does not already contain."""
    flat = collapse(base)
    extra = [c.text for c in chunks if c.source == source and collapse(c.text) not in flat]
    return "\n\n".join([base, *extra])


def _stage_context(base: str, chunks: Iterable[Chunk]) -> list[str]:
    """The stage's reference text and every retrieved chunk it does not already contain (rubric chunks included):
    what a custom parameter means in this vacancy when its guide does not say."""
    flat = collapse(base)
    return [base, *(c.text for c in chunks if collapse(c.text) not in flat)]


@dataclass(frozen=True)
class _Stage:
    breakdown: list[ParameterScore]
    by_key: dict[str, int]
    flags: set[str]
    view: RubricView  # what feedback may speak of


def _breakdown(
    rubric: Rubric,
    assessed: tuple[dict[str, int], dict[str, tuple[str, ...]]],
    mapping: dict[str, str | None],
    document: str,
    context: list[str],
) -> _Stage:
    """Scores in the rubric's own keys, labels and weights: a mapped key by its built-in measure, any other key
    from its own definition (flagged, so provenance says how it was scored)."""
    scores, evidence = assessed
    out: list[ParameterScore] = []
    flags: set[str] = set()
    index: DocumentIndex | None = None  # built once, and only when some key has no built-in measure
    for p in rubric.parameters:
        known = mapping[p.key]
        if known is not None:
            score, why = scores[known], evidence[known]
        else:
            index = index or index_document(document)
            generic = score_generically(p, index, context)
            score, why = generic.score, generic.evidence
            flags.add(generic_flag(p.key))
        out.append(ParameterScore(rubric.stage, p.key, p.label, p.weight, score, why[:3]))
    view = RubricView(
        frozenset(k for k in mapping.values() if k is not None),
        tuple((p.label, p.score) for p in out if mapping[p.parameter] is None),
    )
    return _Stage(out, {p.parameter: p.score for p in out}, flags, view)


class OfflineScorer:
    """Scores from evidence only.

    `today` is the reference date for "Present" in CV date ranges: a date (fixed, for reproducible runs and tests) or
    a callable the caller owns (e.g. `date.today` in a long-running worker). The domain never reads the clock itself.
    """

    def __init__(self, today: date | Callable[[], date], *, leave_out: frozenset[str] = frozenset()) -> None:
        """`leave_out`: measures by meaning to skip (cv_scoring.MEANING_MEASURES), for the quality report's ablation
        only; the service always uses them all."""
        self._today = today
        self._leave_out = leave_out

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
        cleaned = clean_cv(inp.cv_text[:MAX_SCORED_CHARS], inp.vacancy.job_description)
        cv_text = cleaned.text
        flags.update(cleaned.stuffing_flags)
        if cleaned.injections:
            flags.add(INJECTION_FLAG)
        vacancy = inp.vacancy

        job = job_profile([_with_context(vacancy.job_description, inp.cv_context, "job_description")])
        today = self._reference_date()
        context = RoleContext(cv_text, job, today)
        cv = with_meaning(assess_cv(cv_text, job, today), inp.semantic, context, leave_out=self._leave_out)
        cv_stage = _breakdown(
            vacancy.cv_rubric,
            (cv.scores, cv.evidence),
            resolve_parameters(vacancy.cv_rubric, CV_ALIASES, CV_NOT_BUILT_IN),
            cv_text,
            _stage_context(vacancy.job_description, inp.cv_context),
        )
        match_rate = rubric_math.cv_match_rate(cv_stage.by_key, vacancy.cv_rubric)
        flags.update(cv.flags, cv_stage.flags)
        feedback = cv_feedback(cv, match_rate, cv_stage.view)
        if inp.cv_only:
            # No report: nothing is scored for a project (0.0 = not evaluated), the summary is the CV's feedback.
            return _evaluation(match_rate, feedback, 0.0, "", feedback, cv_stage.breakdown, flags)

        if len(inp.project_text) > MAX_SCORED_CHARS:
            flags.add("project_truncated")
        visible_report, report_hidden = remove_hidden_text_marker(inp.project_text[:MAX_SCORED_CHARS])
        report, report_injections = strip_injections(visible_report, "project")
        if report_hidden:
            flags.add(HIDDEN_TEXT_FLAG)
        if report_injections:
            flags.add(INJECTION_FLAG)
        brief = _with_context(vacancy.study_case_brief, inp.project_context, "study_case_brief")
        project = assess_project(report, brief)
        # A CV is read as written (like the built-in CV measures); a report, like the built-in practices, by what it
        # says was done, not by what it lists as missing or planned.
        pr_stage = _breakdown(
            vacancy.project_rubric,
            (project.scores, project.evidence),
            resolve_parameters(vacancy.project_rubric, PROJECT_ALIASES, PROJECT_NOT_BUILT_IN),
            claims(report),
            _stage_context(vacancy.study_case_brief, inp.project_context),
        )
        project_score = rubric_math.project_score(pr_stage.by_key, vacancy.project_rubric)
        views = (cv_stage.view, pr_stage.view)
        flags.update(pr_stage.flags)
        return _evaluation(
            match_rate,
            feedback,
            project_score,
            project_feedback(project, project_score, views[1]),
            overall_summary(cv, project, match_rate, project_score, vacancy.title, views),
            cv_stage.breakdown + pr_stage.breakdown,
            flags,
        )


def _evaluation(
    match_rate: float,
    cv_text_feedback: str,
    project_score: float,
    project_text_feedback: str,
    summary: str,
    breakdown: list[ParameterScore],
    flags: set[str],
) -> Evaluation:
    return Evaluation(
        cv_match_rate=match_rate,
        cv_feedback=cv_text_feedback,
        project_score=project_score,
        project_feedback=project_text_feedback,
        overall_summary=summary,
        breakdown=tuple(breakdown),
        scorer=SCORER_NAME,
        scorer_version=SCORER_VERSION,
        models=(),
        prompt_version="",
        attempts=1,
        prompt_tokens=0,
        completion_tokens=0,
        flags=tuple(sorted(flags)),
    )
