"""The embedding cache in PostgreSQL, through the gateway's gRPC API: what one instance embedded, the next serves; a
Forget served by one replica empties the memory caches of the others too (through the forgotten-owners log)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import grpc
import pytest
import pytest_asyncio

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_devstack.procs import free_port
from cveval_gateway import app
from cveval_gateway.adapters.embedding_store import EmbeddingStore
from cveval_gateway.cache.embeddings import Embedded, pack, text_key
from cveval_gateway.cache.settings import GatewaySettings
from cveval_kit.db import create_engine
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings
from cveval_testing.mock_openai import MockOpenAI, hash_vector
from tests.support.infra import Infra

pytestmark = pytest.mark.integration

Stub = aigateway_pb2_grpc.AiGatewayServiceStub
TUNING = GatewaySettings(embed_cache_bytes=1 << 24, completion_cache_bytes=1 << 20, batch_window_ms=1.0)


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


@pytest.fixture(scope="module")
def cache_db(infra: Infra) -> str:
    return infra.create_database("cveval_gwcache")


def settings_for(mock: MockOpenAI, database_url: str) -> Settings:
    return Settings(
        llm_base_url=mock.base_url, llm_api_key="k", database_url=database_url, grpc_host="127.0.0.1",
        llm_timeout_s=5.0, db_pool_size=2,
    )


class Gateway:
    def __init__(self, running: Running) -> None:
        self.running = running
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
        self.stub = Stub(self.channel)
        self.stopped = False

    async def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        await self.channel.close()
        await self.running.stop(0)  # its cleanups wait for the background cache writes


StartGateway = Callable[..., Awaitable[Gateway]]


@pytest_asyncio.fixture
async def start_gateway(mock: MockOpenAI) -> AsyncIterator[StartGateway]:
    started: list[Gateway] = []

    async def start(database_url: str, tuning: GatewaySettings = TUNING) -> Gateway:
        gateway = Gateway(await app.start(settings_for(mock, database_url), port=0, tuning=tuning))
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        await gateway.stop()


def expected(text: str) -> list[float]:
    return Embedded(pack(hash_vector(text, 64)), "", "").values()


async def test_a_new_instance_serves_what_the_last_one_embedded(
    start_gateway: StartGateway, mock: MockOpenAI, cache_db: str
) -> None:
    texts = [f"persisted sentence {i}" for i in range(20)]
    first = await start_gateway(cache_db)
    await first.stub.Embed(aigateway_pb2.EmbedRequest(texts=texts), timeout=10)
    await first.stop()
    assert mock.count("/embeddings") == 1

    mock.reset()
    second = await start_gateway(cache_db)
    batch = [*texts, "a text nobody embedded before", texts[3]]
    random.Random(3).shuffle(batch)
    response = await second.stub.Embed(aigateway_pb2.EmbedRequest(texts=batch), timeout=10)
    for text, vector in zip(batch, response.vectors, strict=True):
        assert list(vector.values) == expected(text), text
    assert [r.body["input"] for r in mock.requests] == [["a text nobody embedded before"]]
    assert response.model == "text-embedding-3-small" and response.dimensions == 64
    await second.stop()

    conn = await asyncpg.connect(cache_db.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch("SELECT dims, length(vector) AS size FROM gateway.embeddings")
    finally:
        await conn.close()
    assert len(rows) == 21 and {(r["dims"], r["size"]) for r in rows} == {(64, 256)}


async def test_a_deterministic_chat_is_served_cached(
    start_gateway: StartGateway, mock: MockOpenAI, cache_db: str
) -> None:
    gateway = await start_gateway(cache_db)
    request = aigateway_pb2.ChatRequest(messages=[aigateway_pb2.ChatMessage(role="user", content="cache me")])
    first = await gateway.stub.Chat(request, timeout=5)
    second = await gateway.stub.Chat(request, timeout=5)
    assert (first.cached, second.cached) == (False, True)
    assert second.content == first.content == "cache me"
    assert mock.count("/chat/completions") == 1


async def test_an_unreachable_database_degrades_to_memory(start_gateway: StartGateway, mock: MockOpenAI) -> None:
    nowhere = f"postgresql+asyncpg://nobody:nothing@127.0.0.1:{free_port()}/none"
    tuning = TUNING.model_copy(update={"embed_cache_db_timeout_s": 1.0})
    gateway = await start_gateway(nowhere, tuning)
    response = await gateway.stub.Embed(aigateway_pb2.EmbedRequest(texts=["still served"]), timeout=10)
    assert list(response.vectors[0].values) == expected("still served")
    again = await gateway.stub.Embed(aigateway_pb2.EmbedRequest(texts=["still served"]), timeout=10)
    assert again.vectors == response.vectors
    assert mock.count("/embeddings") == 1  # the memory cache still works


async def test_store_reads_by_key_and_never_overwrites(cache_db: str) -> None:
    store = EmbeddingStore(create_engine(Settings(database_url=cache_db, db_pool_size=1), "test"))
    try:
        first = Embedded(pack([0.25, 0.5]), "answer-model", "prov")
        await store.put_many("store-model", {text_key("a"): first, text_key("b"): first})
        await store.put_many("store-model", {text_key("a"): Embedded(pack([9.0, 9.0]), "other", "prov")})
        found = await store.get_many("store-model", [text_key("a"), text_key("b"), text_key("c")])
        assert set(found) == {text_key("a"), text_key("b")}
        assert found[text_key("a")] == first  # ON CONFLICT DO NOTHING kept the first vector
        assert await store.get_many("another-model", [text_key("a")]) == {}
    finally:
        await store.aclose()

FORGET_BOUND_S = 30.0  # generous: a busy 2-core machine; the replicas poll every 0.1 s here
FAST_FEED = TUNING.model_copy(update={"forget_poll_s": 0.1})
ERASED, KEPT = "tenant-a/doc-erased", "tenant-a/doc-kept"


def embed(text: str, owner: str) -> aigateway_pb2.EmbedRequest:
    return aigateway_pb2.EmbedRequest(texts=[text], owners=[owner])


def chat(text: str, owner: str) -> aigateway_pb2.ChatRequest:
    return aigateway_pb2.ChatRequest(messages=[aigateway_pb2.ChatMessage(role="user", content=text)], owners=[owner])


async def test_a_forget_on_one_replica_reaches_the_others(
    start_gateway: StartGateway, mock: MockOpenAI, cache_db: str
) -> None:
    a = await start_gateway(cache_db, FAST_FEED)
    b = await start_gateway(cache_db, FAST_FEED)
    for owner in (ERASED, KEPT):
        await b.stub.Embed(embed(f"sentence of {owner}", owner), timeout=10)
        await b.stub.Chat(chat(f"prompt of {owner}", owner), timeout=10)
    assert (await b.stub.Chat(chat(f"prompt of {ERASED}", ERASED), timeout=10)).cached
    mock.reset()

    await a.stub.Forget(aigateway_pb2.ForgetRequest(owners=[ERASED]), timeout=10)

    began = time.monotonic()
    while (await b.stub.Chat(chat(f"prompt of {ERASED}", ERASED), timeout=10)).cached:
        assert time.monotonic() - began < FORGET_BOUND_S, "replica b still serves a forgotten completion"
        await asyncio.sleep(0.05)
    await b.stub.Embed(embed(f"sentence of {ERASED}", ERASED), timeout=10)
    assert mock.count("/embeddings") == 1  # neither b's memory nor the database had the forgotten vector

    mock.reset()
    assert (await b.stub.Chat(chat(f"prompt of {KEPT}", KEPT), timeout=10)).cached
    await b.stub.Embed(embed(f"sentence of {KEPT}", KEPT), timeout=10)
    assert mock.count("/embeddings") == 0 and mock.count("/chat/completions") == 0
