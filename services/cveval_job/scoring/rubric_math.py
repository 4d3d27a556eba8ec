"""The rubric arithmetic of the brief (section 2). Done here, in code, never by a model.

Exact rational arithmetic (weights read as their decimal text) with half-up rounding, so 0.765 rounds to 0.77
on every machine instead of depending on binary float noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import cast

from cveval_job.scoring.errors import ScoreError
from cveval_job.scoring.model import Rubric, is_valid_score

__all__ = ["ScoreError", "cv_match_rate", "project_score", "validate_scores", "weighted_average"]

CV_SCALE = Fraction(1, 5)  # 1..5 -> 0.2..1.0


def validate_scores(scores: Mapping[str, object], rubric: Rubric) -> dict[str, int]:
    """Check that every rubric parameter has an int 1..5 and nothing else is there; return them as ints.

    A missing score is an error, not a default: the original system invented scores when the model omitted them.
    """
    missing = [k for k in rubric.keys if k not in scores]
    if missing:
        raise ScoreError(f"{rubric.stage} scores missing for: {', '.join(missing)}")
    unknown = sorted(k for k in scores if k not in rubric.keys)
    if unknown:
        raise ScoreError(f"{rubric.stage} scores for unknown parameters: {', '.join(unknown)}")
    bad = [f"{k}={scores[k]!r}" for k in rubric.keys if not is_valid_score(scores[k])]
    if bad:
        raise ScoreError(f"{rubric.stage} scores must be ints 1..5: {', '.join(bad)}")
    return {k: cast(int, scores[k]) for k in rubric.keys}


def _exact_weighted_average(scores: Mapping[str, object], rubric: Rubric) -> Fraction:
    valid = validate_scores(scores, rubric)
    weights = {p.key: Fraction(str(p.weight)) for p in rubric.parameters}
    total_weight = sum(weights.values(), Fraction(0))
    # Dividing by the weight sum absorbs the 1e-6 tolerance the rubric allows.
    return sum((weights[k] * valid[k] for k in rubric.keys), Fraction(0)) / total_weight


def _round2(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def weighted_average(scores: Mapping[str, object], rubric: Rubric) -> float:
    """Weighted average of the 1..5 sub-scores (unrounded)."""
    return float(_exact_weighted_average(scores, rubric))


def cv_match_rate(scores: Mapping[str, object], rubric: Rubric) -> float:
    """Weighted average times 0.2, rounded to 2 decimals: 0.20..1.00."""
    return _round2(_exact_weighted_average(scores, rubric) * CV_SCALE)


def project_score(scores: Mapping[str, object], rubric: Rubric) -> float:
    """Weighted average rounded to 2 decimals: 1.00..5.00 (the brief's scale, not the original's doubled one)."""
    return _round2(_exact_weighted_average(scores, rubric))
