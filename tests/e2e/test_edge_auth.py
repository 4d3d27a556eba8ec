"""The edge through Envoy over HTTP and gRPC: credentials, roles, revocation, quotas, the JWT path, the header strip.

On this branch the services do not yet require an identity themselves, so these tests assert what Envoy and the
auth service decide before a call reaches a service.
"""

from __future__ import annotations

import time
from typing import Any

import grpc
import httpx
import pytest

from cveval.job.v1 import job_pb2, job_pb2_grpc
from cveval_devstack.stack import Stack
from tests.e2e.conftest import E2E_KEY_CACHE_TTL_S
from tests.support import edge


def assert_json_error(response: httpx.Response, status: int, grpc_code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == grpc_code and body["message"], body
    assert response.headers.get("x-cveval-error-code"), response.headers
    return body


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def create_key(http: httpx.Client, roles: list[str], **quota: int) -> dict[str, Any]:
    response = http.post("/v1/api-keys", json={"name": f"e2e {'+'.join(roles)}", "roles": roles, **quota})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_no_credential_is_401_json(stack: Stack) -> None:
    response = httpx.get(f"{stack.rest_url}/v1/jobs", timeout=10)
    body = assert_json_error(response, 401, 16)
    assert "credential" in body["message"]
    assert response.headers["x-cveval-error-code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("value", ["Bearer cvk_" + "x" * 43, "Bearer not-a-key", "Basic YWRtaW46YWRtaW4=", "Bearer"])
def test_bad_credentials_are_401(stack: Stack, value: str) -> None:
    response = httpx.get(f"{stack.rest_url}/v1/jobs", headers={"authorization": value}, timeout=10)
    assert_json_error(response, 401, 16)


def test_valid_key_passes(http: httpx.Client) -> None:
    assert http.get("/v1/jobs").status_code == 200


def test_key_is_shown_once_and_listed_without_secret(http: httpx.Client) -> None:
    created = create_key(http, ["submitter"], requests_per_second=7, evaluations_per_hour=40)
    key, secret = created["api_key"], created["secret"]
    assert secret.startswith("cvk_") and len(secret) > 40 and secret.startswith(key["prefix"])
    assert key["tenant"] == "default" and key["roles"] == ["submitter"]
    assert (key["requests_per_second"], key["evaluations_per_hour"]) == (7, 40)
    listing = http.get("/v1/api-keys", params={"page_size": 100}).json()
    listed = next(k for k in listing["api_keys"] if k["id"] == key["id"])
    assert secret not in str(listing) and listed["prefix"] == key["prefix"]


def test_invalid_key_requests_are_400(http: httpx.Client) -> None:
    assert http.post("/v1/api-keys", json={"name": "x", "roles": ["root"]}).status_code == 400
    assert http.post("/v1/api-keys", json={"name": "", "roles": ["reviewer"]}).status_code == 400


def test_role_lacking_is_403(http: httpx.Client, stack: Stack) -> None:
    reviewer = bearer(create_key(http, ["reviewer"])["secret"])
    with httpx.Client(base_url=stack.rest_url, headers=reviewer, timeout=10) as client:
        assert client.get("/v1/jobs").status_code == 200
        assert_json_error(client.post("/v1/evaluate", json={"cv_id": "a", "project_id": "b"}), 403, 7)
        assert_json_error(client.post("/v1/api-keys", json={"name": "x", "roles": ["admin"]}), 403, 7)
        assert_json_error(client.get("/v1/api-keys"), 403, 7)


def test_revoked_key_stops_within_the_cache_ttl(http: httpx.Client, stack: Stack) -> None:
    created = create_key(http, ["reviewer"])
    headers = bearer(created["secret"])
    assert httpx.get(f"{stack.rest_url}/v1/jobs", headers=headers, timeout=10).status_code == 200
    revoked = http.post(f"/v1/api-keys/{created['api_key']['id']}:revoke")
    assert revoked.status_code == 200 and revoked.json()["api_key"]["revoke_time"]
    began = time.monotonic()
    while httpx.get(f"{stack.rest_url}/v1/jobs", headers=headers, timeout=10).status_code != 401:
        assert time.monotonic() - began < E2E_KEY_CACHE_TTL_S + 5, "a revoked key still works past the cache TTL"
        time.sleep(0.05)
    assert time.monotonic() - began <= E2E_KEY_CACHE_TTL_S + 1.0
    assert http.post("/v1/api-keys/key-unknown:revoke").status_code == 404


def test_requests_per_second_quota_is_429_with_retry_after(http: httpx.Client, stack: Stack) -> None:
    headers = bearer(create_key(http, ["reviewer"], requests_per_second=2)["secret"])
    with httpx.Client(base_url=stack.rest_url, headers=headers, timeout=10) as client:
        responses = [client.get("/v1/jobs") for _ in range(6)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    assert_json_error(limited[0], 429, 8)
    assert int(limited[0].headers["retry-after"]) >= 1
    # Another key has its own bucket.
    assert http.get("/v1/jobs").status_code == 200


def test_evaluations_per_hour_quota(http: httpx.Client, stack: Stack) -> None:
    headers = bearer(create_key(http, ["submitter"], evaluations_per_hour=1)["secret"])
    with httpx.Client(base_url=stack.rest_url, headers=headers, timeout=10) as client:
        first = client.post("/v1/evaluate", json={"cv_id": "no-such-cv", "project_id": "no-such-report"})
        assert first.status_code != 429, first.text  # counted, then refused by the job service for its ids
        second = client.post("/v1/evaluate", json={"cv_id": "no-such-cv", "project_id": "no-such-report"})
        assert_json_error(second, 429, 8)
        assert int(second.headers["retry-after"]) >= 60  # one evaluation an hour refills in an hour
        assert client.get("/v1/jobs").status_code == 200  # other calls are not evaluations


def test_forged_edge_headers_are_stripped(stack: Stack) -> None:
    payload = edge.forged_jwt_payload(tenant="other", roles=["admin"])
    forged = {"x-jwt-payload": payload, "x-cveval-identity": "v1.forged.forged"}
    assert_json_error(httpx.get(f"{stack.rest_url}/v1/jobs", headers=forged, timeout=10), 401, 16)


def test_grpc_through_envoy_with_authorization_metadata(stack: Stack) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{stack.http_port}") as channel:
        stub = job_pb2_grpc.JobServiceStub(channel)
        reply = stub.ListJobs(
            job_pb2.ListJobsRequest(page_size=1), metadata=tuple(bearer(stack.admin_api_key).items()), timeout=10
        )
        assert reply is not None
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListJobs(job_pb2.ListJobsRequest(page_size=1), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_oidc_jwt_is_accepted(stack: Stack) -> None:
    token = edge.token(roles=["reviewer"])
    assert httpx.get(f"{stack.rest_url}/v1/jobs", headers=bearer(token), timeout=10).status_code == 200
    evaluate = httpx.post(f"{stack.rest_url}/v1/evaluate", json={}, headers=bearer(token), timeout=10)
    assert_json_error(evaluate, 403, 7)


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"issuer": "https://evil.example/"}, 401),
        ({"audience": "someone-else"}, 401),
        ({"ttl_s": -600}, 401),
        ({"tenant": None}, 403),
    ],
)
def test_oidc_jwt_refused(stack: Stack, claims: dict[str, Any], status: int) -> None:
    token = edge.token(**claims)
    response = httpx.get(f"{stack.rest_url}/v1/jobs", headers=bearer(token), timeout=10)
    assert_json_error(response, status, 16 if status == 401 else 7)


def test_jwt_signed_by_another_key_is_401(stack: Stack) -> None:
    token = edge.token(key=edge.other_key())
    assert_json_error(httpx.get(f"{stack.rest_url}/v1/jobs", headers=bearer(token), timeout=10), 401, 16)


def test_envoy_admin_is_not_on_the_public_port(stack: Stack) -> None:
    for path in ("/quitquitquit", "/config_dump", "/ready"):
        response = httpx.post(f"{stack.rest_url}{path}", timeout=10)
        assert response.status_code == 404, (path, response.status_code)
    assert stack.envoy is not None
    ready = httpx.get(f"http://127.0.0.1:{stack.envoy.health_port}/ready", timeout=10)
    assert ready.status_code == 200 and "LIVE" in ready.text
    assert httpx.post(f"http://127.0.0.1:{stack.envoy.health_port}/quitquitquit", timeout=10).status_code == 404
    stats = httpx.get(f"http://127.0.0.1:{stack.envoy.health_port}/stats/prometheus", timeout=10)
    assert stats.status_code == 200 and "envoy_server_live" in stats.text, "Prometheus scrapes Envoy here"
    public = httpx.get(f"{stack.rest_url}/stats/prometheus", timeout=10)
    assert public.status_code in {401, 404} and "envoy_server_live" not in public.text


def test_oversized_headers_are_431_json(stack: Stack) -> None:
    response = httpx.get(f"{stack.rest_url}/v1/jobs", headers={"x-padding": "a" * 100_000}, timeout=10)
    assert_json_error(response, 431, 3)


def test_grpc_caller_over_quota_gets_resource_exhausted(http: httpx.Client, stack: Stack) -> None:
    metadata = tuple(bearer(create_key(http, ["reviewer"], requests_per_second=1)["secret"]).items())
    codes = []
    with grpc.insecure_channel(f"127.0.0.1:{stack.http_port}") as channel:
        stub = job_pb2_grpc.JobServiceStub(channel)
        for _ in range(4):
            try:
                stub.ListJobs(job_pb2.ListJobsRequest(page_size=1), metadata=metadata, timeout=10)
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as exc:
                codes.append(exc.code())
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes, codes
