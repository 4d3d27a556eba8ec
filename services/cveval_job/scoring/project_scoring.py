"""Offline project-report assessment against the case-study brief, one 1..5 score per rubric parameter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.project_evidence import (
    CODE_QUALITY,
    DOCUMENTATION,
    RESILIENCE,
    Coverage,
    bonus_signals,
    brief_requirements,
    claims,
    requirement_coverage,
    signal_matches,
)
from cveval_job.scoring.scales import BONUS_BANDS, COVERAGE_BANDS, PRACTICE_BANDS, band, names
from cveval_job.scoring.text import shorten

__all__ = ["PROJECT_ALIASES", "PROJECT_NOT_BUILT_IN", "ProjectAssessment", "assess_project"]

# Word prefixes that map a vacancy's own keys onto the built-in parameters (parameter_mapping.py). In a report,
# "communication" is the explanation the documentation measure reads, so it maps there (unlike on the CV side).
PROJECT_ALIASES: Final = {
    "correctness": ("correct", "requirement", "brief", "functional", "complete"),
    "code_quality": ("quality", "code", "structure", "maintainab", "clean"),
    "resilience": ("resilien", "error", "reliab", "robust", "fault", "failure"),
    "documentation": ("document", "doc$", "docs$", "explanation", "readme", "communicat"),
    "creativity": ("creativ", "bonus", "innovat", "extra$", "extras$", "original"),
}
# Not mapped even beside an alias ("performance and reliability", "security and error handling"): no built-in
# measures them (security and load tests are at most one bonus signal), so the team's guide scores them.
PROJECT_NOT_BUILT_IN: Final = ("secur", "perform", "scalab", "latenc", "usab", "accessib", "privacy", "deploy")


@dataclass(frozen=True)
class ProjectAssessment:
    scores: dict[str, int]
    evidence: dict[str, tuple[str, ...]]
    coverage: Coverage
    practices: dict[str, tuple[str, ...]]  # family → practices found (code_quality, resilience, documentation)
    missing_practices: dict[str, tuple[str, ...]]
    bonus: tuple[str, ...]


def _correctness(coverage: Coverage) -> tuple[int, tuple[str, ...]]:
    total = len(coverage.met) + len(coverage.missing)
    if total == 0:
        return 1, ("the brief has no recognisable requirements to check the report against",)
    evidence = [f"covers {len(coverage.met)}/{total} brief requirements (graded coverage {coverage.degree:.0%})"]
    evidence += [f'not covered: "{shorten(_strip_number(r.text), 80)}"' for r in coverage.missing[:2]]
    return band(coverage.degree, COVERAGE_BANDS), tuple(evidence)


def _strip_number(text: str) -> str:
    return re.sub(r"^\s*\d{1,2}[.)]\s*", "", text)


def _practices(report: str, family: dict[str, re.Pattern[str]]) -> tuple[int, tuple[str, ...], list[str], list[str]]:
    found = signal_matches(report, family)
    missing = [k for k in family if k not in found]
    evidence = [f"found: {names(list(found)) or 'none'}"]
    if missing:
        evidence.append(f"not mentioned: {names(missing, 4)}")
    return band(len(found), PRACTICE_BANDS), tuple(evidence), list(found), missing


def assess_project(report: str, brief: str) -> ProjectAssessment:
    coverage = requirement_coverage(report, brief_requirements(brief))
    correctness, correctness_ev = _correctness(coverage)
    scores = {"correctness": correctness}
    evidence = {"correctness": correctness_ev}
    practices: dict[str, tuple[str, ...]] = {}
    missing: dict[str, tuple[str, ...]] = {}
    said = claims(report)
    # Practices count only where the report says they were done; documentation is judged on the whole report,
    # because a "Limitations" or "Future work" section is itself documentation.
    families = (("code_quality", CODE_QUALITY, said), ("resilience", RESILIENCE, said),
                ("documentation", DOCUMENTATION, report))
    for key, family, text in families:
        scores[key], evidence[key], found, absent = _practices(text, family)
        practices[key], missing[key] = tuple(found), tuple(absent)
    extras = bonus_signals(said, brief)
    scores["creativity"] = band(len(extras), BONUS_BANDS)
    evidence["creativity"] = (
        (f"beyond the brief: {names(list(extras))}",) if extras else ("nothing beyond the brief's requirements found",)
    )
    return ProjectAssessment(scores, evidence, coverage, practices, missing, tuple(extras))
