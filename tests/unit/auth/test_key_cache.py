"""The key cache: hits within the TTL, a revocation seen after it, one query for concurrent misses."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from cveval_auth.adapters.key_cache import CachedKeyLookup
from cveval_auth.domain.keys import ApiKeyRecord, hash_secret, new_secret


def record(revoked: bool = False) -> ApiKeyRecord:
    now = datetime.now(UTC)
    return ApiKeyRecord("key-1", "n", "t", frozenset({"admin"}), 1, 1, "p", now, now if revoked else None)


class Table:
    def __init__(self) -> None:
        self.rows: dict[str, ApiKeyRecord] = {}
        self.queries = 0

    async def fetch(self, digest: str) -> ApiKeyRecord | None:
        self.queries += 1
        await asyncio.sleep(0.01)
        return self.rows.get(digest)


async def test_hits_within_the_ttl_then_sees_the_revocation() -> None:
    table, secret = Table(), new_secret()
    table.rows[hash_secret(secret)] = record()
    cache = CachedKeyLookup(table.fetch, ttl_s=0.2, max_entries=10)
    assert (await cache.find(secret)) is not None
    table.rows[hash_secret(secret)] = record(revoked=True)
    assert (await cache.find(secret)) is not None and table.queries == 1  # still cached
    began = time.monotonic()
    while (found := await cache.find(secret)) is not None and found.active:
        assert time.monotonic() - began < 2
        await asyncio.sleep(0.02)
    assert time.monotonic() - began < 0.5


async def test_unknown_keys_are_cached_too_and_misses_share_one_query() -> None:
    table = Table()
    cache = CachedKeyLookup(table.fetch, ttl_s=5, max_entries=10)
    secret = new_secret()
    results = await asyncio.gather(*(cache.find(secret) for _ in range(20)))
    assert results == [None] * 20 and table.queries == 1
    assert await cache.find(secret) is None and table.queries == 1


async def test_size_is_bounded() -> None:
    table = Table()
    cache = CachedKeyLookup(table.fetch, ttl_s=5, max_entries=3)
    secrets = [new_secret() for _ in range(5)]
    for secret in secrets:
        await cache.find(secret)
    await cache.find(secrets[0])
    assert table.queries == 6  # the oldest entry was dropped
