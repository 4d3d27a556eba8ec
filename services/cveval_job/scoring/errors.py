"""Errors of the scoring domain; all are ValueErrors because each one means "this input cannot be scored"."""

from __future__ import annotations


class RubricError(ValueError):
    """A rubric (or a vacancy built from rubrics) is malformed: weights, keys or guide are wrong."""


class ScoreError(ValueError):
    """A set of sub-scores is incomplete or out of range; we never fill a gap with an invented score."""


class ScoringError(ValueError):
    """An evaluation could not be produced (empty document, model reply unusable after retries)."""


class ModelOutputInvalid(ScoringError):
    """The model's answers never matched the step's JSON schema, the ai-gateway's re-asks included. Not a reason to
    retry the job or to fall back to another scorer: the provider answered, the answer was unusable."""

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class ModelOutputTruncated(ModelOutputInvalid):
    """The model's answer was cut off at the step's max_tokens, again after a firmer retry: it loops."""
