"""Job status events from core NATS: one subscription for every job, fanned out in this process.

One wildcard subscription rather than one per watcher: 1,000 watchers cost 1,000 small queues here instead of 1,000
subscriptions (interest updates, a task and a pending queue each) in the client and the server. Each event first goes
to the listener (the in-flight cache, so the state a woken watcher reads is already the new one), then wakes that
job's watchers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger(__name__)

# (job id, status, error code, error message)
StatusListener = Callable[[str, str, str, str], None]


class Wakeups:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[None] = asyncio.Queue(maxsize=16)

    def notify(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    async def wait(self, within: float) -> bool:
        """True when an event arrived, False on timeout (the caller then re-reads the state anyway)."""
        try:
            async with asyncio.timeout(within):  # no task per wait, unlike wait_for: 1,000 watchers wait at once
                await self._queue.get()
        except TimeoutError:
            return False
        return True


class NatsStatusEvents:
    def __init__(self, nc: NatsClient, subject_prefix: str) -> None:
        self.nc = nc
        self.prefix = subject_prefix
        self.listener: StatusListener | None = None
        self._watchers: dict[str, set[Wakeups]] = {}
        self._sub: Subscription | None = None

    async def start(self, listener: StatusListener | None = None) -> None:
        self.listener = listener
        self._sub = await self.nc.subscribe(f"{self.prefix}.*", cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        job_id = msg.subject.rsplit(".", 1)[-1]
        if self.listener is not None:
            try:
                body = json.loads(msg.data)
                error = body.get("error") or {}
                self.listener(job_id, str(body["status"]), str(error.get("code", "")), str(error.get("message", "")))
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("a job status event that is not one was ignored (subject %s)", msg.subject)
        for wakeups in self._watchers.get(job_id, ()):
            wakeups.notify()

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[Wakeups]:
        wakeups = Wakeups()
        self._watchers.setdefault(job_id, set()).add(wakeups)
        try:
            yield wakeups
        finally:
            watchers = self._watchers.get(job_id)
            if watchers is not None:
                watchers.discard(wakeups)
                if not watchers:
                    del self._watchers[job_id]
