"""Mapping of measured evidence onto the 1..5 rubric scale.

Thresholds are explicit tables so a score can be explained ("7 of 9 requirements → 4") and tuned in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

# Lower bounds for scores 5, 4, 3, 2 (anything below the last is 1).
SHARE_BANDS: Final = (0.75, 0.55, 0.35, 0.15)  # share of required skills present
COVERAGE_BANDS: Final = (0.85, 0.65, 0.45, 0.25)  # share of brief requirements covered
KEYWORD_BANDS: Final = (0.5, 0.35, 0.2, 0.1)  # fallback: share of job keywords present
ACHIEVEMENT_BANDS: Final = (7.0, 4.5, 2.5, 1.0)  # achievement points
KIND_BANDS: Final = (6, 4, 2, 1)  # distinct kinds of collaboration evidence
PRACTICE_BANDS: Final = (5, 3, 2, 1)  # distinct quality / resilience / documentation practices
BONUS_BANDS: Final = (4, 3, 2, 1)  # distinct extras beyond the brief
# Graded share of a custom parameter's own terms found in the document (generic_scoring.py): its topic alone is a
# mention (0.25 → 2), level 4's words all found a 4 (0.7), level 5's a 5; a CV never uses every word of a guide,
# so 80% of level 5 (with the topic) is the top of the scale.
GUIDE_BANDS: Final = (0.8, 0.55, 0.35, 0.12)


def band(value: float, bands: Sequence[float]) -> int:
    """Score 5..1 for a value against descending lower bounds for 5, 4, 3 and 2."""
    for score, bound in zip((5, 4, 3, 2), bands, strict=True):
        if value >= bound:
            return score
    return 1


def count(n: int, noun: str) -> str:
    """"1 statement", "3 statements": evidence is read by people."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def names(items: Sequence[str], limit: int = 8) -> str:
    """Comma-separated display names, "snake_case" shown as words, cut with a count of the rest."""
    shown = [i.replace("_", " ") for i in items[:limit]]
    rest = len(items) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest > 0 else "")
