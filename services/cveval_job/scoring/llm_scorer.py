"""The LLM scorer: a chain of structured steps through a ChatPort.

    CV ─▶ profile (skills, dated roles, achievements) ─▶ CV sub-scores ─┐
    project report ─────────────────────────────────▶ project sub-scores ┴─▶ overall summary

The CV branch and the project branch run concurrently; the summary waits for both. Every step is a chat call with a
JSON schema at temperature 0 and a fixed seed, validated in code and retried with the reason when unusable. The model
only gives 1..5 sub-scores with evidence and the prose; the weighted math is rubric_math's. A step still unusable
after its retries fails the evaluation with a ScoringError: a score is never invented. The summary is the exception:
by then the sub-scores are valid, so a failed summary is written from them in code (flagged), not thrown away.
Every call sends max_tokens sized to its step's bounded schema (budgets.py) and, when configured, its time budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from cveval_job.scoring import rubric_math
from cveval_job.scoring.budgets import StepTimeouts, max_tokens_for
from cveval_job.scoring.candidate_text import clean_cv
from cveval_job.scoring.errors import ModelOutputInvalid, ModelOutputTruncated, ScoringError
from cveval_job.scoring.feedback import recommendation
from cveval_job.scoring.injection import INJECTION_FLAG, strip_injections
from cveval_job.scoring.llm_replies import (
    BadReply,
    CandidateProfile,
    StageResult,
    parse_profile,
    parse_stage,
    parse_summary,
)
from cveval_job.scoring.llm_usage import SUMMARY_FALLBACK_FLAG, ChainUsage, summary_from_subscores
from cveval_job.scoring.model import Evaluation, ParameterScore, Rubric, ScoringInput
from cveval_job.scoring.ports import ChatPort
from cveval_job.scoring.prompts import (
    CV_TEMPLATE,
    MAX_DOCUMENT_CHARS,
    PROFILE_SCHEMA,
    PROFILE_TEMPLATE,
    PROJECT_TEMPLATE,
    PROMPT_VERSION,
    SUMMARY_SCHEMA,
    SUMMARY_TEMPLATE,
    SYSTEM_PROMPT,
    breakdown_lines,
    candidate_block,
    context_block,
    rubric_block,
    stage_schema,
)
from cveval_job.scoring.redaction import redact, redaction_flags
from cveval_job.scoring.stuffing import HIDDEN_TEXT_FLAG, remove_hidden_text_marker
from cveval_kit import errors

__all__ = ["SCORER_NAME", "SCORER_VERSION", "STEPS", "STEP_ATTEMPTS", "LlmScorer"]

SCORER_NAME: Final = "llm"
# 3: the CV cleaned (stuffing, personal details) and personal data redacted; 4: bounded outputs, summary fallback
SCORER_VERSION: Final = "llm-4"
DEFAULT_SEED: Final = 7
# Step names as recorded in provenance (step_latency_ms "score.<step>") and in error messages.
STEPS: Final = ("cv_profile", "cv_scores", "project_scores", "summary")
# Calls of one step, the first included: an answer that is valid JSON but unusable is asked again once.
STEP_ATTEMPTS: Final = 2

T = TypeVar("T")
Messages = list[tuple[str, str]]


class LlmScorer:
    """Scores through a chat model. max_attempts counts every call of a step, the first one included.

    `clock` measures step latency only (it never influences a score); tests pass a fake one.
    """

    def __init__(
        self,
        chat: ChatPort,
        max_attempts: int = STEP_ATTEMPTS,
        *,
        temperature: float = 0.0,
        seed: int | None = DEFAULT_SEED,
        clock: Callable[[], float] = time.perf_counter,
        timeouts: StepTimeouts | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._chat = chat
        self._max_attempts = max_attempts
        self._temperature = temperature
        self._seed = seed
        self._clock = clock
        self._timeouts = timeouts

    async def _call(
        self, step: str, messages: Messages, schema: str, parse: Callable[[str], T], usage: ChainUsage
    ) -> T:
        started = self._clock()
        reason = ""
        # The output cap follows from the schema's bounds: a model that loops is stopped there, not at a budget.
        max_tokens = max_tokens_for(schema)
        timeout_s = self._timeouts.for_step(step) if self._timeouts is not None else None
        try:
            for attempt in range(1, self._max_attempts + 1):
                try:
                    reply = await self._chat.chat(
                        messages, json_schema=schema, temperature=self._temperature, seed=self._seed,
                        max_tokens=max_tokens, timeout_s=timeout_s,
                    )
                except ModelOutputInvalid as exc:
                    # The port already re-asked with the validation problems; another round would repeat them.
                    truncated = isinstance(exc, ModelOutputTruncated)
                    usage.failed(step, exc.attempts, truncated)
                    kind = ModelOutputTruncated if truncated else ModelOutputInvalid
                    raise kind(f"{step}: {exc}", attempts=exc.attempts) from exc
                usage.add(reply, attempt)
                try:
                    return parse(reply.content)
                except BadReply as exc:
                    reason = str(exc)
                    # Tell the model what was wrong; a blind repeat of the same prompt tends to fail the same way.
                    messages = [
                        *messages,
                        ("assistant", reply.content),
                        ("user", f"That reply was not usable: {reason}. Reply again with only the JSON object "
                                 "that matches the schema; every score is an integer from 1 to 5."),
                    ]
        finally:
            usage.step_ms[step] = round((self._clock() - started) * 1000, 2)
        raise ScoringError(
            f"{step}: the model's reply did not match the schema after {self._max_attempts} attempts: {reason}"
        )

    async def _cv_branch(
        self, inp: ScoringInput, cv_text: str, usage: ChainUsage
    ) -> tuple[CandidateProfile, StageResult]:
        profile_prompt = PROFILE_TEMPLATE.format(
            candidate=candidate_block("candidate_cv", cv_text), schema=PROFILE_SCHEMA
        )
        profile = await self._call(
            "cv_profile", [("system", SYSTEM_PROMPT), ("user", profile_prompt)], PROFILE_SCHEMA, parse_profile, usage
        )
        vacancy, rubric = inp.vacancy, inp.vacancy.cv_rubric
        schema = stage_schema(rubric)
        prompt = CV_TEMPLATE.format(
            title=vacancy.title,
            rubric=rubric_block(rubric),
            context=context_block(inp.cv_context, vacancy, "job_description", vacancy.scoring_notes),
            candidate=candidate_block("candidate_profile", profile.to_json()),
            schema=schema,
            keys=", ".join(rubric.keys),
        )
        stage = await self._call(
            "cv_scores", [("system", SYSTEM_PROMPT), ("user", prompt)], schema, lambda c: parse_stage(c, rubric), usage
        )
        return profile, stage

    async def _project_branch(self, inp: ScoringInput, report: str, usage: ChainUsage) -> StageResult:
        vacancy, rubric = inp.vacancy, inp.vacancy.project_rubric
        schema = stage_schema(rubric)
        prompt = PROJECT_TEMPLATE.format(
            title=vacancy.title,
            rubric=rubric_block(rubric),
            context=context_block(inp.project_context, vacancy, "study_case_brief", vacancy.scoring_notes),
            candidate=candidate_block("candidate_project_report", report),
            schema=schema,
            keys=", ".join(rubric.keys),
        )
        return await self._call(
            "project_scores",
            [("system", SYSTEM_PROMPT), ("user", prompt)],
            schema,
            lambda c: parse_stage(c, rubric),
            usage,
        )

    async def _summary(
        self,
        title: str,
        rates: tuple[float, float],
        cv: StageResult,
        project: StageResult,
        breakdown: tuple[ParameterScore, ...],
        usage: ChainUsage,
    ) -> tuple[str, tuple[str, ...]]:
        """The summary and its flags: the model's, or (flagged) one written from the sub-scores in code."""
        match_rate, project_score = rates
        prompt = SUMMARY_TEMPLATE.format(
            title=title,
            cv_match_rate=match_rate,
            cv_feedback=cv.feedback,
            project_score=project_score,
            project_feedback=project.feedback,
            breakdown=breakdown_lines((p.stage, p.parameter, p.score) for p in breakdown),
            recommendation=recommendation(match_rate, project_score),
            schema=SUMMARY_SCHEMA,
        )
        try:
            summary = await self._call(
                "summary", [("system", SYSTEM_PROMPT), ("user", prompt)], SUMMARY_SCHEMA, parse_summary, usage
            )
        except (ScoringError, errors.Unavailable):
            # The sub-scores are valid and paid for: a failed summary must not throw them away. The prose is then
            # written from the scores in code, and the result says so.
            fallback = summary_from_subscores(
                title, match_rate, project_score, breakdown, recommendation(match_rate, project_score)
            )
            return fallback, (SUMMARY_FALLBACK_FLAG,)
        return summary, ()

    async def score(self, inp: ScoringInput) -> Evaluation:
        inp.require_text()
        vacancy = inp.vacancy
        cleaned = clean_cv(inp.cv_text, vacancy.job_description)
        cv_text, cv_injections = cleaned.text, cleaned.injections
        visible_report, report_hidden = remove_hidden_text_marker(inp.project_text)
        report, report_injections = strip_injections(visible_report, "project")
        redacted: Counter[str] = Counter()
        if vacancy.redact_personal_data:
            # Before anything leaves the mesh: the model provider never sees the candidate's contact data.
            cv_text, in_cv = redact(cv_text, first_line_is_name=True)
            report, in_report = redact(report)
            redacted = in_cv + in_report
        usage = ChainUsage()
        if inp.cv_only:
            # No report: no project step and no summary call (the summary of a CV alone is its feedback).
            profile, cv = await self._cv_branch(inp, cv_text, usage)
            project: StageResult | None = None
        else:
            (profile, cv), project = await _both(
                self._cv_branch(inp, cv_text, usage), self._project_branch(inp, report, usage)
            )
        match_rate = rubric_math.cv_match_rate(cv.scores, vacancy.cv_rubric)
        project_score = rubric_math.project_score(project.scores, vacancy.project_rubric) if project else 0.0
        breakdown = _breakdown(vacancy.cv_rubric, cv) + (_breakdown(vacancy.project_rubric, project) if project else [])
        breakdown_t = tuple(breakdown)
        fallback: tuple[str, ...] = ()
        if project is None:
            summary = cv.feedback
        else:
            summary, fallback = await self._summary(
                vacancy.title, (match_rate, project_score), cv, project, breakdown_t, usage
            )
        model_saw_injection = bool(profile.instructions or cv.instructions or (project and project.instructions))
        return Evaluation(
            cv_match_rate=match_rate,
            cv_feedback=cv.feedback,
            project_score=project_score,
            project_feedback=project.feedback if project else "",
            overall_summary=summary,
            breakdown=breakdown_t,
            scorer=SCORER_NAME,
            scorer_version=SCORER_VERSION,
            models=tuple(usage.models),
            prompt_version=PROMPT_VERSION,
            attempts=usage.attempts,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            flags=tuple(sorted({
                *_flags(inp, bool(cv_injections or report_injections or model_saw_injection)),
                *cleaned.stuffing_flags,
                *([HIDDEN_TEXT_FLAG] if report_hidden else []),
                *redaction_flags(redacted),
                *usage.flags(),
                *fallback,
            })),
            step_ms=tuple((s, usage.step_ms[s]) for s in STEPS if s in usage.step_ms),
        )


async def _both(cv: Awaitable[tuple[CandidateProfile, StageResult]], project: Awaitable[StageResult]) -> tuple[
    tuple[CandidateProfile, StageResult], StageResult
]:
    """Run both branches to the end (neither is left running), then raise the first failure, CV first."""
    cv_outcome, project_outcome = await asyncio.gather(cv, project, return_exceptions=True)
    if isinstance(cv_outcome, BaseException):
        raise cv_outcome
    if isinstance(project_outcome, BaseException):
        raise project_outcome
    return cv_outcome, project_outcome


def _flags(inp: ScoringInput, injected: bool) -> tuple[str, ...]:
    flags = [INJECTION_FLAG] if injected else []
    if len(inp.cv_text.strip()) > MAX_DOCUMENT_CHARS:
        flags.append("cv_truncated")
    if len(inp.project_text.strip()) > MAX_DOCUMENT_CHARS:
        flags.append("project_truncated")
    return tuple(sorted(flags))


def _breakdown(rubric: Rubric, stage: StageResult) -> list[ParameterScore]:
    return [
        ParameterScore(rubric.stage, p.key, p.label, p.weight, stage.scores[p.key], stage.evidence[p.key])
        for p in rubric.parameters
    ]
