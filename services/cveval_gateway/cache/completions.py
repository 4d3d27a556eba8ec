"""The completion cache: answers to deterministic chat requests, for a while, in memory.

Only deterministic requests (temperature 0 or a fixed seed) are cached: for any other, a second answer is meant to
differ. Memory only, not PostgreSQL: the prompts inline whole CVs and project reports, so a durable copy of every
answer would be a second, unpurged store of candidate data; the TTL is short (1 h by default), so a restart loses
little; and the scores built from these answers are stored by the result service anyway. The payoff of the cache
is within that hour: a redelivered job or a retried request gets the same answer again without paying for it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence

from cachetools import TTLCache

from cveval_gateway.cache.memory import ByteBudgetCache, owner_digest, sized
from cveval_gateway.observability import CACHE_REQUESTS
from cveval_gateway.providers.base import ChatCall, ChatResult, ProviderInvalidOutput

NAME = "completion"
MAX_TAGGED_OWNERS = 100_000
MAX_FAILURES = 10_000
DEFAULT_FAILURE_TTL_S = 600.0


def is_deterministic(temperature: float, seed: int | None) -> bool:
    return temperature == 0.0 or seed is not None


def completion_key(call: ChatCall) -> bytes:
    """sha256 over everything that shapes the answer; the time budget does not."""
    schema = call.json_schema
    if schema is not None:
        # Key order and whitespace do not change what the schema asks for.
        schema = json.dumps(json.loads(schema), sort_keys=True, separators=(",", ":"))
    canonical = json.dumps(
        [call.model, [[role, content] for role, content in call.messages], call.temperature, call.max_tokens,
         schema, call.seed],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def _size(result: ChatResult) -> int:
    return sized(result.content, result.model, result.provider, b"\0" * 32)


class CompletionCache:
    def __init__(
        self,
        budget_bytes: int,
        ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        failure_ttl_s: float = DEFAULT_FAILURE_TTL_S,
    ) -> None:
        self.memory: ByteBudgetCache[bytes, ChatResult] = ByteBudgetCache(
            NAME, budget_bytes, _size, ttl_s=ttl_s, clock=clock
        )
        # A deterministic request whose answers were unusable (schema broken after re-asks, or cut off twice) is
        # answered the same way again for a while: a redelivered job does not pay the same failing calls again.
        # Short-lived, since a model update or a changed limit may fix it; 0 turns it off.
        self._failures: TTLCache[bytes, ProviderInvalidOutput, float] | None = (
            TTLCache(MAX_FAILURES, failure_ttl_s, clock) if failure_ttl_s > 0 else None
        )
        # Owner digest -> keys of answers to prompts that carried its text; it ages like the answers themselves.
        self._owned: TTLCache[str, set[bytes], float] = TTLCache(MAX_TAGGED_OWNERS, ttl_s, clock)

    def tag(self, key: bytes, owners: Sequence[str]) -> None:
        for digest in map(owner_digest, owners):
            bucket = self._owned.get(digest) or set()
            bucket.add(key)
            self._owned[digest] = bucket

    def forget(self, owners: Sequence[str]) -> int:
        """Drop every cached answer whose prompt carried these owners' texts; how many were dropped."""
        return self.forget_digests([owner_digest(o) for o in owners])

    def clear(self) -> None:
        """Drop every cached answer and remembered failure."""
        self._owned.clear()
        self.memory.clear()
        if self._failures is not None:
            self._failures.clear()

    def forget_digests(self, digests: Sequence[str]) -> int:
        """`forget`, for owners named by their digests (as the forgotten-owners log names them)."""
        dropped = 0
        for digest in digests:
            for key in self._owned.pop(digest, set()):
                dropped += int(self.memory.pop(key))
                if self._failures is not None:
                    self._failures.pop(key, None)
        return dropped

    def get(self, key: bytes) -> ChatResult | None:
        found = self.memory.get(key)
        CACHE_REQUESTS.labels(NAME, "miss" if found is None else "hit").inc()
        return found

    def put(self, key: bytes, result: ChatResult) -> None:
        self.memory.put(key, result)

    def failure(self, key: bytes) -> ProviderInvalidOutput | None:
        """The remembered unusable-answer failure of this request, if it failed recently."""
        return None if self._failures is None else self._failures.get(key)

    def put_failure(self, key: bytes, failure: ProviderInvalidOutput) -> None:
        if self._failures is not None:
            self._failures[key] = failure

    def bypassed(self) -> None:
        """Count a request that is not eligible (not deterministic), so hit ratios can be read against all traffic."""
        CACHE_REQUESTS.labels(NAME, "bypass").inc()
