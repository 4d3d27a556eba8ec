"""A short in-process cache in front of the key table, so a valid call costs a dict lookup, not a query.

Found and unknown keys are both cached for `ttl_s` seconds: a flood of bad keys costs one query per key per TTL,
and a revoked key stops working within the TTL (the price of not querying on every call). Concurrent misses for
the same key share one query.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from cveval_auth import metrics
from cveval_auth.domain.keys import ApiKeyRecord, hash_secret

Fetch = Callable[[str], Awaitable[ApiKeyRecord | None]]


class CachedKeyLookup:
    def __init__(self, fetch: Fetch, *, ttl_s: float, max_entries: int, pepper: bytes = b"") -> None:
        self._fetch = fetch
        self._ttl = ttl_s
        self._max = max_entries
        self._pepper = pepper
        self._entries: OrderedDict[str, tuple[float, ApiKeyRecord | None]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[ApiKeyRecord | None]] = {}

    async def find(self, secret: str) -> ApiKeyRecord | None:
        digest = hash_secret(secret, self._pepper)
        now = time.monotonic()
        entry = self._entries.get(digest)
        if entry is not None and entry[0] > now:
            metrics.CACHE_HITS.inc()
            return entry[1]
        metrics.CACHE_MISSES.inc()
        pending = self._pending.get(digest)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ApiKeyRecord | None] = asyncio.get_running_loop().create_future()
        self._pending[digest] = future
        try:
            record = await self._fetch(digest)
            self._store(digest, record)
            future.set_result(record)
            return record
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited future logs nothing
            raise
        finally:
            del self._pending[digest]

    def _store(self, digest: str, record: ApiKeyRecord | None) -> None:
        self._entries[digest] = (time.monotonic() + self._ttl, record)
        self._entries.move_to_end(digest)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
