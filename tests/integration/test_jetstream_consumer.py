"""The shared pull-consumer loop against the real NATS JetStream the suite starts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient

from cveval_kit import jetstream
from cveval_kit.jetstream import ConsumerOptions, Delivery, Disposition, PullConsumer
from tests.support.infra import Infra, unique_names

pytestmark = pytest.mark.integration


@pytest.fixture
async def js_names(infra: Infra) -> AsyncIterator[tuple[NatsClient, dict[str, str]]]:
    names = unique_names()
    nc = await jetstream.connect(infra.nats_url, "consumer-test")
    await jetstream.ensure_stream(nc.jetstream(), names["jobs_stream"], [names["jobs_subject"]])
    try:
        yield nc, names
    finally:
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(names["jobs_stream"])
        await nc.close()


def consumer_options(names: dict[str, str], **overrides: Any) -> ConsumerOptions:
    return ConsumerOptions(
        stream=names["jobs_stream"],
        subject=names["jobs_subject"],
        durable=names["worker_durable"],
        fetch_timeout_s=0.2,
        **overrides,
    )


async def run_until(consumer: PullConsumer, done: asyncio.Event, limit_s: float = 20) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(done.wait(), limit_s)
    finally:
        consumer.stop()
        await task


async def test_a_long_handler_is_not_redelivered_while_it_works(js_names: tuple[NatsClient, dict[str, str]]) -> None:
    nc, names = js_names
    deliveries: list[int] = []
    done = asyncio.Event()

    async def slow(delivery: Delivery) -> Disposition:
        deliveries.append(delivery.attempt)
        await asyncio.sleep(2.5)  # well past ack_wait: only the in-progress pings keep the message ours
        done.set()
        return Disposition.ACK

    # Two slots: a redelivery during the 2.5 s of work would be fetched and show up in `deliveries`.
    options = consumer_options(names, concurrency=2, max_deliver=5, ack_wait_s=1.0)
    await jetstream.publish(nc.jetstream(), names["jobs_subject"], b"{}", msg_id="long-1")
    await run_until(PullConsumer(nc.jetstream(), options, slow), done)
    assert deliveries == [1]


async def test_retries_go_on_past_max_deliver_until_the_handler_decides(
    js_names: tuple[NatsClient, dict[str, str]],
) -> None:
    # A handler that cannot record an outcome (its database is out) must not have its message dropped by JetStream.
    nc, names = js_names
    attempts: list[tuple[int, bool]] = []
    done = asyncio.Event()

    async def failing(delivery: Delivery) -> Disposition:
        attempts.append((delivery.attempt, delivery.last_attempt))
        if delivery.attempt == 5:
            done.set()
            return Disposition.ACK
        return Disposition.RETRY

    options = consumer_options(
        names, concurrency=1, max_deliver=3, ack_wait_s=5.0, retry_delay_s=0.02, max_retry_delay_s=0.05
    )
    await jetstream.publish(nc.jetstream(), names["jobs_subject"], b"{}", msg_id="fail-1")
    await run_until(PullConsumer(nc.jetstream(), options, failing), done)
    assert attempts == [(1, False), (2, False), (3, True), (4, True), (5, True)]


async def test_a_terminated_message_is_kept_in_the_dead_letter_stream(
    js_names: tuple[NatsClient, dict[str, str]],
) -> None:
    nc, names = js_names
    js = nc.jetstream()
    await jetstream.ensure_dead_letter_stream(js, names["dead_letter_stream"], names["dead_letter_subject"])
    done = asyncio.Event()

    async def poison(delivery: Delivery) -> Disposition:
        done.set()
        return Disposition.TERM

    options = consumer_options(names, concurrency=1, dead_letter_subject=names["dead_letter_subject"])
    await jetstream.publish(js, names["jobs_subject"], b'{"job_id": "poison"}', msg_id="poison-1")
    try:
        await run_until(PullConsumer(js, options, poison), done)
        dead = await js.get_last_msg(names["dead_letter_stream"], names["dead_letter_subject"])
        assert dead.data == b'{"job_id": "poison"}'
        assert dead.headers is not None and dead.headers["Cveval-Dead-Deliveries"] == "1"
        assert (await js.stream_info(names["jobs_stream"])).state.messages == 0
    finally:
        with contextlib.suppress(Exception):
            await js.delete_stream(names["dead_letter_stream"])


async def test_the_same_message_id_is_published_once(js_names: tuple[NatsClient, dict[str, str]]) -> None:
    nc, names = js_names
    js = nc.jetstream()
    for _ in range(3):
        await jetstream.publish(js, names["jobs_subject"], b"{}", msg_id="dup-1")
    info = await js.stream_info(names["jobs_stream"])
    assert info.state.messages == 1
