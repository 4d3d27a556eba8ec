"""What each LLM step may spend: output tokens sized to its schema, and time sized to the model serving it.

Token budgets follow from the bounded schemas (prompts.py): the largest document a schema allows, in tokens, with
room for JSON punctuation. A reply cut off there is a model that loops, not a short budget, so the gateway does not
re-ask it as "invalid JSON" (cveval_gateway/structured.py).

Time budgets differ by two orders of magnitude between a hosted model (seconds) and a small local one on a CPU
(minutes to read a 2.5k-token prompt), so they are configured per deployment: one default for every step, and
optional per-step overrides ("cv_profile=300,summary=120").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "CHARS_PER_TOKEN",
    "MAX_STEP_TOKENS",
    "MIN_STEP_TOKENS",
    "StepTimeouts",
    "chain_worst_case_s",
    "max_tokens_for",
]

# Conservative: English prose runs ~4 characters a token, JSON-escaped or non-English text fewer.
CHARS_PER_TOKEN: Final = 3
MIN_STEP_TOKENS: Final = 256
MAX_STEP_TOKENS: Final = 8192
_UNBOUNDED_STRING_TOKENS: Final = 512  # a string without maxLength (should not exist in our schemas)
_UNBOUNDED_ITEMS: Final = 20


def max_tokens_for(schema_text: str) -> int:
    """The output tokens the largest valid document of this JSON schema can take, within sane bounds."""
    schema = json.loads(schema_text)
    return max(MIN_STEP_TOKENS, min(MAX_STEP_TOKENS, _tokens(schema)))


def _tokens(schema: Any) -> int:
    if not isinstance(schema, dict):
        return 4
    kind = schema.get("type")
    if kind == "string":
        limit = schema.get("maxLength")
        return (-(-int(limit) // CHARS_PER_TOKEN) if isinstance(limit, int) else _UNBOUNDED_STRING_TOKENS) + 2
    if kind == "array":
        items = schema.get("maxItems")
        count = int(items) if isinstance(items, int) else _UNBOUNDED_ITEMS
        return 2 + count * (_tokens(schema.get("items")) + 1)
    if kind == "object":
        properties = schema.get("properties") or {}
        return 2 + sum(len(key) // CHARS_PER_TOKEN + 3 + _tokens(value) for key, value in properties.items())
    return 4  # numbers, booleans, null


@dataclass(frozen=True)
class StepTimeouts:
    """Seconds a step's chat call may take, re-asks included; `per_step` overrides `default_s` by step name."""

    default_s: float = 60.0
    per_step: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default_s <= 0 or any(v <= 0 for v in self.per_step.values()):
            raise ValueError("step time budgets must be positive")

    def for_step(self, step: str) -> float:
        return self.per_step.get(step, self.default_s)

    def longest(self) -> float:
        return max((self.default_s, *self.per_step.values()))

    @classmethod
    def parse(cls, default_s: float, overrides: str, steps: tuple[str, ...]) -> StepTimeouts:
        """From settings: "cv_profile=300,summary=120" (empty for none); unknown steps are an error, not ignored."""
        per_step: dict[str, float] = {}
        for item in (part.strip() for part in overrides.split(",")):
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in steps:
                raise ValueError(f"step budget {item!r}: expected <step>=<seconds> with a step in {', '.join(steps)}")
            per_step[name] = float(value)
        return cls(default_s, per_step)


def chain_worst_case_s(timeouts: StepTimeouts, attempts: int, per_call_grace_s: float = 0.0) -> float:
    """The longest the LLM chain may run while every call stays within its budget: the CV branch (cv_profile, then
    cv_scores) runs beside the project branch (project_scores), then the summary (llm_scorer.LlmScorer.score).
    Each step may be called `attempts` times (a reply that parses but is unusable is asked again), and each call
    may run `per_call_grace_s` past its budget before the caller's deadline ends it."""

    def step(name: str) -> float:
        return attempts * (timeouts.for_step(name) + per_call_grace_s)

    cv_branch = step("cv_profile") + step("cv_scores")
    return max(cv_branch, step("project_scores")) + step("summary")
