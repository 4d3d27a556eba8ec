"""What a job description asks for: required skills (with alternatives), optional skills and years.

"Python or Go" and "a cloud provider (AWS, GCP or Azure)" ask for one of several skills; counting each one as a
separate requirement would punish every candidate for not knowing all of them, so alternatives form one group.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.experience import DEFAULT_REQUIRED_YEARS, required_years
from cveval_job.scoring.skills import default_lexicon, expand_skills, extract_skills, skill_mentions
from cveval_job.scoring.text import content_stems, sentences, split_optional, strip_boilerplate

__all__ = ["MIN_SKILLS", "JobProfile", "job_profile", "skill_requirements"]

MIN_SKILLS: Final = 3  # fewer recognised skills than this: the job is outside the lexicon, use its keywords
# Soft skills say little about whether a role block is relevant to the job; hard skills do.
_NOT_RELEVANCE: Final = frozenset({"soft", "general"})
_INTRODUCER: Final = re.compile(r"\b(?:such\s+as|e\.\s?g\.|eg\.|for\s+example|for\s+instance|like)\b", re.IGNORECASE)
_LIST_GAP: Final = re.compile(r"^\s*(?:,|,?\s*(?:or|and/or)|,?\s*and)?\s*$", re.IGNORECASE)
_OR: Final = re.compile(r"\bor\b", re.IGNORECASE)

Unit = frozenset[str]  # one requirement: any of these skills satisfies it


def _alternative_spans(sentence: str) -> list[tuple[int, int]]:
    """Parenthesised lists and "such as …" lists: their skills are examples, any one of which will do."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\([^()]*\)", sentence)]
    for m in _INTRODUCER.finditer(sentence):
        # The list ends at a sentence stop, not at the dot inside a name such as ".NET" or "Node.js".
        end = re.search(r"[.;:)](?!\w)|$", sentence[m.end() :])
        spans.append((m.end(), m.end() + (end.start() if end else 0)))
    return spans


def _or_chains(sentence: str, mentions: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Runs of mentions joined only by commas/"or"/"and" in which at least one joint is "or"."""
    chains: list[list[tuple[int, int, str]]] = []
    chain = mentions[:1]
    has_or = False
    for prev, cur in itertools.pairwise(mentions):
        gap = sentence[prev[1] : cur[0]] if cur[0] >= prev[1] else ""
        if _LIST_GAP.match(gap):
            chain.append(cur)
            has_or = has_or or bool(_OR.search(gap))
            continue
        if has_or:
            chains.append(chain)
        chain, has_or = [cur], False
    if has_or:
        chains.append(chain)
    return chains


def skill_requirements(text: str) -> list[Unit]:
    """Requirement units of a text in order of first mention (postings lead with the core stack): single
    skills, and groups of alternatives ("Kafka, RabbitMQ or NATS")."""
    units: dict[Unit, None] = {}
    singles: set[str] = set()
    for sentence in sentences(text):
        mentions = skill_mentions(sentence)
        grouped: dict[tuple[int, int, str], Unit] = {}
        for start, end in _alternative_spans(sentence):
            inside = [m for m in mentions if start <= m[0] < end]
            if len({m[2] for m in inside}) >= 2:
                grouped.update(dict.fromkeys(inside, frozenset(m[2] for m in inside)))
        for chain in _or_chains(sentence, mentions):
            if len({m[2] for m in chain}) >= 2:
                grouped.update(dict.fromkeys(chain, frozenset(m[2] for m in chain)))
        for mention in mentions:
            unit = grouped.get(mention)
            if unit is None:
                singles.add(mention[2])
                unit = frozenset({mention[2]})
            units.setdefault(unit, None)
    # A group that contains a skill required on its own is already satisfied through that skill.
    return [u for u in units if len(u) == 1 or not u & singles]


@dataclass(frozen=True)
class JobProfile:
    core: tuple[Unit, ...]
    optional: tuple[Unit, ...]
    keywords: frozenset[str]  # content stems of the job text, used when it names too few known skills
    required_years: float
    years_stated: bool

    @property
    def skills(self) -> frozenset[str]:
        return frozenset().union(*self.core, *self.optional)

    @property
    def uses_keywords(self) -> bool:
        return len(self.skills) < MIN_SKILLS

    def is_relevant(self, text: str) -> bool:
        """Does a piece of the CV (a role, a sentence) deal with what this job needs?"""
        if self.uses_keywords:
            return len(content_stems(text) & self.keywords) >= 3
        categories = default_lexicon().categories
        hard = [u for u in (*self.core, *self.optional) if any(categories.get(s) not in _NOT_RELEVANCE for s in u)]
        have = expand_skills(extract_skills(text))
        # One shared skill is chance when a job names many ("stakeholders" in a teaching post); two are a pattern.
        needed = 2 if len(hard) >= 6 else 1
        return sum(1 for unit in hard if unit & have) >= needed


def job_profile(job_texts: Iterable[str]) -> JobProfile:
    return _profile("\n\n".join(t for t in job_texts if t.strip()))


@functools.lru_cache(maxsize=256)
def _profile(text: str) -> JobProfile:
    # A vacancy is scored against many CVs: its profile is computed once per text (frozen, safe to share).
    text = strip_boilerplate(text)
    required, optional = split_optional(text)
    core = skill_requirements(required)
    covered = frozenset().union(*core)
    extra = [u for u in skill_requirements(optional) if not u & covered]
    years = required_years(text)
    return JobProfile(
        core=tuple(core),
        optional=tuple(extra),
        keywords=frozenset(content_stems(required)),
        required_years=years if years is not None else DEFAULT_REQUIRED_YEARS,
        years_stated=years is not None,
    )
