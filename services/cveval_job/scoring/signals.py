"""Signal search shared by the CV and project extractors: which kinds of a pattern family a text shows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from cveval_job.scoring.text import sentences

__all__ = ["find_signals"]

# Words shortly before a signal that turn it into its absence ("no tests", "could add retries", "TODO: caching").
_NEGATION: Final = re.compile(
    r"\b(?:no|not|without|never|lacks?|lacking|missing|didn'?t|did\s+not|don'?t|doesn'?t|haven'?t|have\s+not|"
    r"wasn'?t|isn'?t|aren'?t|todo|future|could|would|might|plan(?:ned)?\s+to|yet\s+to|instead\s+of)\b",
    re.IGNORECASE,
)


def find_signals(
    text: str, signals: Mapping[str, re.Pattern[str]], *, negation_aware: bool = False
) -> dict[str, str]:
    """First phrase found for each signal kind. With negation_aware, "no retries yet" or "could add caching"
    does not count: a report that names what it lacks must not score for it."""
    found: dict[str, str] = {}
    for sentence in sentences(text):
        for kind, pattern in signals.items():
            if kind in found:
                continue
            for m in pattern.finditer(sentence):
                before = sentence[max(0, m.start() - 50) : m.start()]
                if negation_aware and _NEGATION.search(before):
                    continue
                found[kind] = " ".join(m.group(0).split())
                break
    return {kind: found[kind] for kind in signals if kind in found}
