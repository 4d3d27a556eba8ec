"""The worker consumer's backlog, read from JetStream by the job service and exported once for the whole fleet.

Every worker replica shares one durable consumer, so its state is one fact: read here, a sum or an alert over the
scraped series never counts it once per replica, and the worker fleet's size does not change what is reported.
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.client import Client as NatsClient

from cveval_job.metrics import QUEUE_ACK_PENDING, QUEUE_PENDING, QUEUE_REDELIVERED, QUEUE_WATCH_ERRORS

log = logging.getLogger(__name__)


async def read_consumer_lag(nc: NatsClient, stream: str, durable: str) -> None:
    info = await nc.jetstream().consumer_info(stream, durable)
    QUEUE_PENDING.labels(stream, durable).set(info.num_pending or 0)
    QUEUE_ACK_PENDING.labels(stream, durable).set(info.num_ack_pending or 0)
    QUEUE_REDELIVERED.labels(stream, durable).set(info.num_redelivered or 0)


async def watch_consumer_lag(nc: NatsClient, stream: str, durable: str, interval_s: float = 5.0) -> None:
    """Refresh the lag gauges every `interval_s`; a failed read (consumer not created yet, NATS away) is counted
    and retried, and never stops the service."""
    failing = False
    while True:
        try:
            await read_consumer_lag(nc, stream, durable)
            failing = False
        except Exception as exc:  # the next read retries; the counter makes a lasting failure visible
            QUEUE_WATCH_ERRORS.inc()
            if not failing:  # once per run of failures, not every interval
                log.warning("consumer %s/%s not readable: %s: %s", stream, durable, type(exc).__name__, exc)
            failing = True
        await asyncio.sleep(interval_s)
