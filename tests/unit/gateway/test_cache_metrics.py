"""What operators see: cache outcomes as metrics and span attributes, upstream calls in flight, event-loop lag."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest
import pytest_asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from cveval_gateway.cache.completions import CompletionCache
from cveval_gateway.cache.embeddings import EmbeddingCache
from cveval_gateway.observability import watch_loop_lag
from cveval_gateway.providers.base import ChatCall, ChatResult, EmbedResult
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_kit.telemetry import configure_tracing
from cveval_testing.mock_openai import MockOpenAI

EXPORTER = InMemorySpanExporter()


class Gated:
    def __init__(self, inner: OpenAICompatProvider) -> None:
        self.inner = inner
        self.name = inner.name
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def chat(self, req: ChatCall) -> ChatResult:
        self.entered.set()
        await self.gate.wait()
        return await self.inner.chat(req)

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        return await self.inner.embed(model, texts, timeout=timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockOpenAI]:
    configure_tracing("test-gateway-cache", SimpleSpanProcessor(EXPORTER))
    server = MockOpenAI()
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def served(mock: MockOpenAI) -> AsyncIterator[tuple[GatewayService, Gated]]:
    mock.reset()
    provider = Gated(OpenAICompatProvider(mock.base_url, "test-key"))
    service = GatewayService(
        provider, provider, chat_model="mock-chat", embed_model="mock-embed", timeout_s=10.0,
        embed_cache=EmbeddingCache(1 << 20), completions=CompletionCache(1 << 20),
    )
    yield service, provider
    await service.aclose()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def attributes_of(name: str) -> dict[str, object]:
    (span,) = [s for s in EXPORTER.get_finished_spans() if s.name == name]
    return dict(span.attributes or {})


async def test_embedding_cache_outcomes(served: tuple[GatewayService, Gated]) -> None:
    service, _ = served
    memory_hits = sample("cveval_ai_cache_requests_total", cache="embedding_memory", outcome="hit")
    memory_misses = sample("cveval_ai_cache_requests_total", cache="embedding_memory", outcome="miss")
    tracer = trace.get_tracer("test")
    await service.embed(model="", texts=["known"])
    with tracer.start_as_current_span("rpc partial"):
        await service.embed(model="", texts=["known", "unknown", "unknown"])
    assert sample("cveval_ai_cache_requests_total", cache="embedding_memory", outcome="hit") == memory_hits + 1
    assert sample("cveval_ai_cache_requests_total", cache="embedding_memory", outcome="miss") == memory_misses + 2
    assert attributes_of("rpc partial") == {
        "cveval.cache.outcome": "partial", "cveval.cache.hits": 1, "cveval.cache.misses": 1, "cveval.coalesced": 0,
    }
    assert sample("cveval_ai_cache_bytes", cache="embedding_memory") > 2 * 64 * 4


async def test_completion_cache_outcomes(served: tuple[GatewayService, Gated]) -> None:
    service, _ = served
    tracer = trace.get_tracer("test")
    outcomes = ("hit", "miss", "bypass")
    counts = {o: sample("cveval_ai_cache_requests_total", cache="completion", outcome=o) for o in outcomes}
    await service.chat(model="", messages=[("user", "metrics")])
    with tracer.start_as_current_span("rpc hit"):
        await service.chat(model="", messages=[("user", "metrics")])
    with tracer.start_as_current_span("rpc bypass"):
        await service.chat(model="", messages=[("user", "metrics")], temperature=1.0)
    for outcome in outcomes:
        assert sample("cveval_ai_cache_requests_total", cache="completion", outcome=outcome) == counts[outcome] + 1
    assert attributes_of("rpc hit")["cveval.cache.outcome"] == "hit"
    assert attributes_of("rpc bypass")["cveval.cache.outcome"] == "bypass"


async def test_upstream_calls_in_flight(served: tuple[GatewayService, Gated]) -> None:
    service, provider = served
    provider.gate.clear()
    before = sample("cveval_ai_in_flight", op="chat")
    call = asyncio.create_task(service.chat(model="", messages=[("user", "in flight")]))
    await provider.entered.wait()
    assert sample("cveval_ai_in_flight", op="chat") == before + 1
    provider.gate.set()
    await call
    assert sample("cveval_ai_in_flight", op="chat") == before


async def test_event_loop_lag_is_measured() -> None:
    samples: list[float] = []
    exported: list[float | None] = []
    sampled = asyncio.Event()

    def record(lag: float) -> None:
        samples.append(lag)
        # Read the gauge here, synchronously after the watcher set it: another gateway's watcher in this process (a
        # test that started one) may set the shared gauge before this test would read it later.
        exported.append(REGISTRY.get_sample_value("cveval_ai_event_loop_lag_seconds"))
        sampled.set()

    watcher = asyncio.create_task(watch_loop_lag(0.001, record))
    try:
        await asyncio.sleep(0)  # the watcher arms its timer
        time.sleep(0.05)  # noqa: ASYNC251 - a blocking call stalling the loop is exactly what must show
        await sampled.wait()
    finally:
        watcher.cancel()
    assert samples[0] >= 0.04
    assert exported == samples
