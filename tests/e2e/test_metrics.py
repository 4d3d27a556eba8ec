"""Each process of the running mesh serves Prometheus metrics with the names dashboards rely on."""

from __future__ import annotations

import httpx
import pytest

from cveval_devstack.stack import Stack
from tests.e2e.test_rest_api import follow, uploaded_ids

pytestmark = pytest.mark.e2e


def scrape(port: int) -> str:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


def test_services_and_workers_expose_metrics(stack: Stack, http: httpx.Client) -> None:
    cv_id, project_id = uploaded_ids(http, " metrics")
    follow(http, http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()["id"])
    job_metrics = scrape(stack.metrics_ports["job"])
    assert 'cveval_grpc_requests_total{code="OK",method="/cveval.job.v1.JobService/Evaluate"}' in job_metrics
    assert "cveval_grpc_request_duration_seconds_bucket" in job_metrics
    workers = [scrape(port) for name, port in stack.metrics_ports.items() if name.startswith("worker")]
    assert any('job_processing_duration_seconds_count{job_type="evaluate",status="completed"}' in w for w in workers)
    assert all("queue_depth" in w for w in workers)
    assert "cveval_ai_" in scrape(stack.metrics_ports["gateway"])
