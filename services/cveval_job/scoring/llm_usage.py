"""What the LLM chain spent, for provenance: models, tokens actually paid for, calls, re-asks, cache hits.

Tokens of an answer served from the ai-gateway's completion cache were spent by an earlier evaluation, not this one,
so they are not counted again; the cache hit is counted instead. The counts travel in the result's flags
("llm_calls:7"), so no storage schema changes to carry them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from cveval_job.scoring.model import ParameterScore
from cveval_job.scoring.ports import ChatReply

__all__ = ["SUMMARY_FALLBACK_FLAG", "ChainUsage", "summary_from_subscores"]

# The overall summary was written in code from the sub-scores: the model's summary step failed.
SUMMARY_FALLBACK_FLAG: Final = "summary_from_subscores"


@dataclass
class ChainUsage:
    models: list[str] = field(default_factory=list)
    prompt_tokens: int = 0  # spent by this evaluation (cache hits excluded)
    completion_tokens: int = 0
    attempts: int = 0  # the most calls any single step needed (the scorer's retries and the gateway's re-asks)
    model_calls: int = 0  # calls that reached a model provider
    reasks: int = 0  # of those, calls that asked again after an unusable or cut-off answer
    cached_steps: int = 0  # steps answered from the gateway's completion cache
    truncated_steps: list[str] = field(default_factory=list)  # steps that failed on the token limit
    step_ms: dict[str, float] = field(default_factory=dict)

    def add(self, reply: ChatReply, step_attempt: int) -> None:
        if reply.model and reply.model not in self.models:
            self.models.append(reply.model)
        calls = max(1, reply.attempts)
        self.attempts = max(self.attempts, step_attempt - 1 + calls)
        if reply.cached:
            self.cached_steps += 1
            return
        self.model_calls += calls
        self.reasks += max(0, reply.reasks)
        self.prompt_tokens += max(0, reply.prompt_tokens)
        self.completion_tokens += max(0, reply.completion_tokens)

    def failed(self, step: str, attempts: int, truncated: bool) -> None:
        """A step that ended without an answer still cost calls (its tokens are not reported back to us)."""
        self.model_calls += attempts
        self.reasks += max(0, attempts - 1)
        self.attempts = max(self.attempts, attempts)
        if truncated:
            self.truncated_steps.append(step)

    def flags(self) -> tuple[str, ...]:
        counts = [f"llm_calls:{self.model_calls}", f"llm_reasks:{self.reasks}", f"llm_cached_steps:{self.cached_steps}"]
        return (*counts, *(f"llm_truncated:{step}" for step in self.truncated_steps))


def summary_from_subscores(
    title: str, cv_match_rate: float, project_score: float, breakdown: tuple[ParameterScore, ...], verdict: str
) -> str:
    """A plain summary written from the valid sub-scores when the model's summary step failed; it states only
    what the scores say and is flagged, so nobody mistakes it for the model's reading."""
    ranked = sorted(breakdown, key=lambda p: (-p.score, p.stage, p.parameter))
    strong = [f"{p.label} ({p.score}/5)" for p in ranked if p.score >= 4][:3]
    weak = [f"{p.label} ({p.score}/5)" for p in reversed(ranked) if p.score <= 2][:3]
    sentences = [
        f"Application to \"{title}\": CV match rate {cv_match_rate:.2f}, project score {project_score:.2f} of 5.",
        f"Strongest: {', '.join(strong)}." if strong else "No parameter scored 4 or above.",
        f"Weakest: {', '.join(weak)}." if weak else "No parameter scored 2 or below.",
        f"Recommendation from the fixed thresholds: {verdict}.",
    ]
    return " ".join(sentences)
