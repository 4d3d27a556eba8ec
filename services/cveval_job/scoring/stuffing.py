"""Keyword stuffing: text added to a CV to match a posting rather than to describe work.

Three moves are undone before the CV is scored, each flagged in provenance (never silently):
- repeated text: a list line said again (a skills block pasted five times) counts once;
- the posting pasted in: lines of the CV that carry sentences of the job description verbatim are dropped;
- a keyword list: a list line naming at least MIN_LIST_SKILLS skills, most of which the rest of the CV never
  mentions, and at least two of them skills the job asks for. Skills count where the CV shows them in its roles,
  projects or results, not in a bare list; a list line whose skills the CV shows elsewhere is a summary and stays.
Hidden text (white or 1-pt in a PDF or DOCX) reaches the scorer as ordinary extracted text and is caught by the
same rules: what it usually hides is a keyword list or the posting.
"""

from __future__ import annotations

import re
from typing import Final

from cveval_job.scoring.skills import expand_skills, extract_skills, skill_mentions
from cveval_job.scoring.text import looks_like_heading, normalize

__all__ = [
    "COPIED_POSTING_FLAG",
    "HIDDEN_TEXT_FLAG",
    "KEYWORD_LIST_FLAG",
    "REPEATED_TEXT_FLAG",
    "STUFFING_FLAGS",
    "remove_hidden_text_marker",
    "remove_stuffing",
]

KEYWORD_LIST_FLAG: Final = "keyword_list_suspected"
REPEATED_TEXT_FLAG: Final = "repeated_text_removed"
COPIED_POSTING_FLAG: Final = "posting_text_copied"
HIDDEN_TEXT_FLAG: Final = "hidden_text_removed"
STUFFING_FLAGS: Final = frozenset({KEYWORD_LIST_FLAG, REPEATED_TEXT_FLAG, COPIED_POSTING_FLAG, HIDDEN_TEXT_FLAG})
# The line the upload service appends when it left out text a reader could not see (white, tiny, invisible or
# hidden text; its domain/hidden_text.py HIDDEN_TEXT_MARKER): kinds and counts only, the text itself is gone.
_HIDDEN_TEXT_MARKER: Final = re.compile(r"^\[hidden text removed at upload: [^\]\n]*\]\s*$", re.MULTILINE)


def remove_hidden_text_marker(text: str) -> tuple[str, bool]:
    """The text without the upload's hidden-text marker, and whether it had one."""
    cleaned, found = _HIDDEN_TEXT_MARKER.subn("", text)
    return (cleaned, True) if found else (text, False)

MIN_REPEATED_CHARS: Final = 20  # shorter lines ("Python", "Kenntnisse") recur in honest CVs
MIN_POSTING_WORDS: Final = 6  # a posting sentence this long found verbatim in a CV was copied, not written
MIN_COPIED_SENTENCES: Final = 2
MIN_LIST_SKILLS: Final = 4
_LIST_SEPARATORS: Final = re.compile(r"[,;|/\u2022\u00b7]")
_SPACE: Final = re.compile(r"\s+")
SECTION_LOOKBACK: Final = 40
_SKILLS_HEADING: Final = re.compile(
    r"\b(?:skills?|competenc\w+|competencies|technolog\w+|tools|tech\s*stack|expertise|kenntnisse|"
    r"kompetenzen|f[äa]higkeiten|technologien|schwerpunkte|qualifikationen)\b",
    re.IGNORECASE,
)


def _key(line: str) -> str:
    return _SPACE.sub(" ", line).strip().lower()


def _without_repeats(lines: list[str]) -> tuple[list[str], bool]:
    """Repeated list lines count once; flagged when one comes three times or more (a pasted block, not a layout
    that names a skill set once per project)."""
    seen: dict[str, int] = {}
    kept: list[str] = []
    for line in lines:
        key = _key(line)
        if len(key) >= MIN_REPEATED_CHARS and _is_list(line):
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                continue
        kept.append(line)
    return kept, max(seen.values(), default=0) >= 3


def _posting_sentences(job_description: str) -> list[str]:
    parts = re.split(r"[.!?;:\n\u2022]+", normalize(job_description))
    return [k for k in (_key(p) for p in parts) if len(k.split()) >= MIN_POSTING_WORDS]


def _without_posting(lines: list[str], job_description: str) -> tuple[list[str], bool]:
    sentences = _posting_sentences(job_description)
    if not sentences:
        return lines, False
    copied: set[str] = set()
    hit_lines: set[int] = set()
    for i, line in enumerate(lines):
        key = _key(normalize(line))
        for sentence in sentences:
            if sentence in key:
                copied.add(sentence)
                hit_lines.add(i)
    if len(copied) < MIN_COPIED_SENTENCES:
        return lines, False
    # Copying shown, the posting's shorter lines that came along ("Spring MVC", "Must-have skills") go too.
    posting_lines = {_key(normalize(line)) for line in job_description.split("\n")} - {""}
    kept = [line for i, line in enumerate(lines) if i not in hit_lines and _key(normalize(line)) not in posting_lines]
    return kept, True


def _is_list(line: str) -> bool:
    return len(_LIST_SEPARATORS.findall(line)) >= MIN_LIST_SKILLS - 1


def _under_skills_heading(lines: list[str], index: int) -> bool:
    """Whether the nearest heading-like line above is a skills section's ("SKILLS", "Kenntnisse", …)."""
    for line in reversed(lines[max(0, index - SECTION_LOOKBACK) : index]):
        if looks_like_heading(line):
            return bool(_SKILLS_HEADING.search(line))
    return False


def _without_keyword_lists(lines: list[str], wanted: frozenset[str]) -> tuple[list[str], bool]:
    """A list of the job's skills outside any skills section, most of which the CV shows nowhere else: a keyword
    line. A skills section is the CV's own summary and stays, even when it names skills the roles do not show."""
    kept: list[str | None] = list(lines)
    flagged = False
    for i, line in enumerate(lines):
        if not _is_list(line) or _under_skills_heading(lines, i):
            continue
        named = frozenset(name for _, _, name in skill_mentions(normalize(line)))
        if len(named) < MIN_LIST_SKILLS or len(named & wanted) * 5 < len(named) * 4:  # ≥ 80% the job's skills
            continue
        elsewhere = expand_skills(extract_skills("\n".join(lines[:i] + lines[i + 1 :])))
        unsupported = named - elsewhere
        if len(unsupported) * 2 > len(named) and len(unsupported & wanted) >= 2:
            kept[i] = None
            flagged = True
    return [line for line in kept if line is not None], flagged


def remove_stuffing(cv_text: str, job_description: str) -> tuple[str, frozenset[str]]:
    """The CV without stuffed text, and the flags of what was removed (empty when it looks honest)."""
    lines = cv_text.split("\n")
    flags: set[str] = set()
    lines, repeated = _without_repeats(lines)
    if repeated:
        flags.add(REPEATED_TEXT_FLAG)
    lines, copied = _without_posting(lines, job_description)
    if copied:
        flags.add(COPIED_POSTING_FLAG)
    wanted = expand_skills(extract_skills(job_description))
    lines, listed = _without_keyword_lists(lines, wanted)
    if listed:
        flags.add(KEYWORD_LIST_FLAG)
    return ("\n".join(lines) if flags else cv_text), frozenset(flags)
