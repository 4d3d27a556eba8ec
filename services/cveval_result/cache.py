"""In-memory caches of the result service's read path: completed results, and the state of jobs in flight.

A completed result never changes, so the hot poll (`GET /v1/result/{id}` until the job ends, then again by
dashboards) need not read PostgreSQL every time. Entries are keyed by tenant and job id and carry the submitter, so
the access rule (`may_read`) is still applied on every read, exactly as for a row from the database. Two ways an
entry can go away besides eviction: `DeleteResults` (erasure, retention) drops it at once in this process and
announces the erased job ids to every other replica over NATS (`adapters/erasures.py`), and every entry expires
after `ttl_s`, which bounds how long another replica could still serve an erased result should that announcement
be lost.

The in-flight state (queued / processing / failed, or "no such job") comes from the job service once, then follows
the job status events this service already hears on NATS; events are best effort, so an entry is also re-read after
`ttl_s` (the same bound WatchResult uses when an event is lost).

Hand-written rather than a library: an OrderedDict LRU with a TTL is a dozen lines, and the libraries (cachetools)
would add a dependency for the same dozen lines without the per-tenant keying.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cveval.result.v1 import result_pb2

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlLru(Generic[K, V]):
    """A bounded LRU map whose entries also expire `ttl_s` after they were put."""

    def __init__(self, max_entries: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if self.clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if self.max_entries <= 0:
            return
        self._entries[key] = (self.clock() + self.ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def drop(self, key: K) -> None:
        self._entries.pop(key, None)

    def drop_where(self, doomed: Callable[[K], bool]) -> None:
        """Drop every entry whose key matches (a deletion: rare, so a scan is fine)."""
        for key in [k for k in self._entries if doomed(k)]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class CachedResult:
    result: result_pb2.EvaluationResult
    submitted_by: str
    cv_id: str
    etag: str


def etag_of(payload: bytes) -> str:
    """A strong validator of the stored bytes (the result is written once, so the bytes never change)."""
    return '"' + hashlib.blake2b(payload, digest_size=12).hexdigest() + '"'


@dataclass(frozen=True)
class InFlight:
    """A job without a result yet as the job service last said (or as its events said since). `status` "" means the
    job service does not know the job in this tenant."""

    tenant: str
    status: str
    submitted_by: str = ""
    error_code: str = ""
    error_message: str = ""
    cv_id: str = ""


class SingleFlight(Generic[K, V]):
    """Concurrent callers for one key share the first caller's call: when a job changes state or its cached state
    expires, all its watchers and pollers miss at once, and they share one read instead of each making its own (100
    watchers of one job made 100 job-service calls every re-check)."""

    def __init__(self) -> None:
        self._pending: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(call())
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: a caller that goes away (a closed stream) does not cancel the others' read.
        return await asyncio.shield(pending)

    def _forget(self, key: K, done: asyncio.Future[V]) -> None:
        if self._pending.get(key) is done:
            del self._pending[key]
