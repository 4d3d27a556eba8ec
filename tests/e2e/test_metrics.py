"""Each process of the running mesh serves Prometheus metrics with the names dashboards rely on, and only names
kept in deploy/observability/metrics.txt."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cveval_devstack.procs import wait_until
from cveval_devstack.stack import Stack
from tests.deploy.metric_names import listed
from tests.e2e.test_rest_api import follow, uploaded_ids

pytestmark = pytest.mark.e2e


def scrape(port: int) -> str:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


def cveval_names(text: str) -> set[str]:
    return {
        f"{family.name}_total" if family.type == "counter" else family.name
        for family in text_string_to_metric_families(text)
        if family.name.startswith("cveval_")
    }


def test_services_and_workers_expose_metrics(stack: Stack, http: httpx.Client) -> None:
    cv_id, project_id = uploaded_ids(http, " metrics")
    follow(http, http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()["id"])
    job_metrics = scrape(stack.metrics_ports["job"])
    assert 'cveval_grpc_requests_total{code="OK",method="/cveval.job.v1.JobService/Evaluate"}' in job_metrics
    evaluate = "/cveval.job.v1.JobService/Evaluate"
    assert f'cveval_grpc_request_duration_seconds_bucket{{code="OK",le="0.1",method="{evaluate}"}}' in job_metrics
    workers = [scrape(port) for name, port in stack.metrics_ports.items() if name.startswith("worker")]
    completed = 'cveval_job_processing_duration_seconds_count{job_type="evaluate",status="completed"}'
    assert any(completed in w for w in workers)
    # The consumer's backlog comes from the job service alone, never from a worker replica.
    lag = "cveval_queue_pending_messages{consumer="
    wait_until(lambda: lag in scrape(stack.metrics_ports["job"]), timeout=30, what="the job service's queue lag")
    assert not any("cveval_queue_pending_messages{" in w for w in workers)
    gateway = scrape(stack.metrics_ports["gateway"])
    assert "cveval_ai_" in gateway
    kept = set(listed())
    for name, port in stack.metrics_ports.items():
        exported = cveval_names(scrape(port))
        assert exported <= kept, f"{name} exports names not in metrics.txt: {sorted(exported - kept)}"
