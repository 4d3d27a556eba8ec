"""The forget feed: owners forgotten before a replica started are skipped, later ones dropped once, errors survived."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cveval_gateway.cache.forget_feed import follow_forgotten


class Log:
    def __init__(self) -> None:
        self.rows: list[tuple[int, str]] = [(1, "t/old")]
        self.failures = 0

    async def last_forgotten(self) -> int:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database away")
        return self.rows[-1][0] if self.rows else 0

    async def forgotten_after(self, after: int, limit: int) -> list[tuple[int, str]]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database away")
        return [row for row in self.rows if row[0] > after][:limit]

    async def prune_forgotten(self, older_than_s: float) -> int:
        return 0


async def test_later_owners_are_dropped_once_and_errors_do_not_stop_the_feed() -> None:
    log, dropped, seen = Log(), [], asyncio.Event()

    def drop(owners: Sequence[str]) -> int:
        dropped.append(list(owners))
        seen.set()
        return len(owners)

    cleared: list[bool] = []
    feed = asyncio.create_task(follow_forgotten(log, drop, lambda: cleared.append(True), 0.001))
    try:
        await asyncio.sleep(0.02)
        log.failures = 2
        log.rows += [(2, "t/new"), (3, "t/new"), (4, "t/other")]
        await asyncio.wait_for(seen.wait(), 10.0)
        await asyncio.sleep(0.02)
    finally:
        feed.cancel()
    assert dropped == [["t/new", "t/other"]]
    assert log.failures == 0 and not cleared  # two failed reads are far from the stale bound


async def test_a_replica_that_cannot_read_the_log_for_long_clears_its_memory() -> None:
    log, cleared = Log(), asyncio.Event()
    log.failures = 1_000_000
    feed = asyncio.create_task(follow_forgotten(log, lambda owners: 0, cleared.set, 0.001, keep_s=0.05))
    try:
        await asyncio.wait_for(cleared.wait(), 10.0)
    finally:
        feed.cancel()
