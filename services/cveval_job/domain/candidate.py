"""Who a candidate is, readably: the name at the top of the CV, else the CV's file name. No I/O here."""

from __future__ import annotations

import re
from pathlib import PurePath

# A name line: 2 to 4 words of letters (apostrophes, hyphens and the dots of initials allowed), nothing else.
_WORD = r"[^\W\d_][\w'\u2019.-]*"
_NAME = re.compile(rf"^{_WORD}(?:\s+{_WORD}){{1,3}}$")
_LABEL = re.compile(r"^(?:full\s+)?name\s*[:\-]\s*", re.IGNORECASE)
_DECORATION = " \t|\u2022\u00b7-\u2013\u2014:"
# Headings that sit where a name usually is and must not be taken for one.
_NOT_NAMES = frozenset(
    {"curriculum vitae", "resume", "r\u00e9sum\u00e9", "personal details", "contact", "profile", "summary",
     "professional summary", "work experience", "experience", "education", "skills", "contact information",
     "personal information", "about me"}
)
_LINES_SEARCHED = 5
_MAX_NAME_CHARS = 60


def display_name(cv_text: str, cv_filename: str) -> str:
    """The first of the CV's first lines that looks like a person's name, else the file's name without extension."""
    lines = [line.strip(_DECORATION) for line in cv_text.splitlines()]
    for line in [line for line in lines if line][:_LINES_SEARCHED]:
        candidate = _LABEL.sub("", line).strip()
        if _looks_like_name(candidate):
            return candidate.title() if candidate.isupper() else candidate
    stem = PurePath(cv_filename.replace("\\", "/")).stem.strip()
    return stem or "unnamed candidate"


def _looks_like_name(text: str) -> bool:
    return (
        len(text) <= _MAX_NAME_CHARS
        and bool(_NAME.match(text))
        and text.lower() not in _NOT_NAMES
        and not any(w.islower() and len(w) > 3 for w in text.split())  # "Senior backend engineer" is a title
    )
