"""End to end through Envoy: a batch of candidates against one vacancy, its progress and watch, the ranking, the
jobs filtered by vacancy and batch, readable candidates on results, and the exports."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.test_rest_api import assert_error
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_pdf, make_txt

pytestmark = pytest.mark.e2e

NAMES = ("Ada Quist", "Bo Rennard", "Cleo Marsh")


def _vacancy(http: httpx.Client) -> str:
    body = {
        "title": f"Batch backend engineer {uuid.uuid4().hex[:8]}",
        "job_description": "Backend engineer: Python, PostgreSQL, gRPC, message queues, LLM integration, RAG.",
        "study_case_brief": "Build a service that evaluates a CV and a project report with an LLM and RAG.",
    }
    response = http.post("/v1/vacancies", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["vacancy"]["id"])


def _candidates(http: httpx.Client) -> list[dict[str, str]]:
    out = []
    body = SAMPLE_CV.split("\n", 1)[1]  # the sample's own name line replaced by each candidate's
    for index, name in enumerate(NAMES):
        # Fewer skills lines for later candidates, so the three score differently.
        cv = f"{name}\n" + "\n".join(body.splitlines()[: 60 - 20 * index]) + f"\n{uuid.uuid4()}"
        form = {
            "cv": (f"cv_{index}.pdf", make_pdf(cv), "application/pdf"),
            "project": (f"report_{index}.txt", make_txt(SAMPLE_PROJECT_REPORT + str(uuid.uuid4())), "text/plain"),
        }
        response = http.post("/v1/upload", files=form)
        assert response.status_code == 200, response.text
        out.append(response.json())
    return out


def _watch(http: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    with http.stream("GET", f"/v1/batches/{batch_id}/watch", timeout=180) as response:
        assert response.status_code == 200
        updates = json.loads(response.read().decode())
    return [u["batch"] for u in updates]


def test_batch_progress_ranking_and_exports(http: httpx.Client) -> None:
    vacancy_id = _vacancy(http)
    candidates = _candidates(http)
    key = {"Idempotency-Key": f"batch-{uuid.uuid4()}"}
    request = {"vacancy_id": vacancy_id, "candidates": candidates}
    created = http.post("/v1/batches", json=request, headers=key)
    assert created.status_code == 200, created.text
    batch = created.json()["batch"]
    job_ids = [j["id"] for j in created.json()["jobs"]]
    assert len(set(job_ids)) == 3 and batch["progress"]["total"] == 3 and batch["vacancy_id"] == vacancy_id

    replay = http.post("/v1/batches", json=request, headers=key).json()
    assert replay["batch"]["id"] == batch["id"] and [j["id"] for j in replay["jobs"]] == job_ids
    assert_error(http.post("/v1/batches", json={**request, "candidates": candidates[:2]}, headers=key), 409)

    updates = _watch(http, batch["id"])
    assert updates[-1]["done"] and updates[-1]["progress"]["completed"] == 3, updates
    assert http.get(f"/v1/batches/{batch['id']}").json()["batch"]["progress"]["completed"] == 3

    by_batch = http.get("/v1/jobs", params={"batch_id": batch["id"]}).json()["jobs"]
    assert sorted(j["id"] for j in by_batch) == sorted(job_ids)
    assert {j["batch_id"] for j in by_batch} == {batch["id"]}
    by_vacancy = http.get("/v1/jobs", params={"vacancy_id": vacancy_id}).json()["jobs"]
    assert sorted(j["id"] for j in by_vacancy) == sorted(job_ids)

    result = http.get(f"/v1/result/{job_ids[0]}").json()["result"]
    assert result["candidate"] == {"display_name": "Ada Quist", "cv_filename": "cv_0.pdf",
                                   "project_filename": "report_0.txt"}

    _check_ranking(http, vacancy_id)
    _check_exports(http, vacancy_id)


def _check_ranking(http: httpx.Client, vacancy_id: str) -> None:
    first = http.get(f"/v1/vacancies/{vacancy_id}/ranking", params={"page_size": 2}).json()
    second = http.get(
        f"/v1/vacancies/{vacancy_id}/ranking", params={"page_size": 2, "page_token": first["next_page_token"]}
    ).json()
    ranked = first["candidates"] + second["candidates"]
    assert [r["rank"] for r in ranked] == [1, 2, 3] and second["next_page_token"] == ""
    overall = [r["overall_score"] for r in ranked]
    assert overall == sorted(overall, reverse=True)
    assert {r["candidate"]["display_name"] for r in ranked} == set(NAMES)
    by_cv = http.get(f"/v1/vacancies/{vacancy_id}/ranking", params={"order_by": "cv_match_rate"}).json()
    rates = [r["cv_match_rate"] for r in by_cv["candidates"]]
    assert rates == sorted(rates, reverse=True) and len(rates) == 3
    assert_error(http.get(f"/v1/vacancies/{vacancy_id}/ranking", params={"order_by": "luck"}), 400, "order_by")
    assert_error(http.get(f"/v1/vacancies/{vacancy_id}/ranking", params={"status": "failed"}), 400, "/v1/jobs")


def _check_exports(http: httpx.Client, vacancy_id: str) -> None:
    exported = http.get(f"/v1/vacancies/{vacancy_id}/ranking:export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["rank"] for r in rows] == ["1", "2", "3"] and {r["display_name"] for r in rows} == set(NAMES)
    as_json = http.get(f"/v1/vacancies/{vacancy_id}/ranking:export", params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/json")
    assert [r["rank"] for r in as_json.json()["ranking"]] == [1, 2, 3]


def test_batch_errors(http: httpx.Client) -> None:
    assert_error(http.post("/v1/batches", json={"vacancy_id": "", "candidates": []}), 400, "vacancy_id")
    missing = {"vacancy_id": "default-backend-ai-engineer", "candidates": [{"cv_id": str(uuid.uuid4()),
                                                                           "project_id": str(uuid.uuid4())}]}
    assert_error(http.post("/v1/batches", json=missing), 404, "no such document")
    assert_error(http.get(f"/v1/batches/{uuid.uuid4()}"), 404, "not found")
