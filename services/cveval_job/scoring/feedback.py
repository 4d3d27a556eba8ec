"""Feedback sentences written from the offline evidence, and the recommendation thresholds shared by scorers."""

from __future__ import annotations

from typing import Final

from cveval_job.scoring.cv_scoring import CvAssessment
from cveval_job.scoring.project_scoring import ProjectAssessment
from cveval_job.scoring.scales import names

__all__ = ["cv_feedback", "overall_summary", "project_feedback", "recommendation"]

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


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _cv_strengths(a: CvAssessment) -> list[str]:
    s, out = a.scores, []
    if s["technical_skills"] >= 4:
        skills = f" ({names(list(a.found_skills), 5)})" if a.found_skills else ""
        out.append(f"a strong skills match{skills}")
    elif s["technical_skills"] == 3 and a.found_skills:
        out.append(f"part of the required skills ({names(list(a.found_skills), 4)})")
    if s["experience_level"] >= 4:
        out.append(f"about {a.experience.relevant_years:g} years of relevant experience")
    if s["relevant_achievements"] >= 4:
        out.append("measured achievements")
    if s["cultural_fit"] >= 4:
        out.append("clear evidence of collaboration and leadership")
    if not out and s["experience_level"] == 3:
        out.append(f"some relevant experience (about {a.experience.relevant_years:g} years)")
    return out


def _cv_gaps(a: CvAssessment) -> list[str]:
    s, out = a.scores, []
    if a.missing_skills and s["technical_skills"] <= 4:
        out.append(f"missing {names(list(a.missing_skills), 5)}")
    elif s["technical_skills"] <= 2:
        out.append("little overlap with the job's requirements")
    if s["experience_level"] <= 3:
        out.append("less relevant experience than the job asks for")
    if s["relevant_achievements"] <= 2:
        out.append("few measured achievements")
    if s["cultural_fit"] <= 2:
        out.append("little evidence of teamwork")
    return out


def cv_feedback(a: CvAssessment, cv_match_rate: float) -> str:
    strengths, gaps = _cv_strengths(a), _cv_gaps(a)
    sentences = [f"CV match {cv_match_rate:.2f}: " + (f"shows {_join(strengths)}." if strengths else "no clear "
                 "strengths against this job.")]
    if gaps:
        sentences.append(f"Gaps: {_join(gaps)}.")
    return " ".join(sentences)


def _project_strengths(p: ProjectAssessment) -> list[str]:
    s, out = p.scores, []
    total = len(p.coverage.met) + len(p.coverage.missing)
    if s["correctness"] >= 4:
        out.append(f"covers {len(p.coverage.met)} of {total} brief requirements")
    for key, label in (("code_quality", "quality practices"), ("resilience", "resilience"),
                       ("documentation", "documentation")):
        if s[key] >= 4:
            out.append(f"{label} ({names(list(p.practices[key]), 3)})")
    if s["creativity"] >= 4:
        out.append(f"extras beyond the brief ({names(list(p.bonus), 3)})")
    if not out and s["correctness"] == 3:
        out.append(f"partly covers the brief ({len(p.coverage.met)} of {total} requirements)")
    return out


def _project_gaps(p: ProjectAssessment) -> list[str]:
    s, out = p.scores, []
    if s["correctness"] <= 3:
        out.append(f"{len(p.coverage.missing)} brief requirements not covered")
    for key, label in (("code_quality", "code quality"), ("resilience", "resilience"),
                       ("documentation", "documentation")):
        if s[key] <= 2:
            out.append(f"thin {label} (no {names(list(p.missing_practices[key]), 2)})")
    return out


def project_feedback(p: ProjectAssessment, project_score: float) -> str:
    strengths, gaps = _project_strengths(p), _project_gaps(p)
    sentences = [f"Project score {project_score:.2f}/5: " + (f"{_join(strengths)}." if strengths else
                 "no clear strengths against the brief.")]
    if gaps:
        sentences.append(f"Gaps: {_join(gaps)}.")
    return " ".join(sentences)


def overall_summary(cv: CvAssessment, project: ProjectAssessment, cv_match_rate: float, project_score: float,
                    title: str) -> str:
    verdict = recommendation(cv_match_rate, project_score)
    strengths = _cv_strengths(cv)[:2] + _project_strengths(project)[:2]
    gaps = _cv_gaps(cv)[:2] + _project_gaps(project)[:2]
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
