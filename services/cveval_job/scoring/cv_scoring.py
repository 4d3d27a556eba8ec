"""Offline CV assessment: each CV rubric parameter scored 1..5 from evidence the scorer can point to."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from cveval_job.scoring.evidence import (
    Achievement,
    collaboration_signals,
    quantified_achievements,
    seniority_signals,
    years_of_experience,
)
from cveval_job.scoring.experience import ExperienceEvidence
from cveval_job.scoring.job_profile import JobProfile, Unit, job_profile
from cveval_job.scoring.parameter_mapping import known_key
from cveval_job.scoring.scales import ACHIEVEMENT_BANDS, KEYWORD_BANDS, KIND_BANDS, SHARE_BANDS, band, count, names
from cveval_job.scoring.semantic import SemanticEvidence
from cveval_job.scoring.semantic_roles import (
    achievement_band,
    best_role_band,
    experience_band,
    match_band,
    weighted_relevant_years,
)
from cveval_job.scoring.skills import default_lexicon, expand_skills, extract_skills
from cveval_job.scoring.skills_in_use import text_in_use
from cveval_job.scoring.text import content_stems, shorten

__all__ = [
    "CV_ALIASES",
    "CV_NOT_BUILT_IN",
    "MEANING_MEASURES",
    "CvAssessment",
    "JobProfile",
    "RoleContext",
    "assess_cv",
    "job_profile",
    "known_key",
    "with_meaning",
]

OPTIONAL_WEIGHT: Final = 0.5
BROAD_WEIGHT: Final = 0.5
# A missing skill the CV has a neighbour of (same lexicon area: Vue for React, MySQL for PostgreSQL, Scrum for
# roadmapping) earns part of its weight: adjacent skills transfer, and "none of the skills, but the same field" is a
# better fit than "a different field".
RELATED_CREDIT: Final = 0.3
# A required skill the CV names only in a list (a skills section, a keyword line), never in a role, a project or a
# sentence about what was done: a claim, worth part of its weight (decision record 0028 measures 0, this and 1).
LISTED_CREDIT: Final = 0.7
# A posting naming fewer specific skills than this is only partly described by the lexicon; its own wording
# (content words shared with the CV) fills the rest, in proportion to what the lexicon misses.
SPECIFIC_UNITS: Final = 6
# Keyword shares run lower than skill shares for the same fit (postings repeat their own vocabulary): this scale
# puts KEYWORD_BANDS onto SHARE_BANDS.
KEYWORD_SCALE: Final = 1.5
# Broad skills ("communication", "software development") are named by almost every posting: they count, but less.
_BROAD: Final = frozenset({"soft", "general"})


@dataclass(frozen=True)
class RoleContext:
    """What the measures by meaning need besides the evidence: the CV as scored, the job, the reference date."""

    cv_text: str
    job: JobProfile
    today: date


@dataclass(frozen=True)
class CvAssessment:
    scores: dict[str, int]
    evidence: dict[str, tuple[str, ...]]
    found_skills: tuple[str, ...]
    missing_skills: tuple[str, ...]
    experience: ExperienceEvidence
    achievements: tuple[Achievement, ...]
    collaboration: tuple[str, ...]
    flags: tuple[str, ...]


def _unit_name(unit: Unit, have: frozenset[str]) -> str:
    """A satisfied group is named by what the CV has; a missing one by its alternatives ("aws/azure/gcp")."""
    present = sorted(unit & have)
    return "/".join(present or sorted(unit))


def _technical(
    cv: str, job: JobProfile, today: date
) -> tuple[int, tuple[str, ...], list[str], list[str], list[str]]:
    if job.uses_keywords:
        present = job.keywords & content_stems(cv)
        share = len(present) / len(job.keywords) if job.keywords else 0.0
        note = f"job names few known skills; {len(present)}/{len(job.keywords)} of its keywords appear in the CV"
        # Stems are not names a reader would recognise, so no skill list is reported in this mode.
        return band(share, KEYWORD_BANDS), (note,), [], [], ["jd_skills_unrecognized"]
    # A skill counts in full where the CV shows it in use (a role, a project, a sentence); named only in a list, it
    # is a claim and earns LISTED_CREDIT (skills_in_use.py).
    have = expand_skills(extract_skills(text_in_use(cv, today)))
    listed = expand_skills(extract_skills(cv))
    found_core = [_unit_name(u, have) for u in job.core if u & have]
    found_opt = [_unit_name(u, have) for u in job.optional if u & have]
    missing = [_unit_name(u, have) for u in job.core if not u & have]
    categories = default_lexicon().categories
    areas = {categories.get(s) for s in listed} - _BROAD - {None}

    def weight(unit: Unit, base: float) -> float:
        return base * (BROAD_WEIGHT if all(categories.get(s) in _BROAD for s in unit) else 1.0)

    def credit(unit: Unit) -> float:
        if unit & have:
            return 1.0
        if unit & listed:
            return LISTED_CREDIT
        return RELATED_CREDIT if any(categories.get(s) in areas for s in unit) else 0.0

    units = [(u, weight(u, 1.0)) for u in job.core] + [(u, weight(u, OPTIONAL_WEIGHT)) for u in job.optional]
    share = sum(w * credit(u) for u, w in units) / sum(w for _, w in units)
    related = [_unit_name(u, have) for u in job.core if 0 < credit(u) < 1 and not u & listed]
    listed_only = [_unit_name(u, listed) for u in job.core if not u & have and u & listed]
    evidence = [f"found {len(found_core)}/{len(job.core)} required skills: {names(found_core) or 'none'}"]
    specific = sum(1 for u in job.core if weight(u, 1.0) == 1.0)
    if specific < SPECIFIC_UNITS and job.keywords:
        lexicon_part = specific / SPECIFIC_UNITS
        keyword_share = len(job.keywords & content_stems(cv)) / len(job.keywords)
        share = lexicon_part * share + (1 - lexicon_part) * min(1.0, KEYWORD_SCALE * keyword_share)
        evidence.append(f"job names few specific skills: {keyword_share:.0%} of its key terms appear in the CV")
    if missing:
        evidence.append(f"missing: {names(missing)}" + (f" (only listed, not shown in use: {names(listed_only, 5)})"
                                                        if listed_only else ""))
    if related:
        evidence.append(f"related skills in the same area for: {names(related, 5)}")
    if found_opt:
        evidence.append(f"nice-to-have found: {names(found_opt, 5)}")
    return band(share, SHARE_BANDS), tuple(evidence), found_core + found_opt, missing, []


def _experience(cv: str, job: JobProfile, today: date) -> tuple[int, tuple[str, ...], ExperienceEvidence]:
    exp = years_of_experience(cv, today, job.is_relevant)
    need = job.required_years
    if exp.relevant_years <= 0:
        score = 2 if exp.total_years > 0 else 1  # the guide's 2: "experience in unrelated work only"
    else:
        ratio = exp.relevant_years / need if need else 2.0
        score = 5 if ratio >= 1.5 else 4 if ratio >= 1.0 else 3 if ratio >= 0.6 else 2
    seniority = seniority_signals(cv)
    if seniority and exp.relevant_years >= 0.6 * need and score < 5:
        score += 1  # senior or lead responsibility on top of the years
    asked = f"{need:g}+ asked" if job.years_stated else f"{need:g}+ assumed (job states none)"
    evidence = [f"~{exp.relevant_years:g} years relevant, {exp.total_years:g} total ({asked})"]
    if seniority:
        evidence.append(f"seniority: {names(seniority, 4)}")
    return score, tuple(evidence), exp


def _achievements(cv: str, job: JobProfile) -> tuple[int, tuple[str, ...], list[Achievement]]:
    items = quantified_achievements(cv, job.is_relevant)
    points = sum(a.points for a in items)
    measured = sum(1 for a in items if a.has_metric)
    related = sum(a.relevant for a in items)
    evidence = [f"{count(len(items), 'achievement statement')}, {measured} measured, {related} related to the job"]
    ranked = sorted(items, key=lambda a: -a.points)  # stable: ties keep document order
    evidence += [f'"{shorten(a.text, 90)}"' for a in ranked[:2]]
    return band(points, ACHIEVEMENT_BANDS), tuple(evidence), items


def _fit(cv: str) -> tuple[int, tuple[str, ...], list[str]]:
    signals = collaboration_signals(cv)
    if not signals:
        return 1, ("no collaboration or teamwork signals found",), []
    shown = [f'{k.replace("_", " ")} ("{v}")' for k, v in list(signals.items())[:4]]
    evidence = (f"{count(len(signals), 'kind')} of collaboration signals", "; ".join(shown))
    return band(len(signals), KIND_BANDS), evidence, list(signals)


# Rubric keys this scorer knows, and word prefixes that map a vacancy's own keys onto them (parameter_mapping.py).
CV_ALIASES: Final = {
    "technical_skills": ("skill", "technical", "stack", "competenc", "technolog"),
    "experience_level": ("experience", "seniority", "years", "tenure"),
    "relevant_achievements": ("achiev", "impact", "result", "accomplish", "outcome"),
    "cultural_fit": ("cultur", "collab", "team", "fit$"),
}
# Not mapped even beside an alias ("team leadership", "communication skills"). Leadership and communication are one
# kind each among the ten collaboration signals cultural_fit counts, so that score would credit a CV with code
# reviews and volunteering for "leadership"; education and certificates no built-in measures. The team's own guide
# says what they mean by these, so the generic path scores them.
CV_NOT_BUILT_IN: Final = ("lead", "communicat", "soft$", "mentor", "educat", "degree", "certif", "qualif")


def assess_cv(cv: str, job: JobProfile, today: date) -> CvAssessment:
    tech, tech_ev, found, missing, flags = _technical(cv, job, today)
    exp_score, exp_ev, exp = _experience(cv, job, today)
    ach_score, ach_ev, items = _achievements(cv, job)
    fit_score, fit_ev, kinds = _fit(cv)
    return CvAssessment(
        scores={
            "technical_skills": tech,
            "experience_level": exp_score,
            "relevant_achievements": ach_score,
            "cultural_fit": fit_score,
        },
        evidence={
            "technical_skills": tech_ev,
            "experience_level": exp_ev,
            "relevant_achievements": ach_ev,
            "cultural_fit": fit_ev,
        },
        found_skills=tuple(found),
        missing_skills=tuple(missing),
        experience=exp,
        achievements=tuple(items),
        collaboration=tuple(kinds),
        flags=tuple(flags),
    )


# Measures by meaning that the quality report can leave out one at a time, to print what each adds.
MEANING_MEASURES: Final = ("best_role", "best_matches")


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def with_meaning(
    cv: CvAssessment,
    semantic: SemanticEvidence | None,
    meaning: RoleContext,
    *,
    leave_out: frozenset[str] = frozenset(),
) -> CvAssessment:
    """technical_skills blended with what the embeddings found (SemanticEvidence.blend); experience and achievements
    each averaged with their measures by meaning (semantic_roles.py); the evidence shown beside each. `leave_out`
    names measures of MEANING_MEASURES to skip (the quality report's ablation)."""
    if semantic is None or semantic.band is None:
        return cv
    lexical = cv.scores["technical_skills"]
    note = f"by meaning: CV and job description at cosine {semantic.document_cosine:.2f} (band {semantic.band}/5)"
    if semantic.matches:
        best = semantic.matches[0]
        note += f"; closest: {shorten(best.requirement, 60)!r} ↔ {shorten(best.evidence, 60)!r}"
    technical = semantic.blend(lexical, skills_recognised=not meaning.job.uses_keywords)
    scores = {**cv.scores, "technical_skills": technical}
    evidence = {**cv.evidence, "technical_skills": (*cv.evidence["technical_skills"][:2], note)}
    roles = semantic.roles
    years = weighted_relevant_years(roles, meaning.cv_text, meaning.today) if roles else None
    achieved = achievement_band(roles) if roles else None
    if roles is not None and years is not None and achieved is not None:
        by_meaning = experience_band(years, meaning.job.required_years)
        best_role = None if "best_role" in leave_out else best_role_band(roles)
        strongest = None if "best_matches" in leave_out else match_band(roles)
        lexical_exp, lexical_ach = cv.scores["experience_level"], cv.scores["relevant_achievements"]
        # The roundings and the mixes were chosen on half A of the development set (decision records 0028, 0030).
        if best_role is None:
            scores["experience_level"] = (lexical_exp + by_meaning) // 2
        else:
            scores["experience_level"] = _half_up((lexical_exp + by_meaning + best_role) / 3)
        scores["relevant_achievements"] = _half_up((lexical_ach + achieved) / 2)
        if strongest is not None:
            scores["relevant_achievements"] = _half_up((scores["relevant_achievements"] + strongest) / 2)
        role_note = f"; closest role or project at band {best_role}/5" if best_role is not None else ""
        evidence["experience_level"] = (
            *cv.evidence["experience_level"][:2],
            f"by meaning: ~{years:.1f} years in roles or projects close to the job (band {by_meaning}/5){role_note}",
        )
        strongest_note = f"; its best-met requirements at band {strongest}/5" if strongest is not None else ""
        evidence["relevant_achievements"] = (
            *cv.evidence["relevant_achievements"][:2],
            f"by meaning: the job's requirements meet the CV's roles at cosine {roles.coverage:.2f} on average "
            f"(band {achieved}/5){strongest_note}",
        )
    return replace(cv, scores=scores, evidence=evidence)
