"""Erasing jobs deletes their queued messages from the JetStream stream; the other jobs' messages stay."""

from __future__ import annotations

import json

import nats
import pytest

from cveval_job.adapters.jetstream_queue import JetStreamJobQueue
from cveval_kit.settings import Settings
from tests.support.infra import Infra, unique_names

pytestmark = pytest.mark.integration


async def test_discard_deletes_only_the_named_jobs_messages(infra: Infra) -> None:
    settings = Settings(nats_url=infra.nats_url, **unique_names())  # type: ignore[arg-type]
    nc = await nats.connect(infra.nats_url)
    try:
        queue = JetStreamJobQueue(nc, settings)
        await queue.ensure_stream()
        for job_id in ("job-1", "job-2", "job-3"):
            await queue.publish(job_id, "tenant-a")
        assert await queue.discard(["job-2", "job-3", "never-queued"]) == 2
        js = nc.jetstream()
        info = await js.stream_info(settings.jobs_stream)
        assert info.state.messages == 1
        kept = await js.get_msg(settings.jobs_stream, info.state.first_seq)
        assert json.loads(kept.data or b"{}") == {"job_id": "job-1", "tenant": "tenant-a"}
        assert await queue.discard(["job-2"]) == 0  # idempotent
    finally:
        await nc.close()
