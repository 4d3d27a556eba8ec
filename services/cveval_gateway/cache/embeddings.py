"""The embedding cache: a byte-bounded LRU in memory in front of an optional PostgreSQL store.

Keys are (model, sha256 of the text): the text itself is never kept, so a cache full of CV sentences holds no CV
text, and a key costs 32 bytes whatever the text's length. Vectors are kept as packed little-endian float32 bytes,
the precision the gRPC API sends anyway (`repeated float`): 4 bytes a dimension instead of ~32 for a list of Python
floats, and a vector served from the cache is bit-identical to the one served fresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from cachetools import LRUCache

from cveval_gateway.cache.memory import ByteBudgetCache, owner_digest, sized
from cveval_gateway.observability import CACHE_ERRORS, CACHE_REQUESTS

log = logging.getLogger(__name__)

MEMORY = "embedding_memory"
DATABASE = "embedding_db"
_FLOAT32 = np.dtype("<f4")
_KEY_SHAPE = bytes(32)  # stands for a sha256 key when sizing an entry
# Owners whose keys are remembered in memory; beyond it the least recently tagged are forgotten from the index (the
# PostgreSQL index still finds their stored rows, and their memory entries age out of the LRU).
MAX_TAGGED_OWNERS: Final = 100_000


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def pack(values: Sequence[float]) -> bytes:
    return np.asarray(values, dtype=_FLOAT32).tobytes()


@dataclass(frozen=True, slots=True)
class Embedded:
    """One text's vector, the model and provider that produced it, and its share of the upstream call's tokens."""

    vector: bytes  # little-endian float32
    model: str
    provider: str
    tokens: int = 0

    @property
    def dims(self) -> int:
        return len(self.vector) // _FLOAT32.itemsize

    def values(self) -> list[float]:
        return np.frombuffer(self.vector, dtype=_FLOAT32).tolist()


def entry_size(entry: Embedded) -> int:
    # The vector, the 32-byte key and the names (rows read from PostgreSQL each carry their own string objects).
    return sized(entry.vector, entry.model, entry.provider, _KEY_SHAPE)


class VectorStore(Protocol):
    """Durable (model, key) -> vector storage shared by every replica."""

    async def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, Embedded]: ...

    async def put_many(self, model: str, entries: Mapping[bytes, Embedded]) -> None: ...

    async def tag(self, model: str, keys: Sequence[bytes], owners: Sequence[str]) -> None:
        """Record that these keys were computed from these owners' texts."""

    async def forget(self, owners: Sequence[str]) -> list[tuple[str, bytes]]:
        """Delete the owners' entries and tags; the (model, key) pairs deleted."""

    async def aclose(self) -> None: ...


class EmbeddingCache:
    def __init__(
        self,
        budget_bytes: int,
        store: VectorStore | None = None,
        *,
        read_timeout_s: float = 2.0,
        max_pending_writes: int = 64,
    ) -> None:
        self.memory: ByteBudgetCache[tuple[str, bytes], Embedded] = ByteBudgetCache(MEMORY, budget_bytes, entry_size)
        self.store = store
        self.read_timeout_s = read_timeout_s
        self.max_pending_writes = max_pending_writes
        self._writes: set[asyncio.Task[None]] = set()
        self._owned: LRUCache[str, set[tuple[str, bytes]]] = LRUCache(MAX_TAGGED_OWNERS)

    async def tag(self, model: str, keys: Sequence[bytes], owners: Sequence[str]) -> None:
        """File the keys under their owners (documents whose text they came from), in memory and PostgreSQL.
        Awaited, unlike `keep`: an untagged stored vector could never be forgotten."""
        if not owners or not keys:
            return
        for digest in map(owner_digest, owners):
            bucket = self._owned.get(digest) or set()
            bucket.update((model, key) for key in keys)
            self._owned[digest] = bucket
        if self.store is not None:
            try:
                await self.store.tag(model, keys, owners)
            except Exception as exc:
                CACHE_ERRORS.labels(DATABASE, "tag").inc()
                log.warning("embedding cache: tagging %d keys failed: %s", len(keys), _describe(exc))

    async def forget(self, owners: Sequence[str]) -> int:
        """Drop every cached vector of these owners, from memory and PostgreSQL; how many (model, key) pairs."""
        await self.flush()  # a pending write must not bring back a vector just forgotten
        pairs: set[tuple[str, bytes]] = set()
        for digest in map(owner_digest, owners):
            pairs |= self._owned.pop(digest, set())
        if self.store is not None:
            pairs |= set(await self.store.forget(owners))
        for pair in pairs:
            self.memory.pop(pair)
        return len(pairs)

    def clear_memory(self) -> None:
        """Drop every memory copy: this replica lost track of what others forgot."""
        self._owned.clear()
        self.memory.clear()

    def drop_from_memory(self, digests: Sequence[str]) -> int:
        """Drop this replica's memory copies of the vectors of owners named by their digests (another replica
        deleted the stored rows)."""
        dropped = 0
        for digest in digests:
            for pair in self._owned.pop(digest, set()):
                dropped += int(self.memory.pop(pair))
        return dropped

    async def lookup(self, model: str, keys: Sequence[bytes], budget_s: float) -> dict[bytes, Embedded]:
        """Cached vectors of distinct `keys`: memory first, then one PostgreSQL query for the rest."""
        found: dict[bytes, Embedded] = {}
        missing: list[bytes] = []
        for key in keys:
            entry = self.memory.get((model, key))
            if entry is None:
                missing.append(key)
            else:
                found[key] = entry
        _count(MEMORY, len(found), len(missing))
        if not missing or self.store is None:
            return found
        rows = await self._read(model, missing, budget_s)
        _count(DATABASE, len(rows), len(missing) - len(rows))
        for key, entry in rows.items():
            self.memory.put((model, key), entry)
            found[key] = entry
        return found

    def keep(self, model: str, entries: Mapping[bytes, Embedded]) -> None:
        """Remember fresh vectors: in memory now, in PostgreSQL in the background (the caller never waits for it)."""
        for key, entry in entries.items():
            self.memory.put((model, key), entry)
        if self.store is None or not entries:
            return
        if len(self._writes) >= self.max_pending_writes:
            # A slow database must not turn into unbounded memory held by queued writes.
            CACHE_ERRORS.labels(DATABASE, "write_dropped").inc()
            log.warning("embedding cache: %d writes pending, dropping a write of %d vectors", len(self._writes),
                        len(entries))
            return
        task = asyncio.create_task(self._write(self.store, model, dict(entries)))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def flush(self) -> None:
        """Wait for the background writes started so far (tests, shutdown)."""
        while self._writes:
            await asyncio.wait(set(self._writes))

    async def aclose(self, grace_s: float = 5.0) -> None:
        if self._writes:
            _, late = await asyncio.wait(set(self._writes), timeout=grace_s)
            for task in late:
                task.cancel()
        if self.store is not None:
            await self.store.aclose()

    async def _read(self, model: str, keys: list[bytes], budget_s: float) -> dict[bytes, Embedded]:
        try:
            async with asyncio.timeout(max(0.0, min(self.read_timeout_s, budget_s))):
                return await self.store.get_many(model, keys) if self.store else {}
        except Exception as exc:  # a cache that cannot be read is a miss, never a failed request
            CACHE_ERRORS.labels(DATABASE, "read").inc()
            log.warning("embedding cache read failed (%s); embedding %d texts upstream", _describe(exc), len(keys))
            return {}

    @staticmethod
    async def _write(store: VectorStore, model: str, entries: dict[bytes, Embedded]) -> None:
        try:
            await store.put_many(model, entries)
        except Exception as exc:  # the vectors were served already; losing the copy costs a re-embed
            CACHE_ERRORS.labels(DATABASE, "write").inc()
            log.warning("embedding cache write of %d vectors failed: %s", len(entries), _describe(exc))


def _count(cache: str, hits: int, misses: int) -> None:
    if hits:
        CACHE_REQUESTS.labels(cache, "hit").inc(hits)
    if misses:
        CACHE_REQUESTS.labels(cache, "miss").inc(misses)


def _describe(exc: BaseException) -> str:
    # The exception type is enough to act on; a driver message may carry SQL and parameters.
    return "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
