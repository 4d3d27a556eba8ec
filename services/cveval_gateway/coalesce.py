"""Single-flight: identical requests in flight at the same time share one upstream call.

The shared work runs as its own task (or is a future someone else completes), never inside a caller's task, so the
first caller leaving does not cancel what the others wait for; every caller waits through `asyncio.shield`, so its
own cancellation (deadline, client gone) ends only its wait. A finished flight leaves the table at once, success or
failure: results are kept by the caches, not here, and a failure is delivered to the callers of that flight only.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

from cveval_gateway.observability import COALESCED

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self, op: str) -> None:
        self.op = op
        self._flights: dict[K, asyncio.Future[V]] = {}
        self._tasks: set[asyncio.Task[V]] = set()

    def __len__(self) -> int:
        return len(self._flights)

    def __contains__(self, key: K) -> bool:
        return self.joinable(key) is not None

    def joinable(self, key: K) -> asyncio.Future[V] | None:
        """The flight for `key` a newcomer may join: running, or just finished with a result (never a failure)."""
        flight = self._flights.get(key)
        if flight is None:
            return None
        if flight.done() and (flight.cancelled() or flight.exception() is not None):
            return None
        return flight

    def join(self, key: K) -> asyncio.Future[V] | None:
        flight = self.joinable(key)
        if flight is not None:
            COALESCED.labels(self.op).inc()
        return flight

    def track(self, key: K, flight: asyncio.Future[V]) -> None:
        """Register a future that someone else completes (e.g. a micro-batch) as the flight for `key`."""
        self._flights[key] = flight
        flight.add_done_callback(functools.partial(self._landed, key))

    def lead(self, key: K, work: Callable[[], Coroutine[Any, Any, V]]) -> asyncio.Future[V]:
        task = asyncio.create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.track(key, task)
        return task

    def flight(self, key: K, work: Callable[[], Coroutine[Any, Any, V]]) -> tuple[asyncio.Future[V], bool]:
        """The flight for `key`, started with `work` when there is none; True when an existing one was joined."""
        joined = self.join(key)
        if joined is not None:
            return joined, True
        return self.lead(key, work), False

    async def do(self, key: K, work: Callable[[], Coroutine[Any, Any, V]]) -> V:
        flight, _ = self.flight(key, work)
        return await asyncio.shield(flight)

    async def aclose(self) -> None:
        """Cancel the flights this table started (shutdown): nobody will be there to read their results."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def _landed(self, key: K, flight: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            # Every waiter may have left already; reading the exception here keeps asyncio from logging
            # "exception was never retrieved" for a failure that was in fact handled (or nobody wanted).
            flight.exception()
