"""End to end through Envoy: a vacancy created from uploaded PDF/DOCX documents, and candidates evaluated without a
project report (the CV alone: no project score invented, ranked on the CV match rate)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.e2e.test_rest_api import assert_error
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_docx, make_pdf, make_txt

pytestmark = pytest.mark.e2e

JOB_DESCRIPTION = "Backend engineer: Python, PostgreSQL, gRPC, message queues, LLM integration and RAG pipelines."
BRIEF = "Build a service that scores a CV and a project report against a vacancy with an LLM and retrieval."


def _vacancy_documents(http: httpx.Client) -> dict[str, str]:
    salt = uuid.uuid4().hex
    files = {
        "job_description": ("jd.docx", make_docx(f"{JOB_DESCRIPTION}\nRef {salt}"), "application/octet-stream"),
        "case_study_brief": ("brief.pdf", make_pdf(f"{BRIEF}\nRef {salt}"), "application/pdf"),
    }
    response = http.post("/v1/upload", files=files)
    assert response.status_code == 200, response.text
    assert response.json()["cv_id"] == "" and response.json()["project_id"] == "", response.text
    ids: dict[str, str] = response.json()["vacancy_documents"]
    assert ids["job_description_id"] and ids["case_study_brief_id"]
    return ids


def test_a_vacancy_from_uploaded_documents(http: httpx.Client) -> None:
    ids = _vacancy_documents(http)
    body = {
        "title": f"From files {uuid.uuid4().hex[:6]}",
        "job_description_document_id": ids["job_description_id"],
        "study_case_brief_document_id": ids["case_study_brief_id"],
    }
    response = http.post("/v1/vacancies", json=body)
    assert response.status_code == 200, response.text
    vacancy = response.json()["vacancy"]
    assert vacancy["job_description"].startswith(JOB_DESCRIPTION)
    assert "scores a CV and a project report" in vacancy["study_case_brief"]
    # Mixing up the documents, or giving a text twice, is a readable 400; an unknown id a 404.
    swapped = {**body, "job_description_document_id": ids["case_study_brief_id"]}
    assert_error(http.post("/v1/vacancies", json=swapped), 400, "case_study_brief document")
    both = {**body, "job_description": JOB_DESCRIPTION}
    assert_error(http.post("/v1/vacancies", json=both), 400, "not both")
    unknown = {**body, "job_description_document_id": str(uuid.uuid4())}
    assert_error(http.post("/v1/vacancies", json=unknown), 404, "no such document")


def test_a_candidate_without_a_project_report_is_scored_on_the_cv_alone(http: httpx.Client) -> None:
    vacancy = http.post("/v1/vacancies", json={"title": f"CV only {uuid.uuid4().hex[:6]}",
                                               "job_description": JOB_DESCRIPTION, "study_case_brief": BRIEF})
    vacancy_id = vacancy.json()["vacancy"]["id"]
    solo_cv = ("solo.pdf", make_pdf(SAMPLE_CV + uuid.uuid4().hex), "application/pdf")
    cv_only = http.post("/v1/upload", files={"cv": solo_cv})
    assert cv_only.status_code == 200 and cv_only.json()["project_id"] == "", cv_only.text
    full = http.post("/v1/upload", files={
        "cv": ("pair.pdf", make_pdf(SAMPLE_CV + uuid.uuid4().hex), "application/pdf"),
        "project": ("pair-report.txt", make_txt(SAMPLE_PROJECT_REPORT), "text/plain"),
    }).json()
    candidates = [{"cv_id": cv_only.json()["cv_id"]}, {"cv_id": full["cv_id"], "project_id": full["project_id"]}]
    batch = http.post("/v1/batches", json={"vacancy_id": vacancy_id, "candidates": candidates})
    assert batch.status_code == 200, batch.text
    with http.stream("GET", f"/v1/batches/{batch.json()['batch']['id']}/watch", timeout=240) as watched:
        updates = json.loads(watched.read().decode())
    assert updates[-1]["batch"]["progress"]["completed"] == 2, updates[-1]

    ranking = http.get(f"/v1/vacancies/{vacancy_id}/ranking").json()["candidates"]
    by_cv = {c["cv_id"]: c for c in ranking}
    solo = by_cv[candidates[0]["cv_id"]]
    assert solo["cv_only"] is True and solo["project_score"] == 0
    assert solo["overall_score"] == pytest.approx(solo["cv_match_rate"], abs=1e-6)
    assert by_cv[candidates[1]["cv_id"]]["cv_only"] is False
    result = http.get(f"/v1/result/{solo['job_id']}").json()["result"]
    assert result["cv_only"] is True and result["project_score"] == 0 and result["project_feedback"] == ""
    assert {p["stage"] for p in result["breakdown"]} == {"cv"}
    assert "no project report" in result["overall_summary"]
    # Ordered by project score, a candidate whose project was not evaluated comes last.
    by_project = http.get(f"/v1/vacancies/{vacancy_id}/ranking", params={"order_by": "project_score"}).json()
    assert by_project["candidates"][-1]["cv_id"] == candidates[0]["cv_id"]


def test_evaluate_without_a_project_id(http: httpx.Client) -> None:
    up = http.post("/v1/upload", files={"cv": ("one.txt", make_txt(SAMPLE_CV + uuid.uuid4().hex), "text/plain")})
    job = http.post("/v1/evaluate", json={"cv_id": up.json()["cv_id"]})
    assert job.status_code == 200 and job.json()["status"] == "queued", job.text
