"""Evidence terms of a rubric parameter read from its own definition, for parameters no built-in measure fits.

A custom parameter ("leadership", "security") is defined by its label and its 1..5 guide. The words that set the
top levels apart from the bottom ones ("mentored", "roadmap", "threat model") are what a strong document shows, so
they become the terms looked for in the candidate's document. A guide that only grades ("poor" … "excellent",
"meets level 3") names nothing to look for; then the vacancy's own context (job description or brief, and the
retrieved chunks) says what the parameter means there.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.model import RubricParameter
from cveval_job.scoring.skills import expand_skills, extract_skills, skill_mentions
from cveval_job.scoring.text import STOPWORDS, normalize, sentences, stem, words

__all__ = ["DocumentIndex", "ParameterTerms", "Term", "base_stem", "index_document", "parameter_terms", "terms_of"]

# A guide needs this many terms of its own beyond the label before it is trusted on its own; with fewer, the
# vacancy's context adds terms. Two: one word ("thorough tests") is too thin to grade five levels on.
MIN_DETAIL_TERMS: Final = 2
# Caps keep one verbose guide or a long context from turning the score into a vocabulary test.
MAX_DETAIL_TERMS: Final = 12
MAX_CONTEXT_TERMS: Final = 10
# Irregular forms the suffix stemmer cannot join ("led" with "leadership", "wrote" with "writes"): CVs report the
# past, guides describe in the present, and the two must meet.
_FORMS: Final = {
    "led": "lead", "leader": "lead", "leaders": "lead", "leadership": "lead", "mentorship": "mentor",
    "ownership": "own", "owned": "own", "built": "build", "wrote": "write", "written": "write", "ran": "run",
    "taught": "teach", "drove": "drive", "driven": "drive", "grew": "grow", "grown": "grow", "spoke": "speak",
    "spoken": "speak", "chose": "choose", "chosen": "choose", "held": "hold", "kept": "keep", "sold": "sell",
    "won": "win", "began": "begin", "begun": "begin", "gave": "give", "given": "give", "thought": "think",
}  # fmt: skip
_WORD_ONLY: Final = re.compile(r"[^\W\d_]+")
# The open end of a date range ("2019 - Present"): a date, not a presentation.
_OPEN_END: Final = re.compile(
    r"(?:[-\u2013\u2014]|\bto|\btill|\buntil)\s*(?:present|now|current|today|date)\b", re.IGNORECASE
)
# Words that grade a level rather than name what it contains ("thorough", "some", "clear evidence", "meets level
# 3"), and the vocabulary of rubrics themselves. They appear in every guide, so they say nothing about a document.
_GRADING_WORDS: Final = frozenset(
    str.split(
        """
    none little limited minimal minimum basic basics some several many few multiple most all clear clearly strong
    strongly weak weakly poor poorly fair good great excellent exceptional outstanding solid thorough thoroughly deep
    deeply broad broadly extensive extensively advanced adequate adequately sufficient partial partially partly fully
    complete completely evidence evident sign signs show shows shown showing demonstrate demonstrated demonstrates
    demonstrating level levels meet meets met exceed exceeds exceeded below above expected expectations expectation
    consistent consistently occasional occasionally mentioned mention mentions passing vague vaguely concrete
    significant significantly high higher highest low lower lowest average overall generally mostly largely mainly
    rarely often always sometimes hardly barely almost nearly little lack lacks lacking missing absent
    expertise expert experts proficiency proficient exposure competence competent domain field fields sector industry
    cv report rubric parameter parameters weight score scores scored scoring criteria
    criterion aspects aspect area areas others other well-reasoned reasonable reasonably appropriate appropriately
    effective effectively beyond minor major gaps gap only simple simply real clearly-explained various wide widely
    examples example instances instance level-appropriate
    """
    )
)


@dataclass(frozen=True)
class Term:
    """One thing to look for. `primary` is the term itself (a word's stem, or "skill:<name>" for a several-word
    skill); `skill` is the lexicon skill a one-word term belongs to, an alias route to it ("OAuth" for
    "authentication") that generic_scoring lets stand in for one term only, because a lexicon area groups things a
    guide may list apart ("authentication", "authorization")."""

    name: str  # the guide's own word(s), as a reader sees them
    primary: str
    skill: str | None = None

    @property
    def forms(self) -> frozenset[str]:
        return frozenset({self.primary} if self.skill is None else {self.primary, self.skill})


@dataclass(frozen=True)
class ParameterTerms:
    topic: tuple[Term, ...]  # what the parameter is about: its label and key, and words its low and high levels share
    detail: tuple[Term, ...]  # what a high score shows: level 4-5 words absent from levels 1-2, or context words
    source: str  # "guide", "context" (the guide was generic) or "label" (nothing specific anywhere)
    # The detail terms of levels 5 and 4 each on their own, for a guide read from its levels: a document in the
    # words of level 4 reads as a 4 even where level 5 lists other things ("BSc …" vs "MSc or PhD …").
    levels: tuple[tuple[int, tuple[Term, ...]], ...] = ()


@dataclass(frozen=True)
class DocumentIndex:
    forms: dict[str, str]  # form → the document's own word for it (first occurrence), for evidence quotes
    sentences: tuple[str, ...]


def base_stem(word: str) -> str:
    w = word.lower()
    return stem(_FORMS.get(w, w))


def _is_content(word: str) -> bool:
    # Filtered by the word, not its stem: "meetings" and "presented" are evidence even though "meets" is not.
    base = _FORMS.get(word, word)
    return len(word) >= 3 and not word.isdigit() and base not in STOPWORDS and word not in _GRADING_WORDS


def _merge(groups: Iterable[Iterable[Term]]) -> list[Term]:
    """Terms in order, each once: a later term with the same primary form is the same term ("tests", "testing")."""
    out: dict[str, Term] = {}
    for term in (t for group in groups for t in group):
        out.setdefault(term.primary, term)
    return list(out.values())


def terms_of(text: str) -> list[Term]:
    """Content terms of a text in order of appearance. A skill mention is one term with its aliases ("k8s" and
    "Kubernetes" meet); a single-word skill also keeps its stem, so "leadership" in a guide meets "led" in a CV."""
    return list(_terms(text))


@functools.lru_cache(maxsize=4096)
def _terms(text: str) -> tuple[Term, ...]:
    # Guides and context sentences recur for every parameter and every job of a vacancy; the lexicon pass is not free.
    flat = normalize(text)
    lower = flat.lower()
    placed: list[tuple[int, Term]] = []
    spans: list[tuple[int, int]] = []
    for start, end, name in skill_mentions(flat):
        surface = lower[start:end]
        if _WORD_ONLY.fullmatch(surface):
            term = Term(surface, base_stem(surface), f"skill:{name}")
        else:
            term = Term(" ".join(surface.split()), f"skill:{name}")
        placed.append((start, term))
        spans.append((start, end))
    cursor = 0
    for word in words(flat):
        at = lower.find(word, cursor)
        pos = at if at >= 0 else cursor
        cursor = pos + len(word) if at >= 0 else cursor
        if _is_content(word) and not any(s <= pos < e for s, e in spans):
            placed.append((pos, Term(word, base_stem(word))))
    placed.sort(key=lambda item: item[0])  # stable: a skill and a word never share a start
    return tuple(_merge([[t for _, t in placed]]))


def _primaries(terms: Iterable[Term]) -> set[str]:
    return {t.primary for t in terms}


def _forms(terms: Iterable[Term]) -> set[str]:
    return {f for t in terms for f in t.forms}


def _context_terms(topic: Sequence[Term], context: Sequence[str]) -> list[Term]:
    """Terms of the context sentences that mention the parameter's topic. Skills first (a named tool or method is
    the most specific thing a posting says about a topic), then words; each most frequent first, then in order."""
    topic_forms = _forms(topic)
    counts: Counter[str] = Counter()
    first: dict[str, Term] = {}
    for text in context:
        for sentence in sentences(text):
            found = terms_of(sentence)
            if not _forms(found) & topic_forms:
                continue
            for term in found:
                if term.primary not in topic_forms:
                    counts[term.primary] += 1
                    first.setdefault(term.primary, term)
    order = {key: i for i, key in enumerate(first)}
    ranked = sorted(first, key=lambda k: (first[k].skill is None and not k.startswith("skill:"), -counts[k], order[k]))
    return [first[k] for k in ranked][:MAX_CONTEXT_TERMS]


def parameter_terms(param: RubricParameter, context: Sequence[str]) -> ParameterTerms:
    """Topic and detail terms of a parameter: from its guide when the guide is specific, else from the context."""
    label = _merge([terms_of(param.label), terms_of(param.key.replace("_", " "))])
    high = _merge([terms_of(param.guide[4]), terms_of(param.guide[5])])
    low = _forms(_merge([terms_of(param.guide[1]), terms_of(param.guide[2])]))
    # Words both ends of the guide use ("tests" in "no tests" and "thorough unit tests") name the topic, not a level.
    topic = _merge([label, [t for t in high if t.primary in low]])
    taken = _primaries(topic)
    detail = [t for t in high if t.primary not in low and t.primary not in taken][:MAX_DETAIL_TERMS]
    if len(detail) >= MIN_DETAIL_TERMS:
        kept = _primaries(detail)
        levels = tuple((level, tuple(t for t in terms_of(param.guide[level]) if t.primary in kept)) for level in (5, 4))
        return ParameterTerms(tuple(topic), tuple(detail), "guide", levels)
    extra = _context_terms(topic, context)
    merged = _merge([detail, [t for t in extra if t.primary not in taken]])
    if len(merged) > len(detail):
        return ParameterTerms(tuple(topic), tuple(merged[:MAX_DETAIL_TERMS]), "context")
    return ParameterTerms(tuple(topic), tuple(detail), "guide" if detail else "label")


def index_document(text: str) -> DocumentIndex:
    """Every form a document shows (stems of its words, its skills and the skills they imply), each with the
    document's own word for it."""
    flat = _OPEN_END.sub(" ", normalize(text))
    forms: dict[str, str] = {}
    mentioned: set[str] = set()
    for start, end, name in skill_mentions(flat):
        forms.setdefault(f"skill:{name}", flat[start:end])
        mentioned.add(name)
    # extract_skills on the text as given: the CV's skills are cached from assess_cv, and it also reads the
    # hyphen-preserving variant skill_mentions does not.
    for name in sorted(expand_skills(extract_skills(text) | mentioned) - mentioned):
        forms.setdefault(f"skill:{name}", name)
    for word in words(flat):
        if len(word) >= 3 and not word.isdigit():
            forms.setdefault(base_stem(word), word)
    return DocumentIndex(forms, tuple(sentences(flat)))
