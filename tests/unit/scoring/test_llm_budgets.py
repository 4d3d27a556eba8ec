"""Bounded LLM steps: schemas bound every string and array, max_tokens follows from them, time budgets per step,
provenance counts only the tokens this evaluation spent, and prompts put the shared parts first."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cveval_job.scoring.budgets import MAX_STEP_TOKENS, StepTimeouts, max_tokens_for
from cveval_job.scoring.errors import ModelOutputTruncated
from cveval_job.scoring.llm_scorer import STEPS, LlmScorer
from cveval_job.scoring.llm_usage import SUMMARY_FALLBACK_FLAG
from cveval_job.scoring.ports import ChatReply
from cveval_job.scoring.prompts import PROFILE_SCHEMA, SUMMARY_SCHEMA, stage_schema
from cveval_job.scoring.rubrics import default_cv_rubric, default_project_rubric
from cveval_testing.schema_instances import valid_instance
from tests.unit.scoring.test_scoring_llm import CV_SCORES, PROJECT_SCORES, FakeChat, _input, stage_reply

SCHEMAS = {
    "cv_profile": PROFILE_SCHEMA,
    "cv_scores": stage_schema(default_cv_rubric()),
    "project_scores": stage_schema(default_project_rubric()),
    "summary": SUMMARY_SCHEMA,
}


def _unbounded(schema: Any, path: str = "$") -> list[str]:
    if not isinstance(schema, dict):
        return []
    found = []
    if schema.get("type") == "string" and "maxLength" not in schema:
        found.append(path)
    if schema.get("type") == "array" and "maxItems" not in schema:
        found.append(path)
    for key, sub in (schema.get("properties") or {}).items():
        found += _unbounded(sub, f"{path}.{key}")
    found += _unbounded(schema.get("items"), f"{path}[]")
    return found


@pytest.mark.parametrize("step", list(SCHEMAS))
def test_every_string_and_array_of_every_step_schema_is_bounded(step: str) -> None:
    assert _unbounded(json.loads(SCHEMAS[step])) == []


@pytest.mark.parametrize("step", list(SCHEMAS))
def test_max_tokens_holds_the_largest_valid_document(step: str) -> None:
    """A document with every string at maxLength and every array at maxItems fits the step's max_tokens (at 4
    characters a token, English prose), and no budget runs to the cap."""
    schema = json.loads(SCHEMAS[step])

    def largest(node: Any) -> Any:
        kind = node.get("type")
        if kind == "string":
            return "word " * (node.get("maxLength", 10) // 5)
        if kind == "array":
            return [largest(node["items"]) for _ in range(node["maxItems"])]
        if kind == "object":
            return {key: largest(sub) for key, sub in node.get("properties", {}).items()}
        return 5

    text = json.dumps(largest(schema))
    assert len(text) / 4 <= max_tokens_for(SCHEMAS[step]) < MAX_STEP_TOKENS


async def test_each_step_sends_its_max_tokens_and_time_budget() -> None:
    chat = FakeChat(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    timeouts = StepTimeouts.parse(40.0, "cv_profile=300, summary=20", STEPS)
    await LlmScorer(chat, timeouts=timeouts).score(_input())
    sent = {step: (tokens, seconds) for step, tokens, seconds in chat.limits}
    assert sent["profile"] == (max_tokens_for(PROFILE_SCHEMA), 300.0)
    assert sent["cv"] == (max_tokens_for(SCHEMAS["cv_scores"]), 40.0)
    assert sent["summary"] == (max_tokens_for(SUMMARY_SCHEMA), 20.0)
    assert sent["summary"][0] < sent["cv"][0] < sent["profile"][0]


def test_step_budgets_refuse_unknown_steps_and_non_positive_values() -> None:
    with pytest.raises(ValueError, match="cv_profil"):
        StepTimeouts.parse(60.0, "cv_profil=10", STEPS)
    with pytest.raises(ValueError, match="positive"):
        StepTimeouts.parse(60.0, "summary=0", STEPS)
    assert StepTimeouts.parse(60.0, "", STEPS).longest() == 60.0


class CachedChat(FakeChat):
    """Profile and CV scores served from the gateway's cache; the project step needed one re-ask."""

    async def chat(self, messages: Any, **kw: Any) -> ChatReply:
        reply = await super().chat(messages, **kw)
        step = self.calls[-1][0]
        if step in ("profile", "cv"):
            return ChatReply(reply.content, reply.model, 100, 20, cached=True)
        if step == "project":
            return ChatReply(reply.content, reply.model, 250, 40, attempts=2, reasks=1)
        return reply


async def test_provenance_counts_spent_tokens_calls_reasks_and_cache_hits() -> None:
    chat = CachedChat(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    ev = await LlmScorer(chat).score(_input())
    assert (ev.prompt_tokens, ev.completion_tokens) == (250 + 100, 40 + 20)  # project and summary only
    assert ev.attempts == 2
    assert {"llm_calls:3", "llm_reasks:1", "llm_cached_steps:2"} <= set(ev.flags)


class TruncatingSummary(FakeChat):
    async def chat(self, messages: Any, **kw: Any) -> ChatReply:
        reply = await super().chat(messages, **kw)
        if self.calls[-1][0] == "summary":
            raise ModelOutputTruncated("the model's answer was cut off (2 attempts)", attempts=2)
        return reply


async def test_a_truncated_summary_falls_back_without_losing_the_sub_scores() -> None:
    chat = TruncatingSummary(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    ev = await LlmScorer(chat).score(_input())
    assert ev.scores("cv") == CV_SCORES and ev.scores("project") == PROJECT_SCORES
    assert {SUMMARY_FALLBACK_FLAG, "llm_truncated:summary", "llm_calls:5", "llm_reasks:1"} <= set(ev.flags)
    assert chat.steps().count("summary") == 1  # the gateway already retried; the scorer does not repeat it


async def test_prompts_put_instructions_and_rubric_first_the_vacancy_next_the_candidate_last() -> None:
    first = FakeChat(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    second = FakeChat(cv=[stage_reply(CV_SCORES)], project=[stage_reply(PROJECT_SCORES)])
    await LlmScorer(first).score(_input(cv="Data engineer: Spark.", report="First report."))
    await LlmScorer(second).score(_input(cv="Nurse with ten years on wards.", report="Another report."))
    for step in ("cv", "project"):
        a, b = first.prompt(step), second.prompt(step)
        shared = len(_common_prefix(a, b))
        assert shared >= a.index("<candidate_")  # everything before the candidate is the same text
        assert a.index("Rubric parameters") < a.index("The vacancy:") < a.index("<candidate_")
    profile = first.prompt("profile")
    assert profile.index("Reply with JSON") < profile.index("<candidate_cv>")


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_the_mock_schema_document_is_valid_against_bounded_schemas() -> None:
    for schema in SCHEMAS.values():
        assert valid_instance(json.loads(schema))
