"""Feedback sentences written from the offline evidence, and the recommendation thresholds shared by scorers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.cv_scoring import CvAssessment
from cveval_job.scoring.project_scoring import ProjectAssessment
from cveval_job.scoring.scales import names

__all__ = ["RubricView", "cv_feedback", "overall_summary", "project_feedback", "recommendation"]

RECOMMEND_CV: Final = 0.70
RECOMMEND_PROJECT: Final = 3.5
REJECT_CV: Final = 0.50
REJECT_PROJECT: Final = 2.5


def recommendation(cv_match_rate: float, project_score: float) -> str:
    """"recommend", "consider" or "not recommend", from fixed thresholds on both results."""
    if cv_match_rate >= RECOMMEND_CV and project_score >= RECOMMEND_PROJECT:
        return "recommend"
    if cv_match_rate < REJECT_CV or project_score < REJECT_PROJECT:
        return "not recommend"
    return "consider"


@dataclass(frozen=True)
class RubricView:
    """What a vacancy's rubric scored: the built-in measures it uses and its other parameters as (label, score).

    Feedback speaks of these only: a team that scores "leadership" and "education" must not read about a skills
    match their rubric never weighed. None (the callers' default) is every built-in measure and nothing else.
    """

    built_in: frozenset[str]
    custom: tuple[tuple[str, int], ...] = ()


def _uses(view: RubricView | None, key: str) -> bool:
    return view is None or key in view.built_in


def _custom(view: RubricView | None, strong: bool) -> list[str]:
    """One clause for the rubric's own parameters that stand out: "strong leadership and communication"."""
    custom = view.custom if view else ()
    labels = [label.lower() for label, score in custom if (score >= 4 if strong else score <= 2)]
    if not labels:
        return []
    return [f"strong {_join(labels)}" if strong else f"little evidence of {_join(labels)}"]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _cv_strengths(a: CvAssessment, view: RubricView | None = None) -> list[str]:
    s, out = {k: v for k, v in a.scores.items() if _uses(view, k)}, []
    if s.get("technical_skills", 0) >= 4:
        skills = f" ({names(list(a.found_skills), 5)})" if a.found_skills else ""
        out.append(f"a strong skills match{skills}")
    elif s.get("technical_skills") == 3 and a.found_skills:
        out.append(f"part of the required skills ({names(list(a.found_skills), 4)})")
    if s.get("experience_level", 0) >= 4:
        out.append(f"about {a.experience.relevant_years:g} years of relevant experience")
    if s.get("relevant_achievements", 0) >= 4:
        out.append("measured achievements")
    if s.get("cultural_fit", 0) >= 4:
        out.append("clear evidence of collaboration and leadership")
    out += _custom(view, strong=True)
    if not out and s.get("experience_level") == 3:
        out.append(f"some relevant experience (about {a.experience.relevant_years:g} years)")
    return out


def _cv_gaps(a: CvAssessment, view: RubricView | None = None) -> list[str]:
    s, out = {k: v for k, v in a.scores.items() if _uses(view, k)}, []
    if a.missing_skills and s.get("technical_skills", 5) <= 4:
        out.append(f"missing {names(list(a.missing_skills), 5)}")
    elif s.get("technical_skills", 5) <= 2:
        out.append("little overlap with the job's requirements")
    if s.get("experience_level", 5) <= 3:
        out.append("less relevant experience than the job asks for")
    if s.get("relevant_achievements", 5) <= 2:
        out.append("few measured achievements")
    if s.get("cultural_fit", 5) <= 2:
        out.append("little evidence of teamwork")
    out += _custom(view, strong=False)
    return out


def cv_feedback(a: CvAssessment, cv_match_rate: float, view: RubricView | None = None) -> str:
    strengths, gaps = _cv_strengths(a, view), _cv_gaps(a, view)
    sentences = [f"CV match {cv_match_rate:.2f}: " + (f"shows {_join(strengths)}." if strengths else "no clear "
                 "strengths against this job.")]
    if gaps:
        sentences.append(f"Gaps: {_join(gaps)}.")
    return " ".join(sentences)


def _project_strengths(p: ProjectAssessment, view: RubricView | None = None) -> list[str]:
    s, out = {k: v for k, v in p.scores.items() if _uses(view, k)}, []
    total = len(p.coverage.met) + len(p.coverage.missing)
    if s.get("correctness", 0) >= 4:
        out.append(f"covers {len(p.coverage.met)} of {total} brief requirements")
    for key, label in (("code_quality", "quality practices"), ("resilience", "resilience"),
                       ("documentation", "documentation")):
        if s.get(key, 0) >= 4:
            out.append(f"{label} ({names(list(p.practices[key]), 3)})")
    if s.get("creativity", 0) >= 4:
        out.append(f"extras beyond the brief ({names(list(p.bonus), 3)})")
    out += _custom(view, strong=True)
    if not out and s.get("correctness") == 3:
        out.append(f"partly covers the brief ({len(p.coverage.met)} of {total} requirements)")
    return out


def _project_gaps(p: ProjectAssessment, view: RubricView | None = None) -> list[str]:
    s, out = {k: v for k, v in p.scores.items() if _uses(view, k)}, []
    if s.get("correctness", 5) <= 3:
        out.append(f"{len(p.coverage.missing)} brief requirements not covered")
    for key, label in (("code_quality", "code quality"), ("resilience", "resilience"),
                       ("documentation", "documentation")):
        if s.get(key, 5) <= 2:
            out.append(f"thin {label} (no {names(list(p.missing_practices[key]), 2)})")
    out += _custom(view, strong=False)
    return out


def project_feedback(p: ProjectAssessment, project_score: float, view: RubricView | None = None) -> str:
    strengths, gaps = _project_strengths(p, view), _project_gaps(p, view)
    sentences = [f"Project score {project_score:.2f}/5: " + (f"{_join(strengths)}." if strengths else
                 "no clear strengths against the brief.")]
    if gaps:
        sentences.append(f"Gaps: {_join(gaps)}.")
    return " ".join(sentences)


def overall_summary(cv: CvAssessment, project: ProjectAssessment, cv_match_rate: float, project_score: float,
                    title: str, views: tuple[RubricView | None, RubricView | None] = (None, None)) -> str:
    verdict = recommendation(cv_match_rate, project_score)
    cv_view, project_view = views
    strengths = _cv_strengths(cv, cv_view)[:2] + _project_strengths(project, project_view)[:2]
    gaps = _cv_gaps(cv, cv_view)[:2] + _project_gaps(project, project_view)[:2]
    sentences = [
        f"For the {title} vacancy the CV matches at {cv_match_rate:.2f} and the project report scores "
        f"{project_score:.2f} out of 5.",
        f"Strengths: {_join(strengths)}." if strengths else "No strength stands out in either document.",
        f"Gaps: {_join(gaps)}." if gaps else "No significant gaps were found.",
    ]
    closing = {
        "recommend": "Recommendation: recommend for the next interview stage.",
        "consider": "Recommendation: consider, and probe the gaps above in an interview.",
        "not recommend": "Recommendation: not recommended for this vacancy at this stage.",
    }
    sentences.append(closing[verdict])
    return " ".join(sentences)
