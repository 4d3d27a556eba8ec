"""End to end through Envoy over HTTP: the REST contract of PRODUCT.md §4 against the whole running mesh."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.e2e.conftest import E2E_MAX_UPLOAD_BYTES
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, corpus_dir, make_pdf, make_png, make_txt

pytestmark = pytest.mark.e2e


def resume_pdf() -> tuple[str, bytes]:
    corpus = corpus_dir()
    if corpus is not None:
        resumes = sorted((corpus / "resumes").glob("*.pdf"))
        if resumes:
            return resumes[0].name, resumes[0].read_bytes()
    return "cv.pdf", make_pdf(SAMPLE_CV)


def upload(http: httpx.Client, cv: tuple[str, bytes, str], project: tuple[str, bytes, str]) -> httpx.Response:
    return http.post("/v1/upload", files={"cv": cv, "project": project})


def uploaded_ids(http: httpx.Client, salt: str) -> tuple[str, str]:
    response = upload(
        http,
        ("cv.pdf", make_pdf(SAMPLE_CV + salt), "application/pdf"),
        ("report.txt", make_txt(SAMPLE_PROJECT_REPORT + salt), "text/plain"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["cv_id"], body["project_id"]


def follow(http: httpx.Client, job_id: str) -> dict[str, object]:
    """Follow the server-streamed watch until the job ends (no polling loop with sleeps)."""
    with http.stream("GET", f"/v1/result/{job_id}/watch", timeout=90) as response:
        assert response.status_code == 200
        body = response.read().decode()
    updates = json.loads(body)
    assert updates, "the watch stream was empty"
    return dict(updates[-1])


def assert_error(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert "message" in body and "code" in body, body
    for word in words:
        assert word.lower() in body["message"].lower(), body
    assert "Traceback" not in response.text and "SELECT" not in response.text


def test_upload_evaluate_result(http: httpx.Client) -> None:
    name, pdf = resume_pdf()
    response = upload(
        http, (name, pdf, "application/pdf"), ("report.txt", make_txt(SAMPLE_PROJECT_REPORT), "text/plain")
    )
    assert response.status_code == 200, response.text
    ids = response.json()
    assert set(ids) == {"cv_id", "project_id"}
    queued = http.post("/v1/evaluate", json={"cv_id": ids["cv_id"], "project_id": ids["project_id"]})
    assert queued.status_code == 200, queued.text
    job = queued.json()
    assert job["status"] == "queued" and job["id"]
    # REST keeps the status string; the enum beside it is printed by name.
    assert job["state"] == "JOB_STATE_QUEUED"
    first = http.get(f"/v1/result/{job['id']}").json()
    assert first["status"] in {"queued", "processing", "completed"}
    final = follow(http, job["id"])
    assert final["status"] == "completed", final
    stored = http.get(f"/v1/result/{job['id']}").json()
    assert stored["status"] == "completed" and stored["state"] == "JOB_STATE_COMPLETED"
    result = stored["result"]
    assert 0.0 <= result["cv_match_rate"] <= 1.0
    assert 1.0 <= result["project_score"] <= 5.0
    for key in ("cv_feedback", "project_feedback", "overall_summary"):
        assert isinstance(result[key], str) and result[key].strip()
    assert len(result["breakdown"]) == 9
    assert all(1 <= item["score"] <= 5 and item["evidence"] for item in result["breakdown"])
    provenance = result["provenance"]
    assert provenance["scorer"] == "offline" and provenance["trace_id"]
    assert provenance["retrieved_chunk_ids"]


def test_list_jobs_filters_by_status(http: httpx.Client) -> None:
    cv_id, project_id = uploaded_ids(http, " list")
    job_id = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()["id"]
    follow(http, job_id)
    page = http.get("/v1/jobs", params={"status": "completed", "page_size": 50})
    assert page.status_code == 200, page.text
    jobs = page.json()["jobs"]
    assert jobs and all(j["status"] == "completed" and j["state"] == "JOB_STATE_COMPLETED" for j in jobs)
    assert job_id in {j["id"] for j in jobs}
    assert_error(http.get("/v1/jobs", params={"status": "nope"}), 400, "status")


def test_unsupported_type_is_415(http: httpx.Client) -> None:
    response = upload(
        http, ("cv.png", make_png(), "image/png"), ("r.txt", make_txt(SAMPLE_PROJECT_REPORT), "text/plain")
    )
    assert_error(response, 415, "not supported")


def test_pdf_named_txt_is_accepted_by_content(http: httpx.Client) -> None:
    response = upload(
        http, ("cv.txt", make_pdf(SAMPLE_CV + " named"), "text/plain"), ("r.txt", make_txt(SAMPLE_PROJECT_REPORT), "")
    )
    assert response.status_code == 200, response.text


def test_oversize_file_is_413(http: httpx.Client) -> None:
    big = make_txt(("experience with python and postgres " * 80_000)[: E2E_MAX_UPLOAD_BYTES + 1024])
    response = upload(http, ("cv.txt", big, "text/plain"), ("r.txt", make_txt(SAMPLE_PROJECT_REPORT), "text/plain"))
    assert_error(response, 413, "MiB")


def test_empty_text_is_400(http: httpx.Client) -> None:
    response = upload(
        http, ("cv.txt", b"   \n\t  ", "text/plain"), ("r.txt", make_txt(SAMPLE_PROJECT_REPORT), "text/plain")
    )
    assert response.status_code == 400, response.text


def test_missing_field_is_400(http: httpx.Client) -> None:
    """A project report alone belongs to no candidate: the CV is required (a CV alone is fine: CV-only screening)."""
    report = ("r.txt", make_txt(SAMPLE_PROJECT_REPORT), "text/plain")
    response = http.post("/v1/upload", files={"project": report})
    assert_error(response, 400, "cv")


def test_unknown_ids_are_404(http: httpx.Client) -> None:
    assert_error(http.get(f"/v1/result/{uuid.uuid4()}"), 404, "not found")
    assert_error(http.get("/v1/result/nonsense"), 404, "not found")
    _, project_id = uploaded_ids(http, " unknown")
    response = http.post("/v1/evaluate", json={"cv_id": str(uuid.uuid4()), "project_id": project_id})
    assert_error(response, 404, "cv_id")


def test_bad_json_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/evaluate", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text


def test_idempotency_key_replay_and_conflict(http: httpx.Client) -> None:
    cv_id, project_id = uploaded_ids(http, " idem")
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    body = {"cv_id": cv_id, "project_id": project_id}
    first = http.post("/v1/evaluate", json=body, headers=key)
    again = http.post("/v1/evaluate", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    conflict = http.post("/v1/evaluate", json={**body, "job_description": "Another role entirely"}, headers=key)
    assert_error(conflict, 409, "different request")
    follow(http, first.json()["id"])


def test_unknown_route_is_404(http: httpx.Client) -> None:
    assert_error(http.get("/v1/nothing-here"), 404)


def test_body_over_the_bridge_cap_is_413(http: httpx.Client) -> None:
    # Envoy refuses the request before any service buffers it (max_request_body_size in deploy/envoy/envoy.yaml).
    huge = b"a" * (26 * 1024 * 1024)
    response = http.post("/v1/upload", files={"cv": ("cv.txt", huge, "text/plain"), "project": ("r.txt", b"x", "")})
    assert response.status_code == 413
    # Envoy's own reply, in the services' error shape (local_reply_config).
    assert response.json()["code"] == 3 and response.headers["x-cveval-error-code"] == "PAYLOAD_TOO_LARGE"


def test_a_revalidated_result_is_a_304_without_a_body_on_a_connection_that_stays_usable(http: httpx.Client) -> None:
    cv_id, project_id = uploaded_ids(http, f" revalidated {uuid.uuid4()}")
    job = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()
    assert follow(http, job["id"])["status"] == "completed"
    first = http.get(f"/v1/result/{job['id']}")
    assert first.status_code == 200 and first.headers["cache-control"] == "private, max-age=60"
    again = http.get(f"/v1/result/{job['id']}", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # The same keep-alive connection again: bytes after a 304's headers would be read as the next status line.
    for _ in range(3):
        assert http.get(f"/v1/result/{job['id']}").json()["status"] == "completed"
