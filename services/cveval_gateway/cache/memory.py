"""In-memory caches bounded by bytes, not by entry count.

An entry-count bound says nothing about memory when entries range from a 384-float vector to a long completion;
a byte budget does. cachetools does the LRU/TTL bookkeeping and accepts a per-value size, so only the accounting
and the metrics live here.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from cachetools import LRUCache, TTLCache

from cveval_gateway.observability import CACHE_BYTES, CACHE_EVICTIONS

K = TypeVar("K")
V = TypeVar("V")


def owner_digest(owner: str) -> str:
    """What the caches file an owner's entries under: its sha256, so the forgotten-owners log that every replica
    reads holds no document id (an erased candidate leaves no id behind), and the indexes match it directly."""
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()

# What CPython spends per entry besides the payload objects: cachetools keeps a data dict, a size dict and an LRU
# order per key, plus the key tuple and the value object. tracemalloc on 3.11 shows ~290 bytes; rounded up so the
# budget errs on the side of less memory.
ENTRY_OVERHEAD = 320


def sized(*parts: str | bytes) -> int:
    """Bytes of the variable-size parts of an entry (strings as their in-memory size) plus the fixed overhead."""
    return ENTRY_OVERHEAD + sum(sys.getsizeof(part) for part in parts)


class _LRU(LRUCache[K, V]):
    def __init__(self, name: str, maxsize: int, getsizeof: Callable[[V], float]) -> None:
        super().__init__(maxsize, getsizeof=getsizeof)
        self.name = name

    # cachetools documents popitem as the hook for eviction: it is called only to make room.
    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        CACHE_EVICTIONS.labels(self.name).inc()
        return item


class _TTL(TTLCache[K, V, float]):
    def __init__(
        self, name: str, maxsize: int, ttl: float, timer: Callable[[], float], getsizeof: Callable[[V], float]
    ) -> None:
        super().__init__(maxsize, ttl, timer, getsizeof)
        self.name = name

    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        CACHE_EVICTIONS.labels(self.name).inc()
        return item


class ByteBudgetCache(Generic[K, V]):
    """LRU (optionally with a TTL) whose budget is in bytes; a budget of 0 turns it into a cache that keeps nothing."""

    def __init__(
        self,
        name: str,
        budget_bytes: int,
        sizeof: Callable[[V], int],
        *,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.budget_bytes = budget_bytes
        maxsize = max(1, budget_bytes)
        self._data: LRUCache[K, V] | TTLCache[K, V, float] = (
            _LRU(name, maxsize, sizeof) if ttl_s is None else _TTL(name, maxsize, ttl_s, clock, sizeof)
        )
        self._publish()

    @property
    def enabled(self) -> bool:
        return self.budget_bytes > 0

    @property
    def currsize(self) -> int:
        return int(self._data.currsize)

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K) -> V | None:
        if not self.enabled:
            return None
        value = self._data.get(key)
        if isinstance(self._data, TTLCache):
            self._publish()  # a TTL lookup may have dropped expired entries
        return value

    def put(self, key: K, value: V) -> bool:
        """Keep `value`; False when it is larger than the whole budget (evicting everything for it would not pay)."""
        if not self.enabled:
            return False
        try:
            self._data[key] = value
        except ValueError:
            return False
        finally:
            self._publish()
        return True

    def pop(self, key: K) -> bool:
        """Drop one entry (a forgotten owner's); True when it was there."""
        found = self._data.pop(key, None) is not None
        self._publish()
        return found

    def clear(self) -> None:
        self._data.clear()
        self._publish()

    def _publish(self) -> None:
        CACHE_BYTES.labels(self.name).set(self._data.currsize)
