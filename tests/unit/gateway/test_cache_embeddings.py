"""The embedding cache in front of a real OpenAI-compatible server: every vector at its own index, only misses
upstream, a broken store never breaking a response."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping, Sequence

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from cveval_gateway.cache.embeddings import Embedded, EmbeddingCache, pack, text_key
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_kit import errors
from cveval_testing.mock_openai import MockOpenAI, hash_vector

DIMS = 64


class MemoryStore:
    """A VectorStore kept in a dict, able to fail or hang on demand."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, bytes], Embedded] = {}
        self.reads: list[list[bytes]] = []
        self.writes: list[dict[bytes, Embedded]] = []
        self.fail_reads = self.fail_writes = False
        self.hold_writes: asyncio.Event | None = None

    async def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, Embedded]:
        self.reads.append(list(keys))
        if self.fail_reads:
            raise ConnectionError("database down")
        return {k: self.rows[(model, k)] for k in keys if (model, k) in self.rows}

    async def put_many(self, model: str, entries: Mapping[bytes, Embedded]) -> None:
        if self.hold_writes is not None:
            await self.hold_writes.wait()
        if self.fail_writes:
            raise ConnectionError("database down")
        self.writes.append(dict(entries))
        for key, entry in entries.items():
            self.rows.setdefault((model, key), entry)

    async def tag(self, model: str, keys: Sequence[bytes], owners: Sequence[str]) -> None:
        self.tags = getattr(self, "tags", set()) | {(o, model, k) for o in owners for k in keys}

    async def forget(self, owners: Sequence[str]) -> list[tuple[str, bytes]]:
        tags: set[tuple[str, str, bytes]] = getattr(self, "tags", set())
        pairs = sorted({(m, k) for o, m, k in tags if o in owners})
        self.tags = {t for t in tags if t[0] not in owners}
        for pair in pairs:
            self.rows.pop(pair, None)
        return pairs

    async def aclose(self) -> None:
        return None


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


@pytest_asyncio.fixture
async def store() -> AsyncIterator[MemoryStore]:
    yield MemoryStore()


def make_service(mock: MockOpenAI, cache: EmbeddingCache, **overrides: object) -> GatewayService:
    provider = OpenAICompatProvider(mock.base_url, "test-key")
    options: dict[str, object] = {"embed_model": "mock-embed", "timeout_s": 10.0, "embed_cache": cache, **overrides}
    return GatewayService(provider, provider, **options)  # type: ignore[arg-type]


def expected(text: str) -> list[float]:
    return list(map(float, _float32(hash_vector(text, DIMS))))


def _float32(values: list[float]) -> list[float]:
    return Embedded(pack(values), "", "").values()


def upstream_inputs(mock: MockOpenAI) -> list[list[str]]:
    return [r.body["input"] for r in mock.requests if r.path.endswith("/embeddings")]


async def test_shuffled_duplicated_and_partially_cached_batches_keep_every_vector_at_its_index(
    mock: MockOpenAI,
) -> None:
    service = make_service(mock, EmbeddingCache(1 << 24))
    try:
        warm = [f"warm text {i}" for i in range(5)]
        await service.embed(model="", texts=warm)
        cold = [f"cold text {i}" for i in range(5)]
        batch = [*warm, *cold, warm[1], cold[2], cold[2]]
        random.Random(7).shuffle(batch)
        mock.reset()
        result = await service.embed(model="", texts=batch)
        assert len(result.vectors) == len(batch)
        for text, vector in zip(batch, result.vectors, strict=True):
            assert vector == expected(text), text
        # Only the cold texts went upstream, each once, however often the batch repeated them.
        (sent,) = upstream_inputs(mock)
        assert sorted(sent) == sorted(cold)
        assert result.prompt_tokens == 3 * len(cold)  # cache hits cost no tokens
        assert result.model == "mock-embed"
    finally:
        await service.aclose()


async def test_a_fully_cached_batch_never_reaches_the_provider(mock: MockOpenAI) -> None:
    service = make_service(mock, EmbeddingCache(1 << 24))
    try:
        texts = ["alpha", "beta", "gamma"]
        first = await service.embed(model="", texts=texts)
        again = await service.embed(model="", texts=list(reversed(texts)))
        assert again.vectors == list(reversed(first.vectors))
        assert again.prompt_tokens == 0 and again.model == first.model and again.provider == first.provider
        assert mock.count("/embeddings") == 1
    finally:
        await service.aclose()


async def test_the_store_serves_what_memory_forgot_and_reads_once_per_batch(
    mock: MockOpenAI, store: MemoryStore
) -> None:
    writer = make_service(mock, EmbeddingCache(1 << 24, store))
    await writer.embed(model="", texts=["one", "two"])
    await writer.embedder.cache.flush()
    await writer.aclose()
    assert len(store.writes) == 1 and len(store.writes[0]) == 2  # one write per upstream batch

    reader = make_service(mock, EmbeddingCache(1 << 24, store))
    try:
        mock.reset()
        store.reads.clear()
        result = await reader.embed(model="", texts=["two", "three", "one", "two"])
        assert result.vectors == [expected("two"), expected("three"), expected("one"), expected("two")]
        assert upstream_inputs(mock) == [["three"]]
        assert store.reads == [[text_key("two"), text_key("three"), text_key("one")]]
        # Found in PostgreSQL, now in memory: the next batch needs neither.
        await reader.embed(model="", texts=["one", "two"])
        assert len(store.reads) == 1
    finally:
        await reader.aclose()


async def test_a_failed_cache_read_is_a_miss_and_a_failed_write_is_not_an_error(
    mock: MockOpenAI, store: MemoryStore
) -> None:
    store.fail_reads = store.fail_writes = True
    labels = {"cache": "embedding_db"}
    reads_before = REGISTRY.get_sample_value("cveval_ai_cache_errors_total", {**labels, "op": "read"}) or 0.0
    writes_before = REGISTRY.get_sample_value("cveval_ai_cache_errors_total", {**labels, "op": "write"}) or 0.0
    service = make_service(mock, EmbeddingCache(1 << 24, store))
    try:
        result = await service.embed(model="", texts=["resilient"])
        assert result.vectors == [expected("resilient")]
        await service.embedder.cache.flush()
        assert REGISTRY.get_sample_value("cveval_ai_cache_errors_total", {**labels, "op": "read"}) == reads_before + 1
        assert REGISTRY.get_sample_value("cveval_ai_cache_errors_total", {**labels, "op": "write"}) == writes_before + 1
    finally:
        await service.aclose()


async def test_the_response_does_not_wait_for_the_cache_write(mock: MockOpenAI, store: MemoryStore) -> None:
    store.hold_writes = asyncio.Event()
    cache = EmbeddingCache(1 << 24, store, max_pending_writes=1)
    service = make_service(mock, cache, batch_window_s=0.0)
    try:
        result = await service.embed(model="", texts=["first"])  # returns while its write is still held
        assert result.vectors == [expected("first")] and store.writes == []
        # With the write queue full, the next write is dropped (counted), not queued without bound.
        await service.embed(model="", texts=["second"])
        store.hold_writes.set()
        await cache.flush()
        assert [list(w) for w in store.writes] == [[text_key("first")]]
    finally:
        await service.aclose()


async def test_cached_vectors_of_another_model_version_are_re_embedded(mock: MockOpenAI) -> None:
    cache = EmbeddingCache(1 << 24)
    stale = Embedded(pack([1.0] * DIMS), "mock-embed-v0", "old-provider")
    cache.keep("mock-embed", {text_key("old"): stale})
    service = make_service(mock, cache)
    try:
        result = await service.embed(model="", texts=["old", "new"])
        assert result.vectors == [expected("old"), expected("new")]
        assert result.model == "mock-embed"
        assert sorted(text for sent in upstream_inputs(mock) for text in sent) == ["new", "old"]
        assert cache.memory.get(("mock-embed", text_key("old"))).model == "mock-embed"  # type: ignore[union-attr]
    finally:
        await service.aclose()


async def test_the_model_is_part_of_the_key(mock: MockOpenAI) -> None:
    service = make_service(mock, EmbeddingCache(1 << 24))
    try:
        await service.embed(model="model-a", texts=["same text"])
        await service.embed(model="model-b", texts=["same text"])
        assert [r.body["model"] for r in mock.requests] == ["model-a", "model-b"]
    finally:
        await service.aclose()


async def test_an_upstream_failure_maps_to_the_callers_error(mock: MockOpenAI) -> None:
    mock.set_mode(fail_next=1, fail_status=400)
    service = make_service(mock, EmbeddingCache(1 << 24))
    try:
        with pytest.raises(errors.InvalidArgument, match="mock failure 400"):
            await service.embed(model="", texts=["x"])
        assert (await service.embed(model="", texts=["x"])).vectors == [expected("x")]  # nothing failed was cached
        assert mock.count("/embeddings") == 2
    finally:
        await service.aclose()
