"""Accepted jobs marked as published in the database in batches, off the Evaluate answer's path.

The mark only tells the reconciler which stored jobs still need publishing (`published_at IS NULL` for a while).
Awaiting it was the last of an Evaluate's database transactions; here one background task marks whatever was
published since its last round in one UPDATE. A mark that is lost (the process stops first, the database is out)
costs a second publish of the job by the reconciler, which JetStream drops within its duplicate window and the
worker ignores after it: the same outcome as the awaited mark failing, which the job service already tolerated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

log = logging.getLogger(__name__)

MAX_BATCH: Final = 500
MAX_PENDING: Final = 10_000  # past it the oldest marks are forgotten: the reconciler covers those jobs
CLOSE_TIMEOUT_S: Final = 5.0

MarkMany = Callable[[list[str]], Awaitable[None]]


class PublishedMarks:
    def __init__(self, mark_many: MarkMany, max_batch: int = MAX_BATCH, max_pending: int = MAX_PENDING) -> None:
        self._mark_many = mark_many
        self._max_batch = max_batch
        self._pending: deque[str] = deque(maxlen=max_pending)
        self._ready = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="published-marks")

    def add(self, job_id: str) -> None:
        self._pending.append(job_id)
        self._ready.set()

    async def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Mark what is pending (within the timeout), then stop."""
        self._closing = True
        self._ready.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._ready.clear()
                await self._ready.wait()
                continue
            batch = [self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))]
            try:
                await self._mark_many(batch)
            except Exception:
                log.warning(
                    "could not mark %d jobs published; the reconciler publishes them again", len(batch), exc_info=True
                )
