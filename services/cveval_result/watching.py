"""WatchResult's fan-out: one feed per watched job, shared by every watcher of that job.

Per job rather than per watcher (decision record 0031): with 1,000 watchers each re-reading its job every 2 s, the
process woke 1,000 coroutines every interval (a burst a status event could queue behind), and each watcher built
its own message for every change. A feed holds the job's one event subscription and one re-check timer, turns
each status change into one view, and hands that view (and the message rendered from it, once) to all the job's
watchers. The periodic re-check runs only when no event arrived for the job within the interval: events carry the
status, so the re-check is only there for an event that was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, Protocol, TypeVar

from cveval_result.adapters.events import StatusChange, Wakeups

TERMINAL = frozenset({"completed", "failed"})
_FOREVER_S = 3600.0  # waiting for an event while a re-read runs: the read ends first, or the event does


class StatusEvents(Protocol):
    def subscribe(self, job_id: str) -> AbstractAsyncContextManager[Wakeups]: ...


class Status(Protocol):
    """What a feed needs of a view: its status (ResultView)."""

    @property
    def status(self) -> str: ...


V = TypeVar("V", bound=Status)
M = TypeVar("M")


class JobFeed(Generic[V]):
    """The latest view of one job, read once per change, with a version its watchers wait on."""

    def __init__(self, job_id: str, read: Callable[[], Awaitable[V]], from_event: Callable[[StatusChange], V | None],
                 recheck_s: float) -> None:
        self.job_id = job_id
        self.read = read
        self.from_event = from_event
        self.recheck_s = recheck_s
        self.current: V | None = None
        self.version = 0
        self.failure: BaseException | None = None
        self.watchers = 0
        self._changed = asyncio.Event()
        self._rendered: tuple[V, Callable[[V], Any], Any] | None = None
        self.task: asyncio.Task[None] | None = None

    async def follow(self, events: StatusEvents) -> None:
        """Subscribe first, then read, so that no change between the read and the subscription is missed."""
        try:
            async with events.subscribe(self.job_id) as wakeups:
                self._publish(await self.read())
                while self.current is not None and self.current.status not in TERMINAL:
                    view = await self._next_view(wakeups)
                    if view.status != self.current.status:
                        self._publish(view)
        except Exception as exc:  # handed to every watcher, each raises it (NotFound, Unavailable, ...)
            self.failure = exc
            self._wake()

    async def _next_view(self, wakeups: Wakeups) -> V:
        """The state after the next event, or re-read when none came within the interval (a lost event).

        An event's status is the new state; a completed job's result, and the state after an unreadable event, are
        read (the result is in memory once stored). An event that arrives while a re-read waits on the job service
        wins over it: delivery never waits behind the periodic re-check."""
        change = await wakeups.next(self.recheck_s)
        while True:
            view = self.from_event(change) if change is not None else None
            if view is not None:
                return view
            reading = asyncio.ensure_future(self.read())
            waiting = asyncio.ensure_future(wakeups.next(_FOREVER_S))
            try:
                await asyncio.wait({reading, waiting}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                # Neither outlives this round; a cancelled wait leaves its event queued (asyncio.Queue.get).
                for pending in (reading, waiting):
                    if not pending.done():
                        pending.cancel()
            if waiting.done() and not waiting.cancelled():
                _ignore_outcome(reading)  # an event came (with the read or before it): it is as new, and wins
                change = waiting.result()
                continue
            return reading.result()

    def _publish(self, view: V) -> None:
        self.current = view
        self._wake()

    def _wake(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def after(self, version: int) -> tuple[int, V]:
        """The first view newer than `version` (waiting for it), or the feed's failure raised."""
        while self.version == version:
            await self._changed.wait()
        if self.failure is not None:
            raise self.failure
        assert self.current is not None  # a version past 0 is a view or a failure
        return self.version, self.current

    def rendered(self, view: V, render: Callable[[V], M]) -> M:
        """`render(view)` built once per change and shared by the job's watchers (they only read it)."""
        memo = self._rendered
        if memo is not None and memo[0] is view and memo[1] is render:
            return memo[2]  # typed Any: stored below by this same render
        message = render(view)
        self._rendered = (view, render, message)
        return message


class JobFeeds(Generic[V]):
    """The feeds of the jobs being watched, keyed by tenant and job id; a feed ends with its last watcher."""

    def __init__(self, events: StatusEvents, recheck_s: float) -> None:
        self.events = events
        self.recheck_s = recheck_s
        self._feeds: dict[tuple[str, str], JobFeed[V]] = {}

    def __len__(self) -> int:
        return len(self._feeds)

    @contextlib.asynccontextmanager
    async def join(self, tenant: str, job_id: str, read: Callable[[], Awaitable[V]],
                   from_event: Callable[[StatusChange], V | None]) -> AsyncIterator[JobFeed[V]]:
        key = (tenant, job_id)
        feed = self._feeds.get(key)
        if feed is None or feed.failure is not None:
            feed = JobFeed(job_id, read, from_event, self.recheck_s)
            feed.task = asyncio.create_task(feed.follow(self.events), name=f"watch {job_id}")
            self._feeds[key] = feed
        feed.watchers += 1
        try:
            yield feed
        finally:
            feed.watchers -= 1
            if feed.watchers == 0:
                if self._feeds.get(key) is feed:
                    del self._feeds[key]
                if feed.task is not None:
                    feed.task.cancel()


def _ignore_outcome(task: asyncio.Future[Any]) -> None:
    """A superseded read's failure is not this feed's (it is retried at the next re-check), nor worth a warning."""
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
