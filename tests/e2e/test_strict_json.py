"""Unknown or mistyped JSON fields are refused at the edge with 400 naming the field (decision 0009)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from cveval_devstack.stack import Stack
from tests.e2e.test_rest_api import assert_error, uploaded_ids

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ids(http: httpx.Client) -> tuple[str, str]:
    return uploaded_ids(http, " strict json")  # an upload (multipart) passes the body check untouched


def test_an_unknown_field_is_400_naming_it(http: httpx.Client, ids: tuple[str, str]) -> None:
    cv_id, project_id = ids
    response = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id, "bogus": 1})
    assert_error(response, 400, '"bogus"')
    assert response.json()["code"] == 3
    assert response.headers["x-cveval-error-code"] == "INVALID_ARGUMENT"


def test_a_mistyped_field_is_400_naming_it(http: httpx.Client, ids: tuple[str, str]) -> None:
    response = http.post("/v1/evaluate", json={"cv_id": 12, "project_id": ids[1]})
    assert_error(response, 400, "cv_id")


def test_a_valid_body_in_either_spelling_still_works(http: httpx.Client, ids: tuple[str, str]) -> None:
    cv_id, project_id = ids
    for body in ({"cv_id": cv_id, "project_id": project_id}, {"cvId": cv_id, "projectId": project_id}):
        response = http.post("/v1/evaluate", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["id"]


def test_every_json_binding_is_checked(http: httpx.Client) -> None:
    vacancy = {"title": "Backend", "job_descripton": "a typo"}
    assert_error(http.post("/v1/vacancies", json=vacancy), 400, '"job_descripton"')
    assert_error(http.put("/v1/admin/retention", json={"retention_days": 30, "forever": True}), 400, '"forever"')
    assert_error(http.post("/v1/api-keys", json={"name": "ci", "rol": "admin"}), 400, '"rol"')


def test_a_body_that_is_no_object_is_400(http: httpx.Client) -> None:
    assert_error(http.post("/v1/evaluate", json=[1, 2]), 400, "object")


def test_without_a_credential_the_answer_is_still_401(stack: Stack) -> None:
    response = httpx.post(f"{stack.rest_url}/v1/evaluate", json={"bogus": 1}, timeout=10)
    assert response.status_code == 401, response.text


def _body_checks(stack: Stack) -> int:
    """Calls Envoy made to the body check, from its own counters (the filter's stat prefix is json_fields)."""
    assert stack.envoy is not None
    stats = httpx.get(f"http://127.0.0.1:{stack.envoy.admin_port}/stats?filter=ext_authz.json_fields", timeout=10)
    counts = dict(line.split(": ", 1) for line in stats.text.splitlines() if ": " in line)
    return sum(int(counts.get(f"http.rest.ext_authz.json_fields.{k}", "0")) for k in ("ok", "denied", "error"))


def test_only_json_writes_pay_for_the_check(http: httpx.Client, stack: Stack) -> None:
    before = _body_checks(stack)
    assert http.get("/v1/vacancies").status_code == 200
    assert http.delete(f"/v1/documents/{uuid.uuid4()}").status_code == 404
    uploaded_ids(http, " strict json, not checked")
    assert _body_checks(stack) == before
    http.post("/v1/evaluate", json={"bogus": 1})
    assert _body_checks(stack) == before + 1
