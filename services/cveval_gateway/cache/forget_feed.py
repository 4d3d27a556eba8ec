"""Every replica forgets what any replica was told to forget.

A Forget call (a deleted document or candidate) reaches one gateway replica through the Service; it deletes the
stored vectors and logs the owners in `gateway.forgotten_owners`. Each replica follows that log and drops its own
in-memory copies (embeddings and completions) within one poll interval. PostgreSQL rather than a NATS subject:
the gateway already has the database and no NATS connection, and a log survives a replica that was briefly away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from cveval_gateway.observability import CACHE_ERRORS

log = logging.getLogger(__name__)

BATCH = 1000
KEEP_S = 3600.0  # how long log rows are kept; a replica that could not read the log for half of it clears its memory
PRUNE_EVERY = 500  # polls between two prunes of old rows


class ForgottenOwners(Protocol):
    async def last_forgotten(self) -> int: ...

    async def forgotten_after(self, after: int, limit: int) -> list[tuple[int, str]]: ...

    async def prune_forgotten(self, older_than_s: float) -> int: ...


async def follow_forgotten(
    source: ForgottenOwners,
    drop: Callable[[Sequence[str]], int],
    clear: Callable[[], None],
    interval_s: float,
    *,
    keep_s: float = KEEP_S,
) -> None:
    """Poll the log for ever (cancel to stop). `drop` removes the memory copies of owners named by digest and says
    how many went; `clear` empties the memory caches when the log could not be read for half of `keep_s`, since
    rows this replica never read may be pruned by then."""
    last: int | None = None
    polls = 0
    read_at = time.monotonic()
    while True:
        try:
            if last is None:
                last = await source.last_forgotten()  # what came before this replica started is not in its memory
            else:
                last = await _read_and_drop(source, drop, last)
            read_at = time.monotonic()
            polls += 1
            if polls % PRUNE_EVERY == 0:
                await source.prune_forgotten(keep_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            CACHE_ERRORS.labels("embedding_db", "forget_feed").inc()
            log.warning("forget feed: reading forgotten owners failed: %s", type(exc).__name__)
            if time.monotonic() - read_at > keep_s / 2:
                clear()
                last, read_at = None, time.monotonic()
                log.warning("forget feed: the log was out of reach too long; memory caches cleared")
        await asyncio.sleep(interval_s)


async def _read_and_drop(source: ForgottenOwners, drop: Callable[[Sequence[str]], int], last: int) -> int:
    while True:
        rows = await source.forgotten_after(last, BATCH)
        if not rows:
            return last
        dropped = drop(sorted({digest for _, digest in rows}))
        last = rows[-1][0]
        log.info("forget feed: dropped %d memory entries of %d forgotten owners", dropped, len(rows))
        if len(rows) < BATCH:
            return last
