"""The parts of a CV that show skills used: dated roles and projects, and sentences; not a bare list of skills.

A skill named only in a list ("Skills: Java, Kubernetes, Kafka, …") is a claim anyone can type; a skill named in a
role, a project or a sentence about what was done is evidence. The technical score counts skills found here only.
A list inside a dated role or project ("Kenntnisse: Scrum, .NET" under a freelancer's project) is that project's
stack, so it counts; the same list under a skills heading or on its own does not.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from cveval_job.scoring.experience import dated_blocks
from cveval_job.scoring.text import normalize

__all__ = ["text_in_use"]

# Headings of the sections that list skills rather than show them ("Skills", "Technical skills", "Kenntnisse",
# "Programmiersprachen", "Tools & Technologies").
_SKILLS_HEADING: Final = re.compile(
    r"^\s*(?:(?:key|core|technical|technische|it|other|weitere|additional|fachliche)\s+)?(?:skills?|kenntnisse|"
    r"competenc(?:e|ies)|kompetenzen|technolog(?:y|ies)|technologien|tools?(?:\s*(?:&|and|und)\s*\w+)?|"
    r"programmiersprachen|programming\s+languages|frameworks|tech\s+stack|stack|expertise|schwerpunkte|"
    r"produkte\s*/\s*standards\s*/\s*erfahrungen)\s*:?\s*$",
    re.IGNORECASE,
)
# A line that is a list: three or more items split by commas, semicolons, pipes, slashes or bullets.
_SEPARATOR: Final = re.compile(r"\s*(?:[,;|/\u2022\u00b7]|\s-\s)\s*")
_SENTENCE_VERB_HINT: Final = re.compile(r"[a-zäöüß]{3,}(?:ed|te|ten|ing|t)\b", re.IGNORECASE)
MIN_LIST_ITEMS: Final = 3
# A skills section ends at a blank line followed by a heading-like short line, or after this many lines.
MAX_SECTION_LINES: Final = 25
ATTACHED_LINES: Final = 4


def _is_list(line: str) -> bool:
    items = [i for i in _SEPARATOR.split(line.strip()) if i]
    if len(items) < MIN_LIST_ITEMS:
        return False
    # Short items, no sentence: "Java, Spring Boot, Oracle" but not "Built APIs in Java, Go and Rust, then …".
    return sum(len(i.split()) for i in items) / len(items) <= 3


def _outside_blocks(text: str, blocks: list[str]) -> tuple[str, list[str]]:
    """The text without its dated blocks, and the stack lists attached to them: a skills heading right after a
    block ("Kenntnisse" under a freelancer's project) and its lines, up to the next block or ATTACHED_LINES."""
    rest, attached, cursor = [], [], 0
    for block in blocks:
        start = text.find(block, cursor)
        if start < 0:
            continue
        rest.append(text[cursor:start])
        cursor = start + len(block)
        lines = text[cursor:].split("\n")
        if lines and not lines[0].strip():
            lines = lines[1:]
        if lines and _SKILLS_HEADING.match(lines[0]):
            stack = []
            for line in lines[1 : 1 + ATTACHED_LINES]:
                if not line.strip() or any(line.strip() and line.strip() in b for b in blocks):
                    break
                stack.append(line)
            attached.extend(stack)
            cursor = text.find(stack[-1], cursor) + len(stack[-1]) if stack else cursor
    rest.append(text[cursor:])
    return "\n".join(rest), attached


def _shown_lines(text: str) -> list[str]:
    """Lines that are not a bare list and not under a skills heading."""
    shown: list[str] = []
    in_skills = 0
    for line in text.split("\n"):
        if _SKILLS_HEADING.match(line):
            in_skills = MAX_SECTION_LINES
            continue
        if in_skills:
            in_skills -= 1
            # A longer line that reads as a sentence ends the list section; so does an upper-case heading.
            sentence = len(line.split()) > 8 and bool(_SENTENCE_VERB_HINT.search(line)) and not _is_list(line)
            heading = line.strip().isupper() and len(line.split()) <= 4
            if sentence or heading:
                in_skills = 0
            else:
                continue
        if not _is_list(line):
            shown.append(line)
    return shown


def text_in_use(cv_text: str, today: date) -> str:
    """The CV's dated roles and projects whole, and its other lines that are neither a list nor under a skills
    heading: the text whose skills count."""
    clean = normalize(cv_text)
    blocks = [r.text for r in dated_blocks(clean, today)]
    rest, attached = _outside_blocks(clean, blocks)
    return "\n".join([*blocks, *attached, *_shown_lines(rest)])
