"""Pure evidence extractors over candidate text. Every scorer decision is traced back to something found here.

CV side lives in this module (achievements, collaboration, seniority); years of experience in experience.py and
project-report signals in project_evidence.py, re-exported here so callers have one place to look.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.experience import ExperienceEvidence, explicit_years, required_years, years_of_experience
from cveval_job.scoring.project_evidence import (
    Coverage,
    bonus_signals,
    brief_requirements,
    requirement_coverage,
    signal_matches,
)
from cveval_job.scoring.signals import find_signals
from cveval_job.scoring.text import sentences

__all__ = [
    "Achievement",
    "Coverage",
    "ExperienceEvidence",
    "bonus_signals",
    "brief_requirements",
    "collaboration_signals",
    "explicit_years",
    "find_signals",
    "quantified_achievements",
    "required_years",
    "requirement_coverage",
    "seniority_signals",
    "signal_matches",
    "years_of_experience",
]

_NOISE: Final = re.compile(
    r"\(?\+?\d{1,3}\)?[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}"  # phone numbers
    r"|\b(?:19|20)\d{2}\b"  # years: dates are not achievements
    r"|\b\d{1,2}(?:[.,]5)?\s*\+?\s*(?:years?|yrs?)\b"  # "5 years": experience, scored elsewhere
    r"|\b\d+(?:[./]\d+)?\s*/\s*\d+\b",  # GPA-style "9.5/10"
    re.IGNORECASE,
)
_UNITS: Final = (
    "users|customers|clients|requests|transactions|orders|downloads|installs|visitors|subscribers|students|children|"
    "learners|pupils|schools|classes|courses|lessons|employees|engineers|developers|people|members|reports|countries|"
    "cities|markets|stores|hours|days|weeks|months|ms|milliseconds|seconds|minutes|projects|products|features|"
    "services|microservices|applications|apps|papers|patents|deals|accounts|leads|tickets|releases|teams|partners|"
    "sites|pages|models|datasets|records|rows|events|queries|jobs"
)
_METRIC: Final = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|percent\b|per\s*cent\b|x\b|\u00d7|k\b|m\b|bn\b|million|billion|thousand|lakhs?|crores?)"
    r"|[$€£₹¥]\s?\d"
    rf"|\b\d[\d,.]*\+?\s+(?:\w+\s+)?(?:{_UNITS})\b"
    r"|\b(?:by|to|from|over|under|than|of|within)\s+\d[\d,.]*\b"
    r"|\b(?:top|ranked|rank|no\.|#)\s*\d+\b",
    re.IGNORECASE,
)
_IMPACT: Final = re.compile(
    r"\b(?:increas\w*|reduc\w*|improv\w*|boost\w*|decreas\w*|accelerat\w*|optimi[sz]\w*|launch\w*|achiev\w*|"
    r"exceed\w*|doubl\w*|tripl\w*|halv\w*|eliminat\w*|publish\w*|recogni[sz]\w*|expand\w*|streamlin\w*|"
    r"generat\w+\s+(?:revenue|sales|leads|savings)|sav(?:ed|ing|ings)|grew|grown|won|winning|winner|award\w*|"
    r"shipp\w+|migrat\w*|automat\w*|raised|lowered|cut(?:s|ting)?\b(?!-edge)|scaled|scaling|deliver(?:ed|ing)|ranked|"
    r"promoted|sped\s+up|speed\s+up|drove|enabled|grow(?:ing|th)|outperform\w*|"
    r"aument\w*|reduj\w*|mejor\w*|increment\w*|logr\w*|steiger\w*|senkt\w*|verbessert\w*|augment\w*|amélior\w*|"
    r"meningkat\w*|menurunk\w*|aumentou|reduziu|melhor\w*)",
    re.IGNORECASE,
)
_COLLABORATION: Final[dict[str, re.Pattern[str]]] = {
    kind: re.compile(pattern, re.IGNORECASE)
    for kind, pattern in {
        "leadership": r"\b(?:led|lead(?:ing|s)?\s+(?:a\s+|the\s+)?(?:\w+\s+)?(?:team|group|squad|project|initiative|"
        r"effort|design|development)|team\s+lead|tech(?:nical)?\s+lead|headed|managed\s+(?:a\s+)?(?:\w+\s+)?"
        r"(?:team|group|staff)|supervis\w+|leadership|dirigí|lideré|geleitet)\b",
        "mentoring": r"\b(?:mentor\w*|coach\w*|onboard(?:ed|ing)\s+(?:new|junior)|trained\s+(?:new|junior|\d+)|"
        r"tutor\w*)\b",
        "cross_functional": r"\b(?:cross[\s-]?functional|across\s+teams|multi[\s-]?disciplinary|"
        r"inter[\s-]?disciplinary|cross[\s-]?team)\b",
        "stakeholders": r"\b(?:stakeholders?|business\s+partners?|clients?|customers?|parents|product\s+owners?)\b",
        "collaboration": r"\b(?:collaborat\w*|colabor\w*|kolaborasi|zusammenarbeit|partner(?:ed|ing)\s+with|"
        r"worked\s+closely|work(?:ed|ing|s)?\s+(?:closely\s+)?with\s+(?:the\s+|other\s+)?(?:\w+\s+){0,3}?(?:teams?|"
        r"designers|engineers|developers|managers|colleagues|scientists)|liais\w+|coordinat\w+)\b",
        "teamwork": r"\b(?:team\s*work|team[\s-]player|team\s+members?|(?:agile|scrum|development|engineering)\s+team|"
        r"part\s+of\s+(?:a|the)\s+(?:\w+\s+)?team|in\s+a\s+team|equipo|équipe)\b",
        "code_review": r"\b(?:code\s+reviews?|pair\s+programming|peer\s+reviews?|pull\s+requests?|reviewed\s+code)\b",
        "knowledge_sharing": r"\b(?:knowledge\s+sharing|shared\s+knowledge|presented|presentations?|workshops?|"
        r"talks?\s+at|tech\s+talks?|brown\s+bags?|internal\s+training)\b",
        "communication": r"\b(?:communicat\w+|facilitat\w+|negotiat\w+)\b",
        "community": r"\b(?:volunteer\w*|open[\s-]source|community|contribut\w+\s+to\s+(?:open|the\s+community))\b",
    }.items()
}
_SENIORITY: Final = re.compile(
    r"\b(?:senior|sr\.|lead|principal|staff\s+(?:engineer|developer|scientist)|architect|head\s+of|manager|director|"
    r"vice\s+president|vp|chief|cto|cio|team\s+lead|tech\s+lead|seasoned)\b",
    re.IGNORECASE,
)
@dataclass(frozen=True)
class Achievement:
    text: str
    has_metric: bool
    has_impact_verb: bool
    relevant: bool

    @property
    def points(self) -> float:
        """Measured impact counts most; an unrelated achievement still counts, at a discount."""
        base = 2.0 if self.has_metric and self.has_impact_verb else 1.0 if self.has_metric else 0.5
        return base if self.relevant else base * 0.6


def quantified_achievements(text: str, relevant: Callable[[str], bool] | None = None) -> list[Achievement]:
    """Sentences that report results: numbers, percentages, money, or impact verbs. Repeats count once."""
    found: dict[str, Achievement] = {}
    for sentence in sentences(text):
        if "@" in sentence or len(sentence) < 15:
            continue
        cleaned = _NOISE.sub(" ", sentence)
        metric = bool(_METRIC.search(cleaned))
        verb = bool(_IMPACT.search(cleaned))
        key = sentence.lower()
        if (metric or verb) and key not in found:
            found[key] = Achievement(sentence, metric, verb, relevant(sentence) if relevant else True)
    return list(found.values())


def collaboration_signals(text: str) -> dict[str, str]:
    """Kinds of collaboration evidence (leadership, mentoring, cross-functional work, …) with a phrase for each.

    Kinds, not occurrences, are what scores: writing "team" twenty times shows nothing more than writing it once.
    """
    return find_signals(text, _COLLABORATION)


def seniority_signals(text: str) -> list[str]:
    """Seniority words (senior, lead, principal, head of, …) in their lower-cased form, first occurrence order."""
    return list(dict.fromkeys(m.group(0).lower() for m in _SENIORITY.finditer(text)))
