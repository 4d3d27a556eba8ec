"""The job queue on NATS JetStream, and job status events on core NATS."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence

from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from cveval_kit import jetstream
from cveval_kit.settings import Settings
from cveval_kit.telemetry import inject_headers


class JetStreamJobQueue:
    def __init__(self, nc: NatsClient, settings: Settings) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.settings = settings

    async def ensure_stream(self) -> None:
        s = self.settings
        await jetstream.ensure_stream(self.js, s.jobs_stream, [s.jobs_subject])
        await jetstream.ensure_dead_letter_stream(self.js, s.dead_letter_stream, s.dead_letter_subject)

    async def publish(self, job_id: str, tenant: str, republish: str = "") -> None:
        """`republish` names a deliberate second publish (the reconciler's, a replay's): it makes a new
        `Nats-Msg-Id`, which JetStream's duplicate window would otherwise drop."""
        # Ids only, never candidate data: a message that outlives a deletion holds nothing personal.
        payload = json.dumps({"job_id": job_id, "tenant": tenant}).encode()
        msg_id = f"evaluate-{job_id}" + (f"-{republish}" if republish else "")
        await jetstream.publish(self.js, self.settings.jobs_subject, payload, msg_id=msg_id)

    async def discard(self, job_ids: Sequence[str]) -> int:
        """Delete the queued messages of these jobs. Written here, not found in nats-py: JetStream deletes by
        sequence only, so the (work-queue, hence short) stream is scanned for the jobs' messages."""
        wanted = set(job_ids)
        if not wanted:
            return 0
        info = await self.js.stream_info(self.settings.jobs_stream)
        deleted = 0
        if info.state.messages == 0:
            return 0
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await self.js.get_msg(self.settings.jobs_stream, seq)
            except NotFoundError:
                continue
            try:
                job_id = json.loads(msg.data or b"{}").get("job_id")
            except ValueError:
                continue
            if job_id in wanted:
                with contextlib.suppress(NotFoundError):
                    deleted += int(await self.js.delete_msg(self.settings.jobs_stream, seq))
        return deleted


class StatusEvents:
    """Status changes for watchers (the result service's WatchResult). Best effort: watchers also re-read."""

    def __init__(self, nc: NatsClient, subject_prefix: str) -> None:
        self.nc = nc
        self.prefix = subject_prefix

    async def publish(self, job_id: str, status: str, error_code: str = "", error_message: str = "") -> None:
        body = {"id": job_id, "status": status, "error": {"code": error_code, "message": error_message}}
        await self.nc.publish(f"{self.prefix}.{job_id}", json.dumps(body).encode(), headers=inject_headers({}))
