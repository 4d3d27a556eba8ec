"""Erased results announced to every replica of the result service over core NATS.

`DeleteResults` (erasure, retention) reaches one replica; the others may hold the results in their completed-result
cache. Each replica subscribes to one subject and drops what another erased, so no copy is served after the
deletion answered (the cache's TTL stays the bound should an announcement be lost). Core NATS rather than
JetStream: a replica that was away holds nothing in memory to drop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger(__name__)

IDS_PER_MESSAGE = 1000  # ~40 KB of job ids: well inside NATS's default 1 MiB payload limit

# (tenant, job ids)
ErasureListener = Callable[[str, list[str]], None]


class NatsErasureNotices:
    def __init__(self, nc: NatsClient, subject: str, flush_timeout_s: int = 2) -> None:
        self.nc = nc
        self.subject = subject
        self.flush_timeout_s = flush_timeout_s
        self._sub: Subscription | None = None

    async def start(self, listener: ErasureListener) -> None:
        async def on_message(msg: Msg) -> None:
            try:
                body = json.loads(msg.data)
                listener(str(body["tenant"]), [str(j) for j in body["job_ids"]])
            except (ValueError, KeyError, TypeError):
                log.warning("an erasure notice that is not one was ignored")

        self._sub = await self.nc.subscribe(self.subject, cb=on_message)

    async def announce(self, tenant: str, job_ids: Sequence[str]) -> None:
        """Tell every replica (this one included) that these results are gone; sent before returning."""
        ids = list(job_ids)
        for start in range(0, len(ids), IDS_PER_MESSAGE):
            body = {"tenant": tenant, "job_ids": ids[start : start + IDS_PER_MESSAGE]}
            await self.nc.publish(self.subject, json.dumps(body).encode())
        if ids:
            await self.nc.flush(timeout=self.flush_timeout_s)
