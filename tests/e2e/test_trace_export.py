"""One evaluation is one trace, from Envoy's span of the REST request to the worker's calls, exported over OTLP.

The whole mesh runs as separate processes configured only by the standard OTEL_* variables; a small OTLP/gRPC
receiver stands in for the collector and records what every process sends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack
from tests.e2e.test_rest_api import follow, uploaded_ids
from tests.support.edge import GENEROUS_QUOTAS, admin_headers
from tests.support.infra import Infra, unique_names

pytestmark = pytest.mark.e2e


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.spans: list[tuple[str, str, bytes, bytes]] = []  # (service, span name, trace id, parent span id)

    def Export(  # the OTLP service's method name
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        with self.lock:
            for resource_spans in request.resource_spans:
                attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                service = attributes.get("service.name", "")
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        self.spans.append((service, span.name, span.trace_id, span.parent_span_id))
        return trace_service_pb2.ExportTraceServiceResponse()

    def of_trace(self, trace_id: bytes) -> list[tuple[str, str, bytes, bytes]]:
        with self.lock:
            return [s for s in self.spans if s[2] == trace_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, int]]:
    servicer = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, port
    server.stop(0)


@pytest.fixture(scope="module")
def traced_stack(
    infra: Infra, receiver: tuple[Receiver, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {f"CVEVAL_{k.upper()}": v for k, v in unique_names().items()}
    env.update(
        {
            "CVEVAL_DATABASE_URL": infra.create_database("cveval_trace"),
            "CVEVAL_NATS_URL": infra.nats_url,
            "CVEVAL_LLM_BASE_URL": "",
            **GENEROUS_QUOTAS,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver[1]}",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: export promptly so the test waits briefly
        }
    )
    stack = Stack(data_dir=tmp_path_factory.mktemp("traced"), http_port=free_port(), workers=1, extra_env=env)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_one_evaluation_is_one_trace_rooted_at_envoy(traced_stack: Stack, receiver: tuple[Receiver, int]) -> None:
    servicer, _ = receiver
    with httpx.Client(base_url=traced_stack.rest_url, timeout=30, headers=admin_headers(traced_stack)) as http:
        cv_id, project_id = uploaded_ids(http, " traced through envoy")
        job_id = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()["id"]
        follow(http, job_id)
        trace_hex = http.get(f"/v1/result/{job_id}").json()["result"]["provenance"]["trace_id"]
    trace_id = bytes.fromhex(trace_hex)
    expected = {"cveval-envoy", "cveval-job", "cveval-worker", "cveval-upload", "cveval-gateway", "cveval-result"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        spans = servicer.of_trace(trace_id)
        # Envoy exports its spans in batches too: wait for its request span (the root), not only for its name.
        if expected <= {s[0] for s in spans} and any(not s[3] for s in spans):
            break
        time.sleep(0.1)  # the processes export in batches every 100 ms
    spans = servicer.of_trace(trace_id)
    assert expected <= {s[0] for s in spans}, f"services in the trace: {sorted({s[0] for s in spans})}"
    roots = [s for s in spans if not s[3]]
    assert len(roots) == 1 and roots[0][0] == "cveval-envoy", roots
