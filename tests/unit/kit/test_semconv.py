"""Spans carry the current semantic-convention names, whatever the instrumentation library wrote."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cveval_kit.semconv import CurrentConventions


def test_legacy_network_and_database_names_are_renamed_before_export() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(CurrentConventions())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    legacy: dict[str, str | int] = {
        "net.peer.ip": "10.0.0.7",
        "net.peer.port": 5123,
        "db.statement": "SELECT 1",
        "rpc.system": "grpc",
    }
    with tracer.start_as_current_span("call", attributes=legacy):
        pass
    (span,) = exporter.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes == {
        "network.peer.address": "10.0.0.7",
        "network.peer.port": 5123,
        "db.query.text": "SELECT 1",
        "rpc.system": "grpc",
    }
