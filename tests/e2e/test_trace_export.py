"""One evaluation is one trace, from Envoy's span of the REST request to the worker's calls, exported over OTLP.

The whole mesh runs as separate processes configured only by the standard OTEL_* variables, once with the
default OTLP/gRPC and once with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (the common collector setup on port
4318). Each time a real receiver of that protocol, built on the opentelemetry-proto messages, stands in for the
collector and records what every process sends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

QUEUE_SPANS = {"publish", "process"}
Span = tuple[str, str, bytes, bytes, dict[str, object]]  # service, name, trace id, parent span id, attributes


class Spans:
    """What the receiver has been sent, from either protocol."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.spans: list[Span] = []
        self.rejected: list[str] = []  # requests the HTTP receiver refused, shown when a test fails

    def add(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        with self.lock:
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                service = resource.get("service.name", "")
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: _value(a.value) for a in span.attributes}
                        self.spans.append((service, span.name, span.trace_id, span.parent_span_id, attributes))

    def of_trace(self, trace_id: bytes) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s[2] == trace_id]


def _value(value: object) -> object:
    kind = value.WhichOneof("value")  # type: ignore[attr-defined]  # an AnyValue message
    return getattr(value, kind) if kind else None


class GrpcReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, spans: Spans) -> None:
        self.received = spans

    def Export(  # the OTLP service's method name
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.received.add(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def _http_handler(spans: Spans) -> type[BaseHTTPRequestHandler]:
    class OtlpHttp(BaseHTTPRequestHandler):
        """OTLP/HTTP with binary protobuf bodies, as the SDK's exporter and Envoy's tracer post them."""

        def do_POST(self) -> None:  # the http.server hook's name
            body = self._body()
            if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                spans.rejected.append(f"{self.path} {self.headers.get('Content-Type')}")
                self.send_error(404 if self.path != "/v1/traces" else 415)
                return
            spans.add(trace_service_pb2.ExportTraceServiceRequest.FromString(body))
            reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return OtlpHttp


@pytest.fixture(scope="module", params=["grpc", "http/protobuf"])
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[Spans, dict[str, str]]]:
    spans = Spans()
    if request.param == "grpc":
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(GrpcReceiver(spans), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        yield spans, {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}"}
        server.stop(0)
        return
    http_server = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(spans))
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{http_server.server_address[1]}"
    # The per-signal endpoint is used as given (the SDK appends /v1/traces only to the base endpoint).
    yield (
        spans,
        {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{url}/v1/traces"},
    )
    http_server.shutdown()
    http_server.server_close()


@pytest.fixture(scope="module")
def traced_stack(
    infra: Infra, receiver: tuple[Spans, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {f"CVEVAL_{k.upper()}": v for k, v in unique_names().items()}
    env.update(
        {
            "CVEVAL_DATABASE_URL": infra.create_database("cveval_trace"),
            "CVEVAL_NATS_URL": infra.nats_url,
            "CVEVAL_LLM_BASE_URL": "",
            **GENEROUS_QUOTAS,
            **receiver[1],
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


def test_one_evaluation_is_one_trace_rooted_at_envoy(
    traced_stack: Stack, receiver: tuple[Spans, dict[str, str]]
) -> None:
    spans_received, _ = receiver
    with httpx.Client(base_url=traced_stack.rest_url, timeout=30, headers=admin_headers(traced_stack)) as http:
        cv_id, project_id = uploaded_ids(http, " traced through envoy")
        job_id = http.post("/v1/evaluate", json={"cv_id": cv_id, "project_id": project_id}).json()["id"]
        follow(http, job_id)
        trace_hex = http.get(f"/v1/result/{job_id}").json()["result"]["provenance"]["trace_id"]
    trace_id = bytes.fromhex(trace_hex)
    expected = {"cveval-envoy", "cveval-job", "cveval-worker", "cveval-upload", "cveval-gateway", "cveval-result"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        spans = spans_received.of_trace(trace_id)
        # Envoy exports its spans in batches too: wait for its request span (the root), not only for its name; the
        # worker's `process` span ends after the result is stored, so it may arrive last.
        if (
            expected <= {s[0] for s in spans}
            and any(not s[3] for s in spans)
            and any(s[1].startswith("process ") for s in spans)
        ):
            break
        time.sleep(0.1)  # the processes export in batches every 100 ms
    spans = spans_received.of_trace(trace_id)
    assert expected <= {s[0] for s in spans}, (sorted({s[0] for s in spans}), spans_received.rejected)
    roots = [s for s in spans if not s[3]]
    assert len(roots) == 1 and roots[0][0] == "cveval-envoy", roots
    _assert_current_conventions(spans)


def _assert_current_conventions(spans: list[Span]) -> None:
    """The trace speaks the current semantic conventions: no legacy names, operation types on the queue's spans."""
    keys = {key for span in spans for key in span[4]}
    assert not {k for k in keys if k.startswith("net.") or k in {"db.statement", "db.name", "gen_ai.system"}}, keys
    assert "db.query.text" in keys and "rpc.method" in keys
    operations = {span[4].get("messaging.operation.type") for span in spans if span[1].split(" ")[0] in QUEUE_SPANS}
    assert {"send", "process"} <= operations, operations
