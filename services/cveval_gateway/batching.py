"""Micro-batching of embeddings: texts arriving within a short window share one upstream call.

Providers price and rate-limit per request and answer a 100-text batch about as fast as a 1-text one, so the
worker's many small Embed calls are merged. Merging is opportunistic: while no upstream call of a model is in flight
texts go out at once (an idle gateway makes nobody wait for company that is not coming); while one is, texts queue
and the first opens a window (2 ms by default), and when it closes, or when the batch limit is reached, everything
queued goes upstream at once. Each text carries its own
future, so results are split back by text, a failed upstream call fails only the texts that were in it, and a
caller that leaves stops waiting without taking anything from the others (the call runs in a task of its own).

Texts are also single-flighted here: a text queued or in flight for the same model is joined, not sent again, so
two concurrent requests sharing a text embed it once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from opentelemetry import trace

from cveval_gateway.cache.embeddings import Embedded
from cveval_gateway.coalesce import SingleFlight
from cveval_gateway.observability import BATCH_SIZE
from cveval_gateway.providers.base import ProviderBadResponse, ProviderTimedOut

log = logging.getLogger(__name__)

# upstream(model, keys, texts, timeout_s, links) -> one Embedded per text, in order.
Upstream = Callable[[str, list[bytes], list[str], float, list[trace.Link]], Awaitable[list[Embedded]]]

_MAX_LINKS = 64  # span links per merged call; enough to find the callers, bounded so a span stays small


@dataclass(slots=True)
class _Item:
    key: bytes
    text: str
    future: asyncio.Future[Embedded]
    deadline: float  # loop time after which the text's caller no longer waits
    caller: trace.SpanContext


class EmbedBatcher:
    def __init__(self, upstream: Upstream, *, window_s: float = 0.002, max_batch: int = 256) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.upstream = upstream
        self.window_s = max(0.0, window_s)
        self.max_batch = max_batch
        self.flights: SingleFlight[tuple[str, bytes], Embedded] = SingleFlight("embed")
        self._queues: dict[str, list[_Item]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._in_flight: dict[str, int] = {}  # model -> upstream calls dispatched and not yet answered

    def submit(
        self, model: str, texts: Mapping[bytes, str], deadline: float
    ) -> tuple[dict[bytes, asyncio.Future[Embedded]], set[bytes]]:
        """A future per distinct text (key -> text), and the keys that joined a text already queued or in flight."""
        loop = asyncio.get_running_loop()
        caller = trace.get_current_span().get_span_context()
        futures: dict[bytes, asyncio.Future[Embedded]] = {}
        joined: set[bytes] = set()
        queue = self._queues.setdefault(model, [])
        for key, text in texts.items():
            existing = self.flights.join((model, key))
            if existing is not None:
                futures[key] = existing
                joined.add(key)
                continue
            future: asyncio.Future[Embedded] = loop.create_future()
            self.flights.track((model, key), future)
            queue.append(_Item(key, text, future, deadline, caller))
            futures[key] = future
        while len(queue) >= self.max_batch:
            self._dispatch(model, queue[: self.max_batch])
            del queue[: self.max_batch]
        if not queue:
            self._queues.pop(model, None)
            timer = self._timers.pop(model, None)
            if timer is not None:
                timer.cancel()
        elif not self._in_flight.get(model):
            self._flush(model)  # idle: nothing to wait behind, so no window
        elif model not in self._timers:
            self._timers[model] = loop.call_later(self.window_s, self._flush, model)
        return futures, joined

    async def aclose(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for queue in self._queues.values():
            for item in queue:
                item.future.cancel()
        self._queues.clear()
        running = list(self._running)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)

    def _flush(self, model: str) -> None:
        timer = self._timers.pop(model, None)
        if timer is not None:
            timer.cancel()
        queue = self._queues.pop(model, [])
        if queue:
            self._dispatch(model, queue)

    def _dispatch(self, model: str, items: list[_Item]) -> None:
        # Counted from now, not from when the task first runs, so texts submitted in the same loop turn queue.
        self._in_flight[model] = self._in_flight.get(model, 0) + 1
        task = asyncio.create_task(self._run(model, items))
        self._running.add(task)
        task.add_done_callback(functools.partial(self._landed, model))

    def _landed(self, model: str, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        left = self._in_flight.get(model, 0) - 1
        if left > 0:
            self._in_flight[model] = left
        else:
            self._in_flight.pop(model, None)

    async def _run(self, model: str, items: list[_Item]) -> None:
        BATCH_SIZE.observe(len(items))
        # The call may take as long as the most patient caller waits; the others leave on their own deadlines.
        timeout = max(item.deadline for item in items) - asyncio.get_running_loop().time()
        try:
            if timeout <= 0:
                raise ProviderTimedOut("every caller of this batch had given up before it was sent")
            results = await self.upstream(
                model, [i.key for i in items], [i.text for i in items], timeout, _links(i.caller for i in items)
            )
            if len(results) != len(items):
                raise ProviderBadResponse(f"expected {len(items)} embeddings, got {len(results)}")
        except asyncio.CancelledError:
            for item in items:
                item.future.cancel()
            raise
        except Exception as exc:
            for item in items:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        for item, result in zip(items, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)


def _links(contexts: Iterable[trace.SpanContext]) -> list[trace.Link]:
    seen: dict[tuple[int, int], trace.SpanContext] = {}
    for context in contexts:
        if context.is_valid:
            seen.setdefault((context.trace_id, context.span_id), context)
        if len(seen) >= _MAX_LINKS:
            break
    return [trace.Link(context) for context in seen.values()]
