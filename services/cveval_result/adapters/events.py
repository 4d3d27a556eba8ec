"""Job status events from core NATS: one subscription for every job, fanned out in this process.

One wildcard subscription rather than one per watcher: 1,000 watchers cost 1,000 small queues here instead of 1,000
subscriptions (interest updates, a task and a pending queue each) in the client and the server. Each event first goes
to the listener (the in-flight cache, so the state a woken watcher reads is already the new one), then wakes that
job's feed (services/cveval_result/watching.py) with the status the event carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger(__name__)

# (job id, status, error code, error message)
StatusListener = Callable[[str, str, str, str], None]


@dataclass(frozen=True)
class StatusChange:
    """What a job status event said; status "" when it could not be read (the state is then re-read)."""

    status: str
    error_code: str = ""
    error_message: str = ""


UNREADABLE = StatusChange("")


class Wakeups:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[StatusChange] = asyncio.Queue(maxsize=16)

    def notify(self, change: StatusChange = UNREADABLE) -> None:
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            # Far behind: the queued changes collapse into one re-read of the state, which is the latest anyway.
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(UNREADABLE)

    async def next(self, within: float) -> StatusChange | None:
        """The next event's change, or None when none arrived within `within` (the caller then re-reads)."""
        try:
            async with asyncio.timeout(within):  # no task per wait, unlike wait_for
                return await self._queue.get()
        except TimeoutError:
            return None


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
        try:
            body = json.loads(msg.data)
            error = body.get("error") or {}
            change = StatusChange(str(body["status"]), str(error.get("code", "")), str(error.get("message", "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("a job status event that is not one was ignored (subject %s)", msg.subject)
            change = UNREADABLE
        if self.listener is not None and change.status:
            self.listener(job_id, change.status, change.error_code, change.error_message)
        for wakeups in self._watchers.get(job_id, ()):
            wakeups.notify(change)

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
