"""Real sample resumes and job postings (see /work/shared/corpus/SOURCES.md, srbhr/Resume-Matcher, Apache-2.0).

Each resume must match its own role's posting better than the deliberately unrelated English-teacher posting.
Skipped when the corpus is not present on the machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cveval_job.scoring.model import ScoringInput, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts

CORPUS = Path("/work/shared/corpus")
OWN_ROLE = {
    "rm_alfred_pennyworth_pm.pdf": "rm_jd_product_manager.pdf",
    "rm_barry_allen_front_end.pdf": "rm_jd_front_end_engineer.pdf",
    "rm_bruce_wayne_fullstack.pdf": "rm_jd_full_stack_engineer.pdf",
    "rm_harvey_dent_mle.pdf": "rm_jd_data_scientist.docx",
    "rm_john_doe_java_fullstack.pdf": "rm_jd_java_developer.pdf",
}
UNRELATED = "rm_jd_primary_english_teacher.docx"
PROJECT = "A short project report: an upload endpoint, a job queue and an LLM chain with retries and a README."


def _read(path: Path) -> str:
    if path.suffix == ".pdf":
        pypdf = pytest.importorskip("pypdf")
        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
    docx = pytest.importorskip("docx")
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


@pytest.fixture(scope="module")
def vacancies() -> dict[str, Vacancy]:
    jd_dir = CORPUS / "job_descriptions"
    if not (CORPUS / "resumes").is_dir() or not jd_dir.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    brief = default_vacancy().study_case_brief
    return {p.name: vacancy_from_texts(_read(p), brief) for p in sorted(jd_dir.iterdir())}


@pytest.mark.parametrize("resume", sorted(OWN_ROLE))
def test_resume_matches_its_own_role_better_than_the_unrelated_one(resume: str, vacancies: dict[str, Vacancy]) -> None:
    path = CORPUS / "resumes" / resume
    if not path.exists():
        pytest.skip(f"{path} not present")
    scorer = OfflineScorer(date(2026, 11, 15))
    cv = _read(path)
    rates = {name: scorer.score_sync(ScoringInput(cv, PROJECT, v)).cv_match_rate for name, v in vacancies.items()}
    own = rates[OWN_ROLE[resume]]
    assert own > rates[UNRELATED], rates
    # Stronger than the brief asks, and true for these files: the own role is the best match of all postings.
    assert own == max(rates.values()), rates
    assert rates[UNRELATED] == min(rates.values()), rates
