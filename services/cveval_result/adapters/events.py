"""Job status events from core NATS: a wake-up signal per job for WatchResult."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg


class Wakeups:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[None] = asyncio.Queue(maxsize=16)

    def notify(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    async def wait(self, within: float) -> bool:
        """True when an event arrived, False on timeout (the caller then re-reads the state anyway)."""
        try:
            await asyncio.wait_for(self._queue.get(), within)
        except TimeoutError:
            return False
        return True


class NatsStatusEvents:
    def __init__(self, nc: NatsClient, subject_prefix: str) -> None:
        self.nc = nc
        self.prefix = subject_prefix

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[Wakeups]:
        wakeups = Wakeups()

        async def on_message(_: Msg) -> None:
            wakeups.notify()

        sub = await self.nc.subscribe(f"{self.prefix}.{job_id}", cb=on_message)
        try:
            yield wakeups
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
