"""Tenancy and deletion through Envoy over HTTP: another tenant's ids answer 404 on every resource kind, roles are
enforced with the JSON error body, and an admin's DELETE of a candidate erases it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from cveval_devstack.stack import Stack
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER
from tests.e2e.test_rest_api import assert_error, follow, uploaded_ids
from tests.support.edge import create_api_key

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:8]}"


def client(stack: Stack, tenant: str, *roles: str) -> httpx.Client:
    """A client holding a real API key of `tenant` with `roles`, checked by the edge like any caller's."""
    headers = {"authorization": f"Bearer {create_api_key(stack, tenant, roles)}"}
    return httpx.Client(base_url=stack.rest_url, timeout=30, headers=headers)


@pytest.fixture(scope="module")
def submitter(stack: Stack, tenant: str) -> Iterator[httpx.Client]:
    with client(stack, tenant, SUBMITTER) as http:
        yield http


@pytest.fixture(scope="module")
def evaluated(submitter: httpx.Client) -> dict[str, str]:
    cv_id, project_id = uploaded_ids(submitter, f" tenancy {uuid.uuid4()}")
    job_id = submitter.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()["id"]
    assert follow(submitter, job_id)["status"] == "completed"
    return {"cv_id": cv_id, "project_id": project_id, "job_id": job_id}


def test_another_tenant_gets_404_on_every_resource_kind(stack: Stack, evaluated: dict[str, str]) -> None:
    with client(stack, f"other-{uuid.uuid4().hex[:8]}", ADMIN) as other:
        for path in (
            f"/v1/documents/{evaluated['cv_id']}",
            f"/v1/jobs/{evaluated['job_id']}",
            f"/v1/result/{evaluated['job_id']}",
        ):
            assert_error(other.get(path), 404, "not found")
        assert_error(other.delete(f"/v1/candidates/{evaluated['cv_id']}"), 404, "not found")
        body = {"cv_id": evaluated["cv_id"], "project_id": evaluated["project_id"]}
        assert_error(other.post("/v1/evaluate", json=body), 404)


def test_roles_through_the_edge(stack: Stack, tenant: str, evaluated: dict[str, str]) -> None:
    with client(stack, tenant, REVIEWER) as reviewer:
        assert reviewer.get(f"/v1/result/{evaluated['job_id']}").status_code == 200
        body = {"cv_id": evaluated["cv_id"], "project_id": evaluated["project_id"]}
        assert_error(reviewer.post("/v1/evaluate", json=body), 403)
        assert_error(reviewer.delete(f"/v1/documents/{evaluated['project_id']}"), 403)
    with httpx.Client(base_url=stack.rest_url, timeout=30) as anonymous:
        assert_error(anonymous.get(f"/v1/result/{evaluated['job_id']}"), 401)


def test_an_admin_erases_a_candidate(stack: Stack, tenant: str, evaluated: dict[str, str]) -> None:
    with client(stack, tenant, ADMIN) as admin:
        erased = admin.delete(f"/v1/candidates/{evaluated['cv_id']}")
        assert erased.status_code == 200, erased.text
        assert erased.json() == {"deleted_documents": 2, "deleted_jobs": 1, "deleted_results": 1}
        assert_error(admin.get(f"/v1/documents/{evaluated['cv_id']}"), 404)
        assert_error(admin.get(f"/v1/result/{evaluated['job_id']}"), 404)
