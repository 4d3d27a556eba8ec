"""The job service's background work for data protection: recording the audit feed and the scheduled purge."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from nats.aio.client import Client as NatsClient
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncEngine

from cveval_job.adapters.protection_repository import ProtectionRepository, try_exclusive
from cveval_job.protection.service import DataProtection
from cveval_kit.audit import AuditEvent, decode_events
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)

AUDIT_BATCH = 200


async def audit_subscription(nc: NatsClient, settings: Settings) -> JetStreamContext.PullSubscription:
    """The durable pull consumer of the audit feed, shared by every job replica."""
    return await nc.jetstream().pull_subscribe(
        f"{settings.audit_subject_prefix}.>",
        durable=settings.audit_durable,
        stream=settings.audit_stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30.0),
    )


async def record_audit_feed(subscription: JetStreamContext.PullSubscription, store: ProtectionRepository) -> None:
    """Copy the audit stream into the append-only table. An event is acknowledged only once its row is committed,
    and a redelivered one is skipped by its id."""
    while True:
        try:
            messages = await subscription.fetch(AUDIT_BATCH, timeout=1.0)
        except (NatsTimeoutError, TimeoutError):  # nothing to record within the second
            continue
        except Exception:
            log.warning("audit feed: fetch failed; retrying", exc_info=True)
            await asyncio.sleep(1.0)
            continue
        events: list[AuditEvent] = []
        recorded = []
        for message in messages:
            try:
                events.extend(decode_events(message.data))
                recorded.append(message)
            except (ValueError, TypeError):
                log.error("audit feed: dropping a malformed event")
                await message.term()
        try:
            await store.append_audit(events)
        except Exception:
            log.warning("audit feed: recording %d events failed; they will be redelivered", len(events), exc_info=True)
            await asyncio.sleep(1.0)
            continue
        for message in recorded:
            await message.ack()


async def purge_periodically(engine: AsyncEngine, protection: DataProtection, interval_s: float) -> None:
    """Every interval, one replica (whichever takes the PostgreSQL advisory lock) purges every tenant's expired
    data; the others skip that round. Safe with any number of job replicas."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await purge_once(engine, protection)
        except Exception:
            log.warning("retention purge failed; the next round retries", exc_info=True)


async def purge_once(engine: AsyncEngine, protection: DataProtection) -> bool:
    connection = await try_exclusive(engine)
    if connection is None:
        return False
    try:
        tenants = await protection.purge_all_expired(datetime.now(UTC))
        if tenants:
            log.info("retention purge ran for %d tenants", tenants)
    finally:
        await connection.close()
    return True
