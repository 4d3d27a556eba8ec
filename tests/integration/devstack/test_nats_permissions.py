"""The NATS users `make run` renders: each process kind can do its own work and nothing else."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError

from cveval_devstack import nats_users
from cveval_devstack.nats_server import EmbeddedNats
from cveval_kit import jetstream
from cveval_kit.settings import Settings
from tests.support.infra import unique_names

NAMES = unique_names()
N = nats_users.NatsNames(
    NAMES["jobs_stream"],
    NAMES["jobs_subject"],
    NAMES["events_subject_prefix"],
    "worker-x",
    NAMES["dead_letter_stream"],
    NAMES["dead_letter_subject"],
    NAMES["audit_stream"],
    NAMES["audit_subject_prefix"],
    NAMES["audit_durable"],
    NAMES["results_erased_subject"],
)
PASSWORDS = {user: secrets.token_urlsafe(16) for user in nats_users.users(N)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    authorization = nats_users.render_authorization(nats_users.users(N), PASSWORDS)
    started = EmbeddedNats(tmp_path_factory.mktemp("nats-auth"), authorization=authorization)
    started.start()
    try:
        yield started
    finally:
        started.stop()


class Session:
    def __init__(self, nc: NatsClient, errors: list[Exception]) -> None:
        self.nc = nc
        self.errors = errors


async def _connect(server: EmbeddedNats, user: str) -> Session:
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    settings = Settings(nats_user=user, nats_password=PASSWORDS[user])
    nc = await jetstream.connect(server.url, f"test-{user}", settings)
    nc._error_cb = on_error  # connect() takes no error callback: the permission errors are what this test reads
    return Session(nc, errors)


@pytest.fixture
async def sessions(server: EmbeddedNats) -> AsyncIterator[dict[str, Session]]:
    opened = {user: await _connect(server, user) for user in ("job", "worker", "result")}
    try:
        yield opened
    finally:
        for s in opened.values():
            await s.nc.close()


async def test_a_client_without_credentials_is_refused(server: EmbeddedNats) -> None:
    with pytest.raises((NatsError, OSError)):
        await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
    with pytest.raises((NatsError, OSError)):
        await nats.connect(
            server.url, user="job", password="wrong", allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2
        )


async def _pending(s: Session) -> int:
    info = await s.nc.jetstream().stream_info(N.jobs_stream)
    return int(info.state.messages)


async def test_each_user_does_its_work_and_a_foreign_publish_is_refused(sessions: dict[str, Session]) -> None:
    job, worker, result = sessions["job"], sessions["worker"], sessions["result"]
    await jetstream.ensure_stream(job.nc.jetstream(), N.jobs_stream, [N.jobs_subject])
    await jetstream.publish(job.nc.jetstream(), N.jobs_subject, b'{"job_id":"j1"}', msg_id="evaluate-j1")
    assert await _pending(job) == 1

    # The result service's user, and the worker's, may not enqueue jobs: the server refuses the publish.
    for foreign in (result, worker):
        with pytest.raises((JetStreamError, NatsError, TimeoutError)):
            await foreign.nc.jetstream().publish(N.jobs_subject, b'{"job_id":"forged"}', timeout=1)
        await asyncio.sleep(0.2)
        assert any("permissions violation" in str(e).lower() for e in foreign.errors), foreign.errors
    assert await _pending(job) == 1
    # Nor may the job service's user read another user's replies, delete the stream or publish status events.
    job.errors.clear()
    await job.nc.subscribe("_INBOX_worker.>")
    await job.nc.publish(f"{N.events_prefix}.j1", b"{}")
    with pytest.raises((JetStreamError, NatsError, TimeoutError)):
        await job.nc.jetstream(timeout=1).delete_stream(N.jobs_stream)
    await job.nc.flush()
    await asyncio.sleep(0.2)
    assert sum("permissions violation" in str(e).lower() for e in job.errors) >= 2, job.errors

    # The worker consumes the job and announces it; the result service hears the announcement.
    heard: asyncio.Queue[bytes] = asyncio.Queue()

    async def on_event(msg: Msg) -> None:
        await heard.put(msg.data)

    await result.nc.subscribe(f"{N.events_prefix}.>", cb=on_event)
    handled: asyncio.Queue[bytes] = asyncio.Queue()

    async def handle(delivery: jetstream.Delivery) -> jetstream.Disposition:
        await worker.nc.publish(f"{N.events_prefix}.j1", b'{"status":"completed"}')
        await handled.put(delivery.data)
        return jetstream.Disposition.ACK

    options = jetstream.ConsumerOptions(stream=N.jobs_stream, subject=N.jobs_subject, durable=N.worker_durable)
    consumer = jetstream.PullConsumer(worker.nc.jetstream(), options, handle)
    running = asyncio.create_task(consumer.run())
    try:
        assert await asyncio.wait_for(handled.get(), 30) == b'{"job_id":"j1"}'
        assert await asyncio.wait_for(heard.get(), 30) == b'{"status":"completed"}'
        await _wait_empty(job)
    finally:
        consumer.stop()
        await asyncio.wait_for(running, 30)
    assert not [e for e in worker.errors if "permissions violation" in str(e).lower() and "jobs" not in str(e)]


async def _wait_empty(s: Session) -> None:
    for _ in range(100):
        if await _pending(s) == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the acknowledged job is still in the work queue")


def test_the_rendered_config_keeps_passwords_out_of_reach(server: EmbeddedNats) -> None:
    config = Path(server.data_dir / "nats.conf")
    assert config.stat().st_mode & 0o077 == 0
