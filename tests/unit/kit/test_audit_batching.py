"""The batched audit trail: every queued event is published exactly once, in batches, failures refuse new reads
rather than drop events, and stopping flushes (or counts what it could not)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from cveval_kit import audit, errors
from cveval_kit.audit_batching import BatchingAuditTrail
from cveval_kit.metrics import AUDIT_EVENTS_DROPPED


def _event(n: int) -> audit.AuditEvent:
    return audit.AuditEvent.about(
        tenant="t1",
        principal="key:alice",
        action=audit.READ_RESULT,
        kind="result",
        resource_id=f"job-{n}",
        candidate_id=f"cv-{n}",
        service="result",
    )


class Stream:
    """Stores published batches; `gate` holds publishes back, `failures` makes the next ones fail."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[audit.AuditEvent]]] = []
        self.attempts: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failures = 0

    async def publish(self, data: bytes, message_id: str) -> None:
        self.attempts.append(message_id)
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("nats is away")
        self.batches.append((message_id, audit.decode_events(data)))

    def events(self) -> list[audit.AuditEvent]:
        return [e for _, batch in self.batches for e in batch]


async def _until(condition: Callable[[], bool], limit_s: float = 5.0) -> None:
    async with asyncio.timeout(limit_s):
        while not condition():  # noqa: ASYNC110 - state of the trail and the fake stream, no event to wait on
            await asyncio.sleep(0.005)


def test_a_batch_round_trips_and_a_single_event_still_decodes() -> None:
    events = [_event(n) for n in range(3)]
    assert audit.decode_events(audit.encode_batch(events)) == events
    assert audit.decode_events(events[0].to_json()) == [events[0]]


async def test_every_event_is_published_once_and_events_queued_meanwhile_share_a_message() -> None:
    stream = Stream()
    trail = BatchingAuditTrail(stream.publish, "test", max_batch=50, linger_s=0)
    trail.start()
    await trail.record(_event(0))
    await _until(lambda: len(stream.batches) == 1)
    stream.gate.clear()  # the next publish waits: reads meanwhile queue up
    await trail.record(_event(1))
    await _until(lambda: len(stream.attempts) == 2)
    await asyncio.gather(*(trail.record(_event(n)) for n in range(2, 120)))
    stream.gate.set()
    await _until(lambda: trail.pending == 0)
    assert [e.resource_ref for e in stream.events()] == [_event(n).resource_ref for n in range(120)]  # in order
    assert len({e.id for e in stream.events()}) == 120
    # 1 alone, 1 alone (in flight when the rest came), then 118 in batches of at most 50.
    assert [len(batch) for _, batch in stream.batches] == [1, 1, 50, 50, 18]
    await trail.close()


async def test_events_of_one_linger_share_one_message_and_a_full_batch_does_not_wait() -> None:
    stream = Stream()
    trail = BatchingAuditTrail(stream.publish, "test", max_batch=10, linger_s=60.0)
    trail.start()
    for n in range(25):
        await trail.record(_event(n))
    await _until(lambda: len(stream.batches) == 2)  # two full batches leave at once, without waiting the minute
    assert [len(batch) for _, batch in stream.batches] == [10, 10] and trail.pending == 5
    await trail.close()  # closing does not wait for the linger either
    assert [len(batch) for _, batch in stream.batches] == [10, 10, 5]


async def test_a_failed_publish_refuses_reads_until_it_is_retried_under_the_same_message_id() -> None:
    stream = Stream()
    stream.failures = 2
    trail = BatchingAuditTrail(stream.publish, "test", retry_s=0.01)
    trail.start()
    await trail.record(_event(0))
    await _until(lambda: len(stream.batches) == 1)
    assert len(stream.attempts) == 3 and len(set(stream.attempts)) == 1  # JetStream de-duplicates by this id
    assert [e.resource_ref for e in stream.events()] == [_event(0).resource_ref]
    await trail.record(_event(1))  # published again: reads are served again
    await trail.close()
    assert len(stream.events()) == 2


async def test_while_the_trail_is_down_a_read_is_refused() -> None:
    stream = Stream()
    stream.failures = 1_000_000
    trail = BatchingAuditTrail(stream.publish, "test", retry_s=0.01)
    trail.start()
    await trail.record(_event(0))
    await _until(lambda: len(stream.attempts) >= 2)
    with pytest.raises(errors.Unavailable):
        await trail.record(_event(1))
    dropped = AUDIT_EVENTS_DROPPED.labels("test")._value.get()
    await trail.close(timeout_s=0.1)
    assert AUDIT_EVENTS_DROPPED.labels("test")._value.get() == dropped + 1  # counted (and logged), not silently lost


async def test_a_full_buffer_refuses_reads_instead_of_dropping_events() -> None:
    stream = Stream()
    stream.gate.clear()
    trail = BatchingAuditTrail(stream.publish, "test", max_buffered=3)
    trail.start()
    for n in range(3):
        await trail.record(_event(n))
    with pytest.raises(errors.Unavailable):
        await trail.record(_event(3))
    stream.gate.set()
    await trail.close()
    assert len(stream.events()) == 3


async def test_closing_publishes_what_is_queued_and_then_refuses_new_events() -> None:
    stream = Stream()
    stream.gate.clear()
    trail = BatchingAuditTrail(stream.publish, "test")
    trail.start()
    for n in range(10):
        await trail.record(_event(n))
    closing = asyncio.create_task(trail.close())
    await asyncio.sleep(0)
    with pytest.raises(errors.Unavailable):
        await trail.record(_event(10))
    stream.gate.set()
    await closing
    assert len(stream.events()) == 10 and trail.pending == 0
