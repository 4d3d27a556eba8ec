"""Text helpers shared by the extractors: cleaning of messy extracted text, sentence units, crude stemming.

Extracted PDF/DOCX text has broken lines, hyphenated words and invisible characters; every extractor works on the
output of normalize() so they all see the same text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Icon fonts (Font Awesome and the like) in CV templates come out of PDFs as pictographs, private-use glyphs or the
# icon's name ("/linkedin-in", "/github", "♂¶obile-alt" for a phone icon). None of it is content, and an icon name
# must not count as a skill ("/github" is a link, not Git): drop pictographs and a leading "/icon-name" token.
_ICON_GLYPHS = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\u2600-\u27bf\u2b00-\u2bff\U0001f300-\U0001faff\u00b6]")
_ICON_NAME = re.compile(r"^(?:[^\w\s]\s?)*/[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?=\s)", re.MULTILINE)
# "Devel-\noping" → "Developing": PDF line breaks split words; a lowercase continuation means one word.
_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\n[ \t]*([a-z])")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u3000]+")
_BULLET = re.compile(r"^\s*(?:[\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2219\u00b7*\-\u2013\u2014>]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+(?=[\"“(\[A-ZÀ-ÖØ-Þ0-9])")
_OPTIONAL_HEADING = re.compile(
    r"^\s*#*\s*(?:bonus|nice[\s-]to[\s-]have|optional|extra\s+credit|stretch\s+goals?|good[\s-]to[\s-]have|"
    r"preferred\s+(?:qualifications|skills)|deseable|wünschenswert|atout)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:[+#]+|(?:[.\-'\u2019][^\W_]+)*)")

STOPWORDS: Final = frozenset(
    str.split(
        """
    a about above after again against all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each etc few for from further had has have having he her
    here hers him his how i if in into is it its itself just may me might more most must my no nor not now of off
    on once only or other our ours out over own per same she should so some such than that the their them then there
    these they this those through to too under until up upon us very via was we well were what when where which while
    who whom why will with within without would you your yours e.g i.e
    able ability across add added also apply based best build building candidate candidates clear company create
    day days develop developing development different do eg etc example excellent experience experienced familiarity
    familiar full good great help ideal including join knowledge least like looking make making new one ones part
    plus preferred proven related relevant required requirement requirements responsibilities responsible role
    skill skills strong successful team teams time understanding use used using want way ways work working year years
    provide provides ensure should must need needs needed each every first second third two three four five
    write writes written main handle handles apply applies implement implements support supports allow allows
    include includes separate so
    """
    )
)


def normalize(text: str, *, join_hyphenated: bool = True) -> str:
    """Unicode-normalise, drop invisible characters, repair hyphenated line breaks, tidy spaces per line.

    join_hyphenated=False keeps the hyphen ("machine-\nlearning" → "machine-learning") for callers that must not
    lose compound words, which a line-break repair cannot tell apart from split words without a dictionary.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _ICON_GLYPHS.sub("", text)
    text = _ICON_NAME.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HYPHEN_BREAK.sub(r"\1\2" if join_hyphenated else r"\1-\2", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def collapse(text: str) -> str:
    """One line, single spaces: for comparisons and hashing, where layout must not matter."""
    return _SPACES.sub(" ", " ".join(text.split())).strip()


def sentences(text: str) -> list[str]:
    """Sentence-like units: bullets and paragraphs, with lines broken mid-sentence joined back together.

    A line continues the previous one when the previous does not end a sentence and this one starts in lowercase
    (the usual shape of a PDF line wrap).
    """
    units: list[str] = []
    for raw in normalize(text).split("\n"):
        if not raw:
            units.append("")
            continue
        is_bullet = bool(_BULLET.match(raw))
        line = _BULLET.sub("", raw).strip()
        if not line:
            continue
        prev = units[-1] if units else ""
        continues = bool(prev) and not is_bullet and (
            (line[0].islower() and prev[-1] not in ".!?") or prev[-1] in ",;&" or prev.endswith((" and", " or"))
        )
        if continues:
            units[-1] = f"{prev} {line}"
        else:
            units.append(line)
    out: list[str] = []
    for unit in units:
        out.extend(part.strip() for part in _SENTENCE_END.split(unit) if part.strip())
    return out


def words(text: str) -> list[str]:
    """Lower-cased word tokens; keeps "c++", "c#", "node.js" and "scikit-learn" whole."""
    return [w.lower().rstrip(".") for w in _WORD.findall(text)]


_SUFFIXES: Final = ("ations", "ation", "ings", "ing", "ions", "ion", "ments", "ment", "ies", "es", "ed", "ly", "s", "e")


def stem(word: str) -> str:
    """Very light stemming (strip a suffix, keep 5 characters): enough to match "retries"/"retrying" or
    "evaluation"/"evaluate" without a language model or a stemming library."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            w = w[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return w[:5]


def content_stems(text: str) -> set[str]:
    """Stems of the non-stopword words of a text (words of 3+ characters)."""
    return {stem(w) for w in words(text) if len(w) >= 3 and w not in STOPWORDS and not w.isdigit()}


def shorten(text: str, limit: int = 110) -> str:
    """One-line excerpt for evidence strings, cut at a word boundary."""
    flat = collapse(text)
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# Sections of a posting about the employer rather than the job: their words ("stakeholders", "10 years of
# innovation", "professional development") are not requirements. "About the role" and "About you" are the job.
_BOILERPLATE_HEADING = re.compile(
    r"^\s*#*\s*(?:about\b(?!\s+(?:the\s+)?(?:role|job|position|opportunity|team|you|this)\b)|benefits|perks|"
    r"what\s+we\s+offer|why\s+(?:join|work)|how\s+to\s+apply|compensation|salary|remuneration|equal\s+opportunit|"
    r"our\s+(?:mission|story|values|culture)|company\s+(?:overview|description|profile)|who\s+we\s+are|"
    r"über\s+uns|sobre\s+nosotros|qui\s+sommes|beneficios|avantages|vorteile)",
    re.IGNORECASE,
)


def looks_like_heading(line: str) -> bool:
    """A short line that ends with a colon, or a few capitalised words without a sentence stop."""
    stripped = line.strip().lstrip("#").strip()
    if not stripped or len(stripped) > 60:
        return False
    if stripped.endswith(":"):
        return True
    return len(stripped.split()) <= 6 and stripped[0].isupper() and stripped[-1] not in ".!?,;"


def strip_boilerplate(text: str) -> str:
    """A job posting without its employer sections (about us, benefits, how to apply), each running to the next
    heading; the rest is kept line for line."""
    kept: list[str] = []
    skipping = False
    for line in normalize(text).split("\n"):
        if _BOILERPLATE_HEADING.match(line) and looks_like_heading(line):
            skipping = True
        elif skipping and looks_like_heading(line):
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("#") or (0 < len(stripped) <= 40 and stripped.endswith(":"))


def split_optional(text: str) -> tuple[str, str]:
    """(required part, optional part) of a job description or brief: lines under a "Bonus" / "Nice to have"
    heading are optional up to the next heading, so they add credit without being held against anyone."""
    required: list[str] = []
    optional: list[str] = []
    in_optional = False
    for line in normalize(text).split("\n"):
        if _OPTIONAL_HEADING.match(line):
            in_optional = True
        elif _is_heading(line):
            in_optional = False
        (optional if in_optional else required).append(line)
    return "\n".join(required), "\n".join(optional)
