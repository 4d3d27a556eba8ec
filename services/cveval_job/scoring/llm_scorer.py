"""The LLM scorer: a chain of three prompts (CV and project concurrently, then the summary) through a ChatPort.

The model only gives 1..5 sub-scores with evidence and the prose; the weighted math is rubric_math's. A reply that
does not parse or lacks a score is retried, then the evaluation fails: a score is never invented.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from cveval_job.scoring import rubric_math
from cveval_job.scoring.errors import ScoreError, ScoringError
from cveval_job.scoring.feedback import recommendation
from cveval_job.scoring.injection import INJECTION_FLAG, strip_injections
from cveval_job.scoring.model import Evaluation, ParameterScore, Rubric, ScoringInput
from cveval_job.scoring.ports import ChatPort, ChatReply
from cveval_job.scoring.prompts import (
    CV_TEMPLATE,
    MAX_DOCUMENT_CHARS,
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

__all__ = ["SCORER_NAME", "SCORER_VERSION", "LlmScorer"]

SCORER_NAME: Final = "llm"
SCORER_VERSION: Final = "llm-1"
MAX_EVIDENCE: Final = 3
MAX_EVIDENCE_CHARS: Final = 240
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)

T = TypeVar("T")
Messages = list[tuple[str, str]]


class _BadReply(ValueError):
    """A model reply that cannot be used; the message says why, and is sent back to the model on retry."""


@dataclass
class _Usage:
    models: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 0  # the most attempts any single step needed

    def add(self, reply: ChatReply) -> None:
        if reply.model and reply.model not in self.models:
            self.models.append(reply.model)
        self.prompt_tokens += max(0, reply.prompt_tokens)
        self.completion_tokens += max(0, reply.completion_tokens)

    def merge(self, other: _Usage) -> None:
        self.models += [m for m in other.models if m not in self.models]
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.attempts = max(self.attempts, other.attempts)


@dataclass(frozen=True)
class _StageResult:
    scores: dict[str, int]
    evidence: dict[str, tuple[str, ...]]
    feedback: str


def _json_object(content: str) -> dict[str, Any]:
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadReply(f"the reply is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise _BadReply("the reply must be a JSON object")
    return data


def _evidence(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, str) else []
    texts = [" ".join(i.split())[:MAX_EVIDENCE_CHARS] for i in items if isinstance(i, str) and i.strip()]
    return tuple(texts[:MAX_EVIDENCE])


def parse_stage(content: str, rubric: Rubric) -> _StageResult:
    """Sub-scores, evidence and feedback from a stage reply; _BadReply when any rubric score is missing or invalid."""
    data = _json_object(content)
    raw_scores = data.get("scores")
    if not isinstance(raw_scores, dict):
        raise _BadReply('the reply has no "scores" object')
    scores: dict[str, object] = {}
    evidence: dict[str, tuple[str, ...]] = {}
    for key in rubric.keys:
        entry = raw_scores.get(key)
        value = entry.get("score") if isinstance(entry, dict) else entry
        if value is not None:
            scores[key] = value
        evidence[key] = _evidence(entry.get("evidence")) if isinstance(entry, dict) else ()
    try:
        valid = rubric_math.validate_scores(scores, rubric)
    except ScoreError as exc:
        raise _BadReply(str(exc)) from None
    feedback = data.get("feedback")
    if not isinstance(feedback, str) or not feedback.strip():
        raise _BadReply('the reply has no "feedback" text')
    return _StageResult(valid, evidence, " ".join(feedback.split()))


def parse_summary(content: str) -> str:
    summary = _json_object(content).get("overall_summary")
    if not isinstance(summary, str) or not summary.strip():
        raise _BadReply('the reply has no "overall_summary" text')
    return " ".join(summary.split())


class LlmScorer:
    """Scores through a chat model. max_attempts counts every call of a step, the first one included."""

    def __init__(self, chat: ChatPort, max_attempts: int = 2, *, temperature: float = 0.0, seed: int | None = 7):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._chat = chat
        self._max_attempts = max_attempts
        self._temperature = temperature
        self._seed = seed

    async def _call(self, step: str, messages: Messages, schema: str, parse: Callable[[str], T]) -> tuple[T, _Usage]:
        usage = _Usage()
        reason = ""
        for attempt in range(1, self._max_attempts + 1):
            usage.attempts = attempt
            reply = await self._chat.chat(
                messages, json_schema=schema, temperature=self._temperature, seed=self._seed
            )
            usage.add(reply)
            try:
                return parse(reply.content), usage
            except _BadReply as exc:
                reason = str(exc)
                # Tell the model what was wrong; a blind repeat of the same prompt tends to fail the same way.
                messages = [
                    *messages,
                    ("assistant", reply.content),
                    ("user", f"That reply was not usable: {reason}. Reply again with only the JSON object, "
                             "scoring every parameter as an integer from 1 to 5."),
                ]
        raise ScoringError(f"{step}: the model's reply was unusable after {self._max_attempts} attempts: {reason}")

    def _stage_messages(self, template: str, rubric: Rubric, context: str, candidate: str, title: str) -> Messages:
        prompt = template.format(
            title=title, rubric=rubric_block(rubric), context=context, candidate=candidate, keys=", ".join(rubric.keys)
        )
        return [("system", SYSTEM_PROMPT), ("user", prompt)]

    async def score(self, inp: ScoringInput) -> Evaluation:
        inp.require_text()
        cv_text, cv_injections = strip_injections(inp.cv_text)
        report, report_injections = strip_injections(inp.project_text)
        vacancy = inp.vacancy
        cv_messages = self._stage_messages(
            CV_TEMPLATE,
            vacancy.cv_rubric,
            context_block(inp.cv_context, vacancy, "job_description", vacancy.scoring_notes),
            candidate_block("candidate_cv", cv_text),
            vacancy.title,
        )
        project_messages = self._stage_messages(
            PROJECT_TEMPLATE,
            vacancy.project_rubric,
            context_block(inp.project_context, vacancy, "study_case_brief", vacancy.scoring_notes),
            candidate_block("candidate_project_report", report),
            vacancy.title,
        )
        cv_rubric, project_rubric = vacancy.cv_rubric, vacancy.project_rubric
        results = await asyncio.gather(
            self._call("cv evaluation", cv_messages, stage_schema(cv_rubric), lambda c: parse_stage(c, cv_rubric)),
            self._call(
                "project evaluation",
                project_messages,
                stage_schema(project_rubric),
                lambda c: parse_stage(c, project_rubric),
            ),
            return_exceptions=True,  # let both finish so neither is left running; the first error is raised below
        )
        cv_outcome, project_outcome = results
        if isinstance(cv_outcome, BaseException):
            raise cv_outcome
        if isinstance(project_outcome, BaseException):
            raise project_outcome
        (cv, cv_usage), (project, project_usage) = cv_outcome, project_outcome
        usage = _Usage()
        usage.merge(cv_usage)
        usage.merge(project_usage)

        match_rate = rubric_math.cv_match_rate(cv.scores, cv_rubric)
        project_score = rubric_math.project_score(project.scores, project_rubric)
        breakdown = _breakdown(cv_rubric, cv) + _breakdown(project_rubric, project)
        summary_prompt = SUMMARY_TEMPLATE.format(
            title=vacancy.title,
            cv_match_rate=match_rate,
            cv_feedback=cv.feedback,
            project_score=project_score,
            project_feedback=project.feedback,
            breakdown=breakdown_lines((p.stage, p.parameter, p.score) for p in breakdown),
            recommendation=recommendation(match_rate, project_score),
        )
        summary, summary_usage = await self._call(
            "overall summary", [("system", SYSTEM_PROMPT), ("user", summary_prompt)], SUMMARY_SCHEMA, parse_summary
        )
        usage.merge(summary_usage)
        return Evaluation(
            cv_match_rate=match_rate,
            cv_feedback=cv.feedback,
            project_score=project_score,
            project_feedback=project.feedback,
            overall_summary=summary,
            breakdown=tuple(breakdown),
            scorer=SCORER_NAME,
            scorer_version=SCORER_VERSION,
            models=tuple(usage.models),
            prompt_version=PROMPT_VERSION,
            attempts=usage.attempts,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            flags=_flags(inp, bool(cv_injections or report_injections)),
        )


def _flags(inp: ScoringInput, injected: bool) -> tuple[str, ...]:
    flags = [INJECTION_FLAG] if injected else []
    if len(inp.cv_text.strip()) > MAX_DOCUMENT_CHARS:
        flags.append("cv_truncated")
    if len(inp.project_text.strip()) > MAX_DOCUMENT_CHARS:
        flags.append("project_truncated")
    return tuple(sorted(flags))


def _breakdown(rubric: Rubric, stage: _StageResult) -> list[ParameterScore]:
    return [
        ParameterScore(rubric.stage, p.key, p.label, p.weight, stage.scores[p.key], stage.evidence[p.key])
        for p in rubric.parameters
    ]

