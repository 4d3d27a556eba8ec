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


class Scorer(Protocol):
    async def score(self, inp: ScoringInput) -> Evaluation: ...


class ChatPort(Protocol):
    """One chat completion. messages are (role, content) pairs; json_schema asks for structured output.

    Raises ModelOutputInvalid when the model's answers never matched json_schema (whatever re-asking the port does
    itself), and cveval_kit.errors.Unavailable when the model provider cannot be reached.
    """

    async def chat(
        self,
        messages: Sequence[tuple[str, str]],
        *,
        json_schema: str | None,
        temperature: float,
        seed: int | None,
    ) -> ChatReply: ...
