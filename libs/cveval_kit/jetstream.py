"""NATS JetStream helpers: traced publishing with de-duplication ids, and a durable pull-consumer loop."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from opentelemetry import context as otel_context
from opentelemetry import trace

from cveval_kit.metrics import HANDLE_SECONDS, IN_FLIGHT, MESSAGES, QUEUE_LATENCY
from cveval_kit.settings import Settings, get_settings
from cveval_kit.telemetry import extract_context, inject_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)



def inbox_prefix(user: str) -> str:
    """Where a NATS user's replies arrive; its permissions allow subscribing here and nowhere else of the kind."""
    return f"_INBOX_{user}"


def connect_options(url: str, settings: Settings) -> dict[str, Any]:
    """Credentials for nats.connect: those in `url` (nats://user:password@host) win; else a .creds file
    (CVEVAL_NATS_CREDS_FILE, NATS decentralised auth), else CVEVAL_NATS_USER / CVEVAL_NATS_PASSWORD. A named user
    gets its own reply-inbox prefix, the only one its permissions let it subscribe to."""
    options: dict[str, Any] = {}
    url_user = urllib.parse.urlsplit(url).username or ""
    if creds := settings.nats_creds_file:
        options["user_credentials"] = creds
    elif settings.nats_user and not url_user:
        options.update(user=settings.nats_user, password=settings.nats_password)
    user = url_user or settings.nats_user
    if user:
        options["inbox_prefix"] = inbox_prefix(user)
    return options


async def connect(url: str, name: str, settings: Settings | None = None) -> NatsClient:
    options = connect_options(url, settings or get_settings())
    return await nats.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5, **options)


async def ensure_stream(js: JetStreamContext, name: str, subjects: list[str]) -> None:
    config = StreamConfig(
        name=name,
        subjects=subjects,
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=120.0,
        max_age=7 * 24 * 3600.0,
    )
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)


async def ensure_dead_letter_stream(js: JetStreamContext, name: str, subject: str) -> None:
    """Where terminally failed messages are kept for inspection: limits retention (nothing consumes them away),
    kept for two weeks, bounded in count so a poison flood cannot fill the disk."""
    config = StreamConfig(
        name=name,
        subjects=[subject],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=14 * 24 * 3600.0,
        max_msgs=100_000,
    )
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)


async def publish(js: JetStreamContext, subject: str, payload: bytes, msg_id: str) -> None:
    """Publish once: `Nats-Msg-Id` lets JetStream drop a re-publish of the same id within its window."""
    with tracer.start_as_current_span(f"publish {subject}", kind=trace.SpanKind.PRODUCER) as span:
        span.set_attributes(
            {
                "messaging.system": "nats",
                "messaging.operation.type": "send",
                "messaging.operation.name": "publish",
                "messaging.destination.name": subject,
                "messaging.message.id": msg_id,
            }
        )
        headers = inject_headers({"Nats-Msg-Id": msg_id})
        await js.publish(subject, payload, headers=headers)


class Disposition(enum.Enum):
    ACK = "ack"  # done (or nothing to do): remove the message
    RETRY = "retry"  # redeliver later, with a doubling delay; never turned into TERM by the loop
    TERM = "term"  # give up on the message: copy it to the dead-letter subject, then remove it


@dataclass(frozen=True)
class Delivery:
    data: bytes
    headers: dict[str, str]
    attempt: int  # JetStream's delivery count of this message
    last_attempt: bool  # attempt >= ConsumerOptions.max_deliver: the handler's budget, not JetStream's


Handler = Callable[[Delivery], Awaitable[Disposition]]


@dataclass(frozen=True)
class ConsumerOptions:
    stream: str
    subject: str
    durable: str
    concurrency: int = 4
    max_deliver: int = 5
    ack_wait_s: float = 10.0
    retry_delay_s: float = 2.0
    max_retry_delay_s: float = 30.0
    fetch_timeout_s: float = 1.0
    dead_letter_subject: str = ""  # empty: terminated messages are not kept

    def retry_delay(self, attempt: int) -> float:
        """Doubling from retry_delay_s, capped so a long outage is retried at a steady pace, not abandoned."""
        return float(min(self.max_retry_delay_s, self.retry_delay_s * (2 ** min(attempt - 1, 30))))


class PullConsumer:
    """Bounded-concurrency loop over one durable pull consumer shared by every worker replica.

    JetStream itself never gives up on a message (max_deliver -1): a message is only removed when the handler
    acknowledges or terminates it. The attempt budget is the handler's to apply (Delivery.last_attempt, or its own
    record), because only it can tell "the job failed" from "the job could not even be looked at": a consumer-level
    max_deliver would silently strand a message whose handler never got to record an outcome (decision 0003).
    """

    def __init__(self, js: JetStreamContext, options: ConsumerOptions, handler: Handler) -> None:
        self.js = js
        self.options = options
        self.handler = handler
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        o = self.options
        config = ConsumerConfig(
            durable_name=o.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,
            ack_wait=o.ack_wait_s,
            max_ack_pending=max(64, o.concurrency * 8),
            filter_subject=o.subject,
        )
        # Create, or update a consumer an older release made (its max_deliver / ack_wait), before binding to it:
        # pull_subscribe alone binds to an existing durable without applying the new configuration.
        await self.js.add_consumer(o.stream, config)
        sub = await self.js.pull_subscribe(o.subject, durable=o.durable, stream=o.stream, config=config)
        log.info("consuming %s as %s (concurrency %d)", o.subject, o.durable, o.concurrency)
        try:
            while not self._stopping.is_set():
                free = o.concurrency - len(self._in_flight)
                if free <= 0:
                    await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    msgs = await sub.fetch(batch=free, timeout=o.fetch_timeout_s)
                except (TimeoutError, NatsTimeoutError):
                    continue
                for msg in msgs:
                    task = asyncio.create_task(self._handle(msg))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
        finally:
            if self._in_flight:
                await asyncio.wait(self._in_flight)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    def stop(self) -> None:
        self._stopping.set()

    async def _handle(self, msg: Msg) -> None:
        o = self.options
        headers = dict(msg.headers or {})
        meta = msg.metadata
        attempt = int(meta.num_delivered or 1)
        delivery = Delivery(msg.data, headers, attempt, attempt >= o.max_deliver)
        if meta.timestamp is not None:
            QUEUE_LATENCY.labels(o.durable).observe(max(0.0, _now() - meta.timestamp.timestamp()))
        token = otel_context.attach(extract_context(headers))
        IN_FLIGHT.labels(o.durable).inc()
        try:
            with (
                HANDLE_SECONDS.labels(o.durable).time(),
                tracer.start_as_current_span(f"process {o.subject}", kind=trace.SpanKind.CONSUMER) as span,
            ):
                span.set_attributes(
                    {
                        "messaging.system": "nats",
                        "messaging.operation.type": "process",
                        "messaging.operation.name": "process",
                        "messaging.destination.name": o.subject,
                        "messaging.destination.subscription.name": o.durable,
                        "messaging.consumer.group.name": o.durable,
                        "messaging.message.id": headers.get("Nats-Msg-Id", ""),
                        "messaging.delivery.attempt": attempt,
                    }
                )
                keepalive = asyncio.create_task(self._keep_in_progress(msg))
                try:
                    outcome = await self.handler(delivery)
                except Exception:
                    log.exception("handler failed on attempt %d", attempt)
                    outcome = Disposition.RETRY
                finally:
                    keepalive.cancel()
                span.set_attribute("messaging.outcome", outcome.value)
            await self._settle(msg, outcome, attempt)
        finally:
            IN_FLIGHT.labels(o.durable).dec()
            otel_context.detach(token)

    async def _keep_in_progress(self, msg: Msg) -> None:
        """Tell JetStream the message is still being worked on, so a long evaluation (an LLM chain can outlast
        ack_wait) is not redelivered to another worker while this one is still at it; a worker that dies stops
        telling, and the message is redelivered after ack_wait as it should be."""
        interval = max(0.1, self.options.ack_wait_s / 4)
        while True:
            await asyncio.sleep(interval)
            try:
                await msg.in_progress()
            except Exception:
                log.warning("could not extend the ack deadline of a message in progress", exc_info=True)

    async def _settle(self, msg: Msg, outcome: Disposition, attempt: int) -> None:
        MESSAGES.labels(self.options.durable, outcome.value).inc()
        try:
            if outcome is Disposition.ACK:
                await msg.ack()
            elif outcome is Disposition.RETRY:
                # Back off exponentially so a struggling dependency is not hammered by redeliveries.
                await msg.nak(delay=self.options.retry_delay(attempt))
            else:
                await self._dead_letter(msg, attempt)
                await msg.term()
        except Exception:
            log.exception("could not settle message (it will be redelivered after ack_wait)")

    async def _dead_letter(self, msg: Msg, attempt: int) -> None:
        """Keep a copy of a terminated message for inspection and replay (JetStream's own max-deliveries and
        terminated advisories carry only a sequence number, and a work-queue stream deletes the message itself)."""
        subject = self.options.dead_letter_subject
        if not subject:
            return
        meta = msg.metadata
        headers = {k: v for k, v in (msg.headers or {}).items() if k != "Nats-Msg-Id"}
        headers.update(
            {
                "Cveval-Dead-Subject": msg.subject,
                "Cveval-Dead-Stream-Seq": str(meta.sequence.stream),
                "Cveval-Dead-Deliveries": str(attempt),
                "Cveval-Dead-At": str(_now()),
            }
        )
        await self.js.publish(subject, msg.data, headers=headers)


def _now() -> float:
    import time

    return time.time()
