"""The byte-budgeted in-memory caches: eviction by bytes, TTL on an injected clock, metrics."""

from __future__ import annotations

from prometheus_client import REGISTRY

from cveval_gateway.cache.completions import CompletionCache
from cveval_gateway.cache.embeddings import Embedded, EmbeddingCache, entry_size, pack
from cveval_gateway.cache.memory import ENTRY_OVERHEAD, ByteBudgetCache, sized
from cveval_gateway.providers.base import ChatResult


def _vector(dims: int, fill: float = 0.5) -> Embedded:
    return Embedded(pack([fill] * dims), "m", "p")


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_an_entry_costs_its_vector_bytes_plus_key_overhead() -> None:
    small, large = _vector(8), _vector(1536)
    assert large.dims == 1536 and len(large.vector) == 1536 * 4
    assert entry_size(large) - entry_size(small) == (1536 - 8) * 4
    assert entry_size(small) > ENTRY_OVERHEAD + 8 * 4  # the key and the strings are counted too


def test_lru_evicts_by_bytes_not_by_count() -> None:
    one = entry_size(_vector(256))
    cache: ByteBudgetCache[str, Embedded] = ByteBudgetCache("test_lru", one * 3, entry_size)
    evicted_before = _sample("cveval_ai_cache_evictions_total", {"cache": "test_lru"})
    for name in ("a", "b", "c"):
        assert cache.put(name, _vector(256))
    assert len(cache) == 3 and cache.currsize == one * 3
    assert cache.get("a") is not None  # "a" is now the most recently used; "b" the least
    # A vector four times as large needs the room of several small ones: count-based LRUs get this wrong.
    assert cache.put("big", _vector(512))
    assert cache.get("b") is None and cache.get("c") is None
    assert cache.get("a") is not None and cache.get("big") is not None
    assert cache.currsize <= one * 3
    assert _sample("cveval_ai_cache_evictions_total", {"cache": "test_lru"}) == evicted_before + 2
    assert _sample("cveval_ai_cache_bytes", {"cache": "test_lru"}) == cache.currsize


def test_a_value_larger_than_the_budget_is_not_kept_and_evicts_nothing() -> None:
    cache: ByteBudgetCache[str, Embedded] = ByteBudgetCache("test_large", entry_size(_vector(16)) * 2, entry_size)
    assert cache.put("small", _vector(16))
    assert not cache.put("huge", _vector(10_000))
    assert cache.get("huge") is None and cache.get("small") is not None


def test_a_zero_budget_keeps_nothing() -> None:
    cache = EmbeddingCache(0)
    cache.keep("m", {b"k" * 32: _vector(4)})
    assert len(cache.memory) == 0 and not cache.memory.enabled


def test_completion_ttl_on_an_injected_clock() -> None:
    now = [1000.0]
    cache = CompletionCache(1 << 20, ttl_s=3600, clock=lambda: now[0])
    result = ChatResult("answer", "m", "p", 3, 1)
    cache.put(b"k", result)
    now[0] += 3599
    assert cache.get(b"k") == result
    now[0] += 2
    assert cache.get(b"k") is None
    assert cache.memory.currsize == 0  # expired entries give their bytes back


def test_completion_cache_is_bounded_by_bytes() -> None:
    answer = ChatResult("x" * 10_000, "m", "p", 1, 1)
    budget = sized(answer.content, answer.model, answer.provider, b"\0" * 32) * 2
    cache = CompletionCache(budget, clock=lambda: 0.0)
    for key in (b"1", b"2", b"3"):
        cache.put(key, answer)
    assert cache.get(b"1") is None
    assert cache.get(b"2") is not None and cache.get(b"3") is not None
    assert cache.memory.currsize <= budget
