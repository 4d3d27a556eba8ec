"""Vacancies through Envoy over HTTP: create / get / list on /v1/vacancies and evaluations that name a vacancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.test_rest_api import assert_error, follow, uploaded_ids

pytestmark = pytest.mark.e2e

JD = "Backend Engineer. Python, PostgreSQL, gRPC and Kubernetes; four years building APIs and data pipelines."
BRIEF = "Build a CV evaluator with prompt chaining, retrieval over reference documents, retries and documentation."


def parameter(key: str, label: str, weight: float) -> dict[str, Any]:
    guide = [{"score": s, "description": f"{label}: level {s}"} for s in range(1, 6)]
    return {"key": key, "label": label, "weight": weight, "guide": guide}


def body(title: str, brief: str = BRIEF, weights: tuple[float, float] = (0.7, 0.3)) -> dict[str, Any]:
    return {
        "title": title,
        "job_description": JD,
        "study_case_brief": brief,
        "cv_rubric": {
            "version": "e2e-1",
            "parameters": [
                parameter("technical_skills", "Technical skills", weights[0]),
                parameter("experience_level", "Experience level", weights[1]),
            ],
        },
    }


def create(http: httpx.Client, payload: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/v1/vacancies", json=payload)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_create_get_and_replay(http: httpx.Client) -> None:
    title = f"Backend Engineer {uuid.uuid4().hex[:6]}"
    created = create(http, body(title))
    vacancy = created["vacancy"]
    assert created["created"] is True
    assert vacancy["id"].startswith("vac-") and len(vacancy["version"]) == 16
    assert vacancy["title"] == title and vacancy["created_at"].endswith("Z")
    cv = vacancy["cv_rubric"]
    assert (cv["stage"], cv["version"]) == ("cv", "e2e-1")
    assert cv["parameters"][0]["guide"][0] == {"score": 1, "description": "Technical skills: level 1"}
    assert vacancy["project_rubric"]["stage"] == "project" and len(vacancy["project_rubric"]["parameters"]) == 5
    replay = create(http, body(title))
    assert replay["created"] is False and replay["vacancy"] == vacancy
    got = http.get(f"/v1/vacancies/{vacancy['id']}")
    assert got.status_code == 200, got.text
    assert got.json()["vacancy"] == vacancy


def test_list_pages_and_filters(http: httpx.Client) -> None:
    title = f"Paged Engineer {uuid.uuid4().hex[:6]}"
    ids = [create(http, body(title, brief=f"{BRIEF} Variant {i}."))["vacancy"]["id"] for i in range(3)]
    seen: list[str] = []
    params: dict[str, Any] = {"title": title.lower(), "page_size": 2}
    while True:
        page = http.get("/v1/vacancies", params=params)
        assert page.status_code == 200, page.text
        data = page.json()
        assert len(data["vacancies"]) <= 2
        seen += [v["id"] for v in data["vacancies"]]
        if not data["next_page_token"]:
            break
        params["page_token"] = data["next_page_token"]
    assert seen == ids[::-1]  # every version of the title, newest first
    full = http.get("/v1/vacancies", params={"title": title, "view": "VACANCY_VIEW_FULL", "page_size": 1}).json()
    assert full["vacancies"][0]["job_description"] == JD
    assert full["vacancies"][0]["cv_rubric"]["parameters"]
    basic = http.get("/v1/vacancies", params={"title": title, "page_size": 1}).json()
    assert basic["vacancies"][0]["job_description"] == "" and basic["vacancies"][0]["cv_rubric"]["parameters"] == []
    assert_error(http.get("/v1/vacancies", params={"page_token": "garbage"}), 400, "page_token")


def test_invalid_and_unknown(http: httpx.Client) -> None:
    assert_error(http.post("/v1/vacancies", json=body("Bad", weights=(0.5, 0.4))), 400, "weights must sum to 1")
    assert_error(http.post("/v1/vacancies", json={**body("x"), "title": " "}), 400, "title")
    missing = body("Missing level")
    missing["cv_rubric"]["parameters"][0]["guide"] = missing["cv_rubric"]["parameters"][0]["guide"][:4]
    assert_error(http.post("/v1/vacancies", json=missing), 400, "cv_rubric.parameters[0].guide", "lacks levels 5")
    assert_error(http.get("/v1/vacancies/vac-does-not-exist"), 404, "not found")


def test_evaluate_with_vacancy_id_and_job_title(http: httpx.Client) -> None:
    title = f"Evaluated Engineer {uuid.uuid4().hex[:6]}"
    older = create(http, body(title))["vacancy"]
    newer = create(http, body(title, weights=(0.6, 0.4)))["vacancy"]
    cv_id, project_id = uploaded_ids(http, f" vacancy {title}")
    by_id = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id, "vacancy_id": older["id"]})
    by_title = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id, "job_title": title.upper()})
    assert by_id.status_code == by_title.status_code == 200, by_id.text + by_title.text
    for response, vacancy in ((by_id, older), (by_title, newer)):
        job_id = response.json()["id"]
        assert follow(http, job_id)["status"] == "completed"
        result = http.get(f"/v1/result/{job_id}").json()["result"]
        assert result["provenance"]["vacancy_id"] == vacancy["id"]
        weights = {b["parameter"]: b["weight"] for b in result["breakdown"] if b["stage"] == "cv"}
        expected = {p["key"]: p["weight"] for p in vacancy["cv_rubric"]["parameters"]}
        assert weights == expected
    unknown = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id, "vacancy_id": "vac-nope"})
    assert_error(unknown, 404, "vacancy")
