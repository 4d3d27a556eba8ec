"""The offline scorer beyond software: postings and CVs of other roles and in another language rank sensibly.

The texts are written for this test (not from the corpus): each CV must match its own posting best.
"""

from __future__ import annotations

from datetime import date

import pytest

from cveval_job.scoring.model import ScoringInput
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts

TODAY = date(2026, 11, 15)
REPORT = "A short report: an upload endpoint, a job queue with retries, an LLM chain and a README."

JOBS = {
    "nurse": """Registered Nurse - Surgical Ward
We are hiring a registered nurse with 3+ years of acute care experience.
Responsibilities
- Deliver patient care and patient education; monitor vital signs and administer medication.
- Document care plans in the electronic health record (Epic).
- Work with physicians, pharmacists and families as part of a multidisciplinary team.
Requirements
- Active RN licence; BLS and ACLS certification.
- Experience with wound care, IV therapy and infection control.
- Clear communication and attention to detail.""",
    "accountant": """Staff Accountant
We need an accountant with 2+ years of experience in general ledger accounting.
Responsibilities
- Month-end close, bank reconciliations and financial reporting.
- Budgeting and forecasting with the finance team; prepare P&L analysis.
- Maintain records in QuickBooks and SAP; build reports in Excel (pivot tables, VLOOKUP).
Requirements
- Degree in accounting or finance; CPA preferred.
- Strong Excel and attention to detail.""",
    "designer": """Graphic Designer
Join our marketing team as a graphic designer (2+ years).
- Create visual designs for campaigns, social media and print; own typography and layout.
- Work in Adobe Creative Suite (Photoshop, Illustrator, InDesign) and Figma.
- Produce short video edits and motion graphics for social media marketing.
- Collaborate with copywriters and the brand team; present concepts to stakeholders.""",
    "backend_es": """Desarrollador Backend (Python)
Buscamos un desarrollador backend con 3 años de experiencia.
Requisitos
- Python y Django o FastAPI; diseño de APIs REST.
- Bases de datos PostgreSQL y Redis; Docker y Kubernetes.
- Trabajo en equipo y comunicación con el equipo de producto.""",
}

CVS = {
    "nurse": """Maria Lopez, RN
Experience
Registered Nurse, City General Hospital, Surgical Ward, Jan 2019 - Present
- Provided patient care for 6-8 post-operative patients per shift; monitored vital signs and administered
  medication; reduced medication errors on the ward by 30% with a double-check routine.
- Wound care, IV therapy and infection control; documented care plans in Epic EHR.
- Trained 5 new nurses and worked closely with physicians and pharmacists.
Certifications: BLS, ACLS""",
    "accountant": """David Chen
Staff Accountant, Northwind Retail, Mar 2021 - Present
- Ran month-end close and bank reconciliations for 3 entities; cut the close from 8 to 5 days.
- Built budgeting and forecasting models in Excel (pivot tables, VLOOKUP); prepared P&L analysis for managers.
- Maintained the general ledger in QuickBooks; supported the SAP migration with the finance team.
Education: BSc Accounting and Finance, 2020""",
    "designer": """Lena Fischer - Graphic Designer
Experience
Graphic Designer, Brightside Agency, 2020 - Present
- Designed campaigns for 20+ clients in Photoshop, Illustrator and InDesign; typography and layout for print.
- Edited short videos and motion graphics for social media; engagement rose 45%.
- Presented concepts to clients and collaborated with copywriters; prototyped in Figma.""",
    "backend_es": """Carlos Pérez - Desarrollador Backend
Experiencia
Desarrollador Backend, Acme Pagos, 2020 - presente
- APIs REST con Python, Django y FastAPI sobre PostgreSQL y Redis; desplegadas con Docker y Kubernetes.
- Reduje la latencia de la API un 40% con caché en Redis.
- Trabajo en equipo con producto y diseño; mentor de dos desarrolladores junior.""",
}


@pytest.fixture(scope="module")
def rates() -> dict[tuple[str, str], float]:
    brief = default_vacancy().study_case_brief
    vacancies = {name: vacancy_from_texts(text, brief) for name, text in JOBS.items()}
    scorer = OfflineScorer(TODAY)
    return {
        (cv, job): scorer.score_sync(ScoringInput(text, REPORT, vacancy)).cv_match_rate
        for cv, text in CVS.items()
        for job, vacancy in vacancies.items()
    }


@pytest.mark.parametrize("cv", sorted(CVS))
def test_each_cv_matches_its_own_role_best(cv: str, rates: dict[tuple[str, str], float]) -> None:
    own = rates[(cv, cv)]
    others = {job: r for (c, job), r in rates.items() if c == cv and job != cv}
    assert all(own > r for r in others.values()), (own, others)
    assert own >= 0.6, own


@pytest.mark.parametrize("job", sorted(JOBS))
def test_each_posting_prefers_its_own_candidate(job: str, rates: dict[tuple[str, str], float]) -> None:
    own = rates[(job, job)]
    assert all(own > r for (c, j), r in rates.items() if j == job and c != job)
