"""Ports of the scoring domain: what a scorer offers, and what the LLM scorer needs from the AI gateway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cveval_job.scoring.model import Evaluation, ScoringInput

__all__ = ["ChatPort", "ChatReply", "Scorer"]


@dataclass(frozen=True)
class ChatReply:
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool = False  # served from the gateway's completion cache: no tokens spent for this evaluation
    attempts: int = 1  # model calls behind this answer (the gateway's re-asks included)
    reasks: int = 0
    finish_reason: str = "stop"


class Scorer(Protocol):
    async def score(self, inp: ScoringInput) -> Evaluation: ...


class ChatPort(Protocol):
    """One chat completion. messages are (role, content) pairs; json_schema asks for structured output.

    Raises ModelOutputInvalid when the model's answers never matched json_schema (whatever re-asking the port does
    itself), ModelOutputTruncated when they were cut off at max_tokens, and cveval_kit.errors.Unavailable when the
    model provider cannot be reached within timeout_s (None: the port's default).
    """

    async def chat(
        self,
        messages: Sequence[tuple[str, str]],
        *,
        json_schema: str | None,
        temperature: float,
        seed: int | None,
        max_tokens: int = 0,
        timeout_s: float | None = None,
    ) -> ChatReply: ...
