"""An audit trail for hot read paths: events are queued in memory and published in batches in the background.

`JetStreamAuditTrail.record` awaits one JetStream round trip per event, and the job service's recorder then handles
one message per event: on the result read path that was the largest share of a read's cost in the whole mesh (the
publish, NATS, the recorder). Here `record` only appends to a bounded buffer; one background task publishes whatever
has accumulated as ONE JetStream message (a JSON array, `cveval_kit.audit.encode_batch`) after a short linger, so
under load many reads share a round trip, a stored message, an acknowledgement and a recorder insert.

What still holds (decision record 0027):
- nothing is disclosed while the trail is known to be down: after a failed publish `record` raises Unavailable
  (503) until a publish succeeds again, as the awaited trail did; a full buffer (the feed behind) answers the same;
- events are never dropped to make room: a failed batch stays at the head of the buffer and is retried with the
  same message id (JetStream drops a duplicate within its window, the recorder skips known event ids);
- `close()` flushes before the process ends; what cannot be published by then is counted
  (`cveval_audit_events_dropped_total`) and logged as an error, never lost silently.
What is weaker: an event is in this process's memory, not yet in JetStream, for one publish round trip after the
read is answered; a process killed outright (SIGKILL, OOM) in that window loses those events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

from cveval_kit import errors
from cveval_kit.audit import AuditEvent, encode_batch
from cveval_kit.metrics import AUDIT_BATCH_FAILURES, AUDIT_EVENTS_DROPPED, AUDIT_EVENTS_PUBLISHED

log = logging.getLogger(__name__)

# Publishes one encoded batch under a message id (JetStream's de-duplication key); raises when it was not stored.
Publish = Callable[[bytes, str], Awaitable[None]]

MAX_BATCH: Final = 500  # events per message: ~150 KiB, well under NATS's 1 MiB payload limit
MAX_BUFFERED: Final = 20_000  # events waiting: a few MiB; past it the feed is behind and reads answer 503
RETRY_S: Final = 0.5  # between attempts of a failed batch
# How long the first event of a batch waits for others. Without it a batch held only what arrived during the
# previous publish's round trip: 1.6 events a message at 280 reads/s. 25 ms makes it ~10 at 400/s, ~25 at 1,000/s,
# and bounds the publishes to ~40/s; it is also how much longer an event stays only in this process's memory.
LINGER_S: Final = 0.025
CLOSE_TIMEOUT_S: Final = 10.0


class BatchingAuditTrail:
    def __init__(
        self,
        publish: Publish,
        service: str,
        *,
        max_batch: int = MAX_BATCH,
        max_buffered: int = MAX_BUFFERED,
        retry_s: float = RETRY_S,
        linger_s: float = LINGER_S,
    ) -> None:
        self._publish = publish
        self._max_batch = max_batch
        self._max_buffered = max_buffered
        self._retry_s = retry_s
        self._linger_s = linger_s
        self._full = asyncio.Event()
        self._buffer: deque[AuditEvent] = deque()
        self._ready = asyncio.Event()
        self._failing = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._published = AUDIT_EVENTS_PUBLISHED.labels(service)
        self._dropped = AUDIT_EVENTS_DROPPED.labels(service)
        self._failures = AUDIT_BATCH_FAILURES.labels(service)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="audit-batches")

    async def record(self, event: AuditEvent) -> None:
        """Queue the event; refuse (503) when the trail is down, the feed is behind, or the process is stopping."""
        if self._failing or self._closing:
            raise errors.Unavailable("the audit trail is unavailable", code="AUDIT_UNAVAILABLE")
        if len(self._buffer) >= self._max_buffered:
            raise errors.Unavailable("the audit trail is behind", code="AUDIT_UNAVAILABLE")
        self._buffer.append(event)
        self._ready.set()
        if len(self._buffer) >= self._max_batch:
            self._full.set()

    async def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Refuse new events, publish the queued ones (within the timeout), then stop."""
        self._closing = True
        self._ready.set()
        self._full.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        if self._buffer:
            self._dropped.inc(len(self._buffer))
            log.error("audit trail: %d events could not be published before stopping", len(self._buffer))
            self._buffer.clear()

    async def _run(self) -> None:
        while True:
            if not self._buffer:
                if self._closing:
                    return
                self._ready.clear()
                await self._ready.wait()
                continue
            await self._linger()
            batch = [self._buffer[i] for i in range(min(self._max_batch, len(self._buffer)))]
            await self._publish_until_stored(batch)
            for _ in batch:
                self._buffer.popleft()

    async def _linger(self) -> None:
        if self._linger_s <= 0 or self._closing or len(self._buffer) >= self._max_batch:
            return
        self._full.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), self._linger_s)

    async def _publish_until_stored(self, batch: list[AuditEvent]) -> None:
        data, message_id = encode_batch(batch), f"batch-{uuid.uuid4()}"
        while True:
            try:
                await self._publish(data, message_id)
            except Exception:
                self._failures.inc()
                if not self._failing:
                    log.warning("audit trail: publishing %d events failed; retrying", len(batch), exc_info=True)
                self._failing = True
                await asyncio.sleep(self._retry_s)
                continue
            self._failing = False
            self._published.inc(len(batch))
            return
