"""The path of an embedding request: distinct texts -> cache -> single-flight + micro-batch -> provider.

Every text is handled by its sha256 key from the start, and the answer is assembled by looking each index's key up
at the end, so duplicates, shuffles and partial hits cannot shift a vector to another text's index (the failure
LiteLLM users report for partially cached batches).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry import trace

from cveval_gateway.batching import EmbedBatcher
from cveval_gateway.cache.embeddings import Embedded, EmbeddingCache, pack, text_key
from cveval_gateway.observability import observed, provider_outcome
from cveval_gateway.providers.base import (
    EmbedResult,
    Provider,
    ProviderBadResponse,
    ProviderError,
    ProviderTimedOut,
    ProviderUnavailable,
)


@dataclass(frozen=True)
class Served:
    result: EmbedResult
    hits: int  # distinct texts served from a cache
    misses: int  # distinct texts that needed the provider
    coalesced: int  # of the misses, how many joined a call already queued or in flight


class CachedEmbedder:
    def __init__(
        self,
        provider: Provider,
        cache: EmbeddingCache,
        *,
        window_s: float = 0.002,
        max_batch: int = 256,
        max_timeout_s: float = 60.0,
    ) -> None:
        self.provider = provider
        self.cache = cache
        self.max_timeout_s = max_timeout_s
        self.batcher = EmbedBatcher(self._upstream, window_s=window_s, max_batch=max_batch)

    async def embed(self, model: str, texts: Sequence[str], timeout: float) -> Served:  # noqa: ASYNC109
        """Vectors in the order of `texts`; raises ProviderError (ProviderTimedOut when `timeout` runs out first)."""
        deadline = asyncio.get_running_loop().time() + timeout
        keys = [text_key(text) for text in texts]
        distinct = dict(zip(keys, texts, strict=True))
        found = await self.cache.lookup(model, list(distinct), timeout)
        missing = {key: text for key, text in distinct.items() if key not in found}
        fresh, coalesced = await self._fetch(model, missing, deadline) if missing else ({}, 0)
        while stale := _outside_space(found, fresh):
            # Cached vectors from another model version (a fallback, an upgrade) must not sit next to fresh ones
            # in one answer: their distances would mean nothing. Re-embed those texts now; each round drops
            # cached entries, and once a fresh vector sets the space, the next round settles it.
            redone, _ = await self._fetch(model, {key: distinct[key] for key in stale}, deadline)
            fresh = {**fresh, **redone}
            found = {key: entry for key, entry in found.items() if key not in stale}
        entries = {**found, **fresh}
        sample = next(iter(fresh.values()), None) or entries[keys[0]]
        result = EmbedResult(
            vectors=[entries[key].values() for key in keys],
            model=sample.model,
            provider=sample.provider,
            # Tokens this request made the provider read; cache hits cost none.
            prompt_tokens=sum(entry.tokens for entry in fresh.values()),
        )
        return Served(result, hits=len(found), misses=len(missing), coalesced=coalesced)

    async def aclose(self) -> None:
        await self.batcher.aclose()
        await self.cache.aclose()

    async def _fetch(self, model: str, texts: dict[bytes, str], deadline: float) -> tuple[dict[bytes, Embedded], int]:
        loop = asyncio.get_running_loop()
        pending, out, coalesced, retried = texts, dict[bytes, Embedded](), 0, False
        while pending:
            futures, joined = self.batcher.submit(model, pending, deadline)
            coalesced += len(joined)
            # asyncio.wait neither cancels the futures on timeout nor when this caller is cancelled: leaving is
            # this caller's business only, the batch goes on for the others and for the cache.
            _, late = await asyncio.wait(futures.values(), timeout=max(0.0, deadline - loop.time()))
            if late:
                raise ProviderTimedOut("no answer within the caller's budget")
            failures: dict[bytes, BaseException] = {}
            for key, future in futures.items():
                if future.cancelled():
                    failures[key] = ProviderUnavailable("the gateway is shutting down")
                elif (error := future.exception()) is not None:
                    failures[key] = error
                else:
                    out[key] = future.result()
            if not failures:
                break
            # A joined call may have had a shorter budget than ours: when that alone failed, try once on our own.
            retry = {key for key, error in failures.items() if key in joined and isinstance(error, ProviderTimedOut)}
            if retried or retry != failures.keys() or loop.time() >= deadline:
                raise next(iter(failures.values()))
            retried, pending = True, {key: pending[key] for key in retry}
        return out, coalesced

    async def _upstream(
        self, model: str, keys: list[bytes], texts: list[str], timeout: float, links: list[trace.Link]  # noqa: ASYNC109
    ) -> list[Embedded]:
        provider = self.provider
        caller_bound = timeout < self.max_timeout_s
        budget = min(timeout, self.max_timeout_s)
        async with observed("embed", provider.name, model, links) as obs:
            try:
                result = await provider.embed(model, texts, timeout=budget)
                if len(result.vectors) != len(texts) or not all(result.vectors):
                    raise ProviderBadResponse(f"expected {len(texts)} non-empty embeddings, got {len(result.vectors)}")
            except ProviderError as exc:
                obs.failed(provider_outcome(exc, caller_bound), exc.message)
                raise
            obs.succeeded(result.model, result.prompt_tokens)
        shares = token_shares(result.prompt_tokens, texts)
        entries = [
            Embedded(pack(vector), result.model, result.provider, share)
            for vector, share in zip(result.vectors, shares, strict=True)
        ]
        self.cache.keep(model, dict(zip(keys, entries, strict=True)))
        return entries


def token_shares(total: int, texts: Sequence[str]) -> list[int]:
    """Split a batch's token count over its texts by length; the shares add up to `total` exactly."""
    weights = [max(1, len(text)) for text in texts]
    whole = sum(weights)
    shares, cumulative, given = [], 0, 0
    for weight in weights:
        cumulative += weight
        upto = total * cumulative // whole
        shares.append(upto - given)
        given = upto
    return shares


def _outside_space(found: dict[bytes, Embedded], fresh: dict[bytes, Embedded]) -> set[bytes]:
    """Keys of cached vectors outside the answer's vector space: the fresh vectors' one, else the most common."""
    fresh_spaces = {(entry.model, entry.dims) for entry in fresh.values()}
    if len(fresh_spaces) > 1:
        raise ProviderBadResponse("the embedding model changed while the request was served")
    spaces = Counter((entry.model, entry.dims) for entry in found.values())
    if not fresh_spaces and len(spaces) < 2:
        return set()
    space = next(iter(fresh_spaces)) if fresh_spaces else spaces.most_common(1)[0][0]
    return {key for key, entry in found.items() if (entry.model, entry.dims) != space}
