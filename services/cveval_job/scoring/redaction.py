"""Personal data taken out of a text before it leaves the mesh for an external model provider.

What is redacted: e-mail addresses, phone numbers, web links (profiles, portfolios), dates that look like birth
dates, personal-detail lines (birth date, age, gender, nationality, marital status, photo, address: personal.py),
and the CV's name line (a first line of two to four capitalised words). Each becomes "[<kind> removed]", so the
model still sees that something was there. Provenance records kinds and counts only ("redacted:email=1"), never
the values. Regular expressions, not a named-entity model: names inside sentences are not found (say so to users).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from cveval_job.scoring.personal import drop_personal_details

__all__ = ["REDACTION_FLAG_PREFIX", "redact", "redaction_flags"]

REDACTION_FLAG_PREFIX: Final = "redacted:"
_PATTERNS: Final = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("link", re.compile(r"\b(?:https?://|www\.)\S+|\b(?:linkedin\.com|github\.com|xing\.com)/\S+", re.IGNORECASE)),
    ("phone", re.compile(r"(?<![\w/.-])\+?\(?\d{1,4}\)?(?:[\s./-]?\(?\d{2,5}\)?){2,5}(?![\w/.-])")),
    ("birth_date", re.compile(r"\b(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])[./](?:19|20)\d{2}\b")),
)
_NAME_LINE: Final = re.compile(r"^\s*(?:[A-ZÄÖÜ][\w'\u2019-]+\.?\s+){1,3}[A-ZÄÖÜ][\w'\u2019-]+\s*$")


def redact(text: str, *, first_line_is_name: bool = False) -> tuple[str, Counter[str]]:
    """The text with personal data replaced, and how many of each kind were replaced."""
    counts: Counter[str] = Counter()
    text, details = drop_personal_details(text)
    if details:
        counts["personal_detail_line"] += details
    if first_line_is_name:
        head, sep, rest = text.partition("\n")
        if _NAME_LINE.match(head):
            text, counts["name"] = f"[name removed]{sep}{rest}", 1
    for kind, pattern in _PATTERNS:
        text, n = pattern.subn(f"[{kind} removed]", text)
        if n:
            counts[kind] += n
    return text, counts


def redaction_flags(counts: Counter[str]) -> tuple[str, ...]:
    return tuple(f"{REDACTION_FLAG_PREFIX}{kind}={n}" for kind, n in sorted(counts.items()) if n)
