"""Forgetting an owner's data: the cached embeddings (memory and store) and completions computed from the texts
of the named owners are dropped, other owners' entries stay."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from cveval_gateway.cache.completions import CompletionCache
from cveval_gateway.cache.embeddings import EmbeddingCache, text_key
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_kit import errors
from cveval_testing.mock_openai import MockOpenAI
from tests.unit.gateway.test_cache_embeddings import MemoryStore


@pytest_asyncio.fixture
async def service(mock: MockOpenAI) -> AsyncIterator[tuple[GatewayService, MemoryStore]]:
    mock.reset()
    store = MemoryStore()
    provider = OpenAICompatProvider(mock.base_url, "test-key")
    started = GatewayService(
        provider, provider, chat_model="mock-chat", embed_model="mock-embed", timeout_s=10.0,
        embed_cache=EmbeddingCache(1 << 24, store), completions=CompletionCache(1 << 20),
    )
    yield started, store
    await started.aclose()


async def test_forget_drops_an_owners_embeddings_everywhere(service: tuple[GatewayService, MemoryStore]) -> None:
    gateway, store = service
    await gateway.embed(model="", texts=["alice's cv window", "shared line"], owners=["t/alice"])
    await gateway.embed(model="", texts=["bob's cv window"], owners=["t/bob"])
    await gateway.embedder.cache.flush()
    assert ("mock-embed", text_key("alice's cv window")) in store.rows
    forgotten, completions = await gateway.forget(["t/alice"])
    assert (forgotten, completions) == (2, 0)
    memory = gateway.embedder.cache.memory
    for text in ("alice's cv window", "shared line"):
        assert ("mock-embed", text_key(text)) not in store.rows
        assert memory.get(("mock-embed", text_key(text))) is None
    assert memory.get(("mock-embed", text_key("bob's cv window"))) is not None
    assert ("mock-embed", text_key("bob's cv window")) in store.rows
    assert await gateway.forget(["t/alice"]) == (0, 0)  # idempotent


async def test_forget_drops_an_owners_completions(service: tuple[GatewayService, MemoryStore]) -> None:
    gateway, _ = service
    messages = [("user", "summarise alice's cv")]
    first = await gateway.chat(model="", messages=messages, owners=["t/alice"])
    assert (await gateway.chat(model="", messages=messages)).cached and not first.cached
    assert await gateway.forget(["t/alice"]) == (0, 1)
    assert not (await gateway.chat(model="", messages=messages)).cached


async def test_forget_needs_owners(service: tuple[GatewayService, MemoryStore]) -> None:
    with pytest.raises(errors.InvalidArgument):
        await service[0].forget(["  "])
