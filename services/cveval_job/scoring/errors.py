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
