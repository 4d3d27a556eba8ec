"""One evaluation is one trace: client → JobService → JetStream → worker → upload, ai-gateway, result."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_client_interceptors
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cveval.job.v1 import job_pb2, job_pb2_grpc
from tests.integration.test_pipeline import uploaded_pair, wait_result
from tests.support.identity import caller
from tests.support.mesh import Mesh

pytestmark = pytest.mark.integration


async def spans_of(
    exporter: InMemorySpanExporter, trace_id: int, needed: set[str], limit_s: float = 10
) -> list[ReadableSpan]:
    """The trace's finished spans once every needed name is among them (the worker's span ends after the ack)."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while True:
        spans = [s for s in exporter.get_finished_spans() if s.context is not None and s.context.trace_id == trace_id]
        names = {s.name for s in spans}
        if needed <= names or asyncio.get_running_loop().time() > deadline:
            return spans
        await asyncio.sleep(0.05)


async def test_one_trace_spans_every_hop(mesh: Mesh, spans: InMemorySpanExporter) -> None:
    cv_id, project_id = await uploaded_pair(mesh, " traced")
    tracer = trace.get_tracer("tests")
    async with grpc.aio.insecure_channel(mesh.settings.job_addr, interceptors=aio_client_interceptors()) as channel:
        with tracer.start_as_current_span("POST /v1/evaluate", kind=trace.SpanKind.SERVER) as root:
            queued = await job_pb2_grpc.JobServiceStub(channel).Evaluate(
                job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id), metadata=caller()
            )
    trace_id = root.get_span_context().trace_id
    final = (await wait_result(mesh, queued.id))[-1]
    assert final.status == "completed"
    assert final.result.provenance.trace_id == format(trace_id, "032x")

    subject = mesh.settings.jobs_subject
    needed = {
        "POST /v1/evaluate",
        "/cveval.job.v1.JobService/Evaluate",
        f"publish {subject}",
        f"process {subject}",
        "/cveval.upload.v1.UploadService/ReadDocument",
        "/cveval.aigateway.v1.AiGatewayService/Embed",
        "/cveval.result.v1.ResultService/StoreResult",
        "evaluate.score",
    }
    found = await spans_of(spans, trace_id, needed)
    names = {s.name for s in found}
    assert needed <= names, f"missing spans: {needed - names}"
    by_name = {s.name: s for s in found}
    process = by_name[f"process {subject}"]
    publish = by_name[f"publish {subject}"]
    # The worker's span continues the publisher's context carried in the NATS message headers.
    assert process.parent is not None and publish.context is not None
    assert process.parent.span_id == publish.context.span_id
    assert process.kind == trace.SpanKind.CONSUMER
    assert any(s.name.startswith("/cveval.aigateway") and s.kind == trace.SpanKind.SERVER for s in found)
