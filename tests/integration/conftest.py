from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cveval_kit.telemetry import configure_tracing
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

SPANS = InMemorySpanExporter()


@pytest.fixture(scope="session")
def database_url(infra: Infra) -> str:
    return infra.create_database("cveval_it")


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    # Installed before any server starts: the gRPC interceptors take the tracer provider when they are built.
    configure_tracing("cveval-tests", SimpleSpanProcessor(SPANS))
    return SPANS


@pytest.fixture(scope="session")
async def mesh(infra: Infra, database_url: str, spans: InMemorySpanExporter) -> AsyncIterator[Mesh]:
    started = await start_mesh(mesh_settings(database_url, infra.nats_url))
    try:
        yield started
    finally:
        await started.stop()
