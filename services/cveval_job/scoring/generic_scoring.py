"""A 1..5 score for a rubric parameter no built-in measure fits, from the parameter's own definition.

The terms come from guide_terms.py; here they are looked up in the candidate's document and their graded coverage
is put on the 1..5 scale. The evidence names what was found (in the document's own words, with a quote) and what was
not, so a hiring team can see why their "leadership" or "security" got the score it got.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.guide_terms import DocumentIndex, ParameterTerms, Term, parameter_terms
from cveval_job.scoring.model import RubricParameter
from cveval_job.scoring.scales import GUIDE_BANDS, band, names
from cveval_job.scoring.text import shorten

__all__ = ["GENERIC_FLAG", "GenericScore", "generic_flag", "score_generically"]

GENERIC_FLAG: Final = "custom_parameter_scored_generically"
# What the top levels name decides the score; the topic (label words) fills this part of what the details leave
# open. Label words are often abstract ("leadership", "communication") where a CV is concrete ("led", "presented"),
# so a document in the guide's words need not say them, while a mere mention of the topic still earns a 2.
TOPIC_WEIGHT: Final = 0.25
# Full coverage of level 4's own words is worth this share: a 4 on GUIDE_BANDS, and a 5 only with level 5's words.
LEVEL_CREDIT: Final = {5: 1.0, 4: 0.7}
# A level is read on its own only when it names this many terms and the document shows this share of them: a
# document "in the words of level 4" shows most of them, and one common word matched is no level.
MIN_LEVEL_TERMS: Final = 2
MIN_LEVEL_SHARE: Final = 0.5
_SOURCES: Final = {
    "guide": "the words of its guide's levels 4-5",
    "context": "the vacancy's context (its guide names nothing to look for)",
    "label": "its label only (guide and context name nothing more specific)",
}


@dataclass(frozen=True)
class GenericScore:
    score: int
    evidence: tuple[str, ...]
    terms: ParameterTerms


def generic_flag(key: str) -> str:
    return f"{GENERIC_FLAG}:{key}"


def _found(terms: Sequence[Term], doc: DocumentIndex, used: set[str]) -> list[tuple[Term, str]]:
    """(term, the document's word for it) for each term the document shows: by the term itself, or through its
    lexicon skill if no earlier term used that route ("OAuth" shows "authentication" or "authorization", not both)."""
    out: list[tuple[Term, str]] = []
    for term in terms:
        if term.primary in doc.forms:
            out.append((term, doc.forms[term.primary]))
        elif term.skill is not None and term.skill in doc.forms and term.skill not in used:
            used.add(term.skill)
            out.append((term, doc.forms[term.skill]))
    return out


def _share(found: int, total: int) -> float:
    return found / total if total else 0.0


def _best_sentence(doc: DocumentIndex, surfaces: Sequence[str]) -> str | None:
    """The document's sentence that shows the most found terms (the first of equals), to quote as evidence."""
    wanted = [re.compile(rf"(?<!\w){re.escape(s.lower())}(?!\w)") for s in dict.fromkeys(surfaces)]
    best, best_hits = None, 0
    for sentence in doc.sentences:
        lower = sentence.lower()
        hits = sum(1 for w in wanted if w.search(lower))
        if hits > best_hits:
            best, best_hits = sentence, hits
    return best


def score_generically(param: RubricParameter, doc: DocumentIndex, context: Sequence[str]) -> GenericScore:
    """Score one parameter from the terms of its definition found in the document; never raises for its content."""
    terms = parameter_terms(param, context)
    used: set[str] = set()
    topic_found = _found(terms.topic, doc, used)
    detail_found = _found(terms.detail, doc, used)
    topic_share = _share(len(topic_found), len(terms.topic))
    detail_share = _share(len(detail_found), len(terms.detail))
    shown_detail = {t.primary for t, _ in detail_found}
    by_level: list[str] = []
    for level, level_terms in terms.levels:
        if len(level_terms) >= MIN_LEVEL_TERMS:
            hits = sum(1 for t in level_terms if t.primary in shown_detail)
            if hits / len(level_terms) >= MIN_LEVEL_SHARE:
                detail_share = max(detail_share, LEVEL_CREDIT[level] * hits / len(level_terms))
            by_level.append(f"level {level}: {hits}/{len(level_terms)}")
    share = detail_share + TOPIC_WEIGHT * topic_share * (1 - detail_share)
    score = band(share, GUIDE_BANDS)
    all_terms = (*terms.topic, *terms.detail)
    found = [*topic_found, *detail_found]
    shown = {t for t, _ in found}
    missing = [t.name for t in all_terms if t not in shown]
    kind = "guide" if terms.source != "context" else "guide and context"
    if not all_terms:
        evidence = [f"{param.label}: its label and guide name nothing the offline scorer can look for"]
    else:
        levels = f"; {', '.join(by_level)}" if by_level else ""
        evidence = [
            f"no built-in measure fits; scored on {_SOURCES[terms.source]}: {len(found)}/{len(all_terms)} terms "
            f"found{levels}, graded share {share:.0%}",
            f"{kind} terms found: {names(list(dict.fromkeys(hit for _, hit in found)), 6) or 'none'}; "
            f"not found: {names(missing, 6) or 'none'}",
        ]
        quote = _best_sentence(doc, [hit for _, hit in found])
        if quote is not None:
            evidence.append(f'"{shorten(quote, 100)}"')
    return GenericScore(score, tuple(evidence), terms)
