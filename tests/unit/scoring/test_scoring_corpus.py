"""Real sample resumes and job postings (../shared/corpus, from srbhr/Resume-Matcher, Apache-2.0; see its SOURCES.md).

The targets of the scoring issue, pinned: each resume ranks its own role's posting strictly first and the unrelated
English-teacher posting strictly last, and the same CV as PDF, DOCX or TXT scores within 0.02. The resume → posting
map is the quality harness's (tools/quality/data/roles.yaml). Skipped when the corpus is not on the machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from cveval_job.scoring.model import ScoringInput, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts
from cveval_upload.domain.document import prepare_document
from tests.fixtures.documents import corpus_dir, make_docx, make_pdf, make_txt

TODAY = date(2026, 11, 15)
ROLES = yaml.safe_load((Path(__file__).parents[3] / "tools" / "quality" / "data" / "roles.yaml").read_text())
PROJECT = "A short project report: an upload endpoint, a job queue and an LLM chain with retries and a README."


def _text(data: bytes) -> str:
    return prepare_document(data, max_bytes=20 * 1024 * 1024).text


def _texts(folder: Path, prefix: str) -> dict[str, str]:
    return {p.stem.removeprefix(prefix): _text(p.read_bytes()) for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[str, str], dict[str, Vacancy]]:
    root = corpus_dir()
    if root is None or not (root / "resumes").is_dir():
        pytest.skip("corpus not present (../shared/corpus or $CVEVAL_CORPUS_DIR)")
    brief = default_vacancy().study_case_brief
    jobs = {name: vacancy_from_texts(text, brief) for name, text in _texts(root / "job_descriptions", "rm_jd_").items()}
    return _texts(root / "resumes", "rm_"), jobs


def _rate(cv: str, vacancy: Vacancy) -> float:
    return OfflineScorer(TODAY).score_sync(ScoringInput(cv, PROJECT, vacancy)).cv_match_rate


@pytest.mark.parametrize("resume", sorted(ROLES["own_role"]))
def test_own_role_ranks_first_and_the_unrelated_posting_last(
    resume: str, corpus: tuple[dict[str, str], dict[str, Vacancy]]
) -> None:
    resumes, jobs = corpus
    if resume not in resumes:
        pytest.skip(f"{resume} not in the corpus")
    rates = {name: _rate(resumes[resume], vacancy) for name, vacancy in jobs.items()}
    own, unrelated = rates[ROLES["own_role"][resume]], rates[ROLES["unrelated"]]
    assert all(own > r for name, r in rates.items() if name != ROLES["own_role"][resume]), rates
    assert all(unrelated < r for name, r in rates.items() if name != ROLES["unrelated"]), rates


@pytest.mark.parametrize("resume", sorted(ROLES["own_role"]))
def test_the_same_cv_in_another_format_scores_the_same(
    resume: str, corpus: tuple[dict[str, str], dict[str, Vacancy]]
) -> None:
    resumes, jobs = corpus
    if resume not in resumes:
        pytest.skip(f"{resume} not in the corpus")
    text, vacancy = resumes[resume], jobs[ROLES["own_role"][resume]]
    rates = [_rate(_text(make(text)), vacancy) for make in (make_pdf, make_docx, make_txt)]
    assert max(rates) - min(rates) <= 0.02, rates
