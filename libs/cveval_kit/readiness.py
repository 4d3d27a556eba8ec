"""Readiness that follows dependencies: the gRPC health status is NOT_SERVING while a probe (e.g. the database)
fails and SERVING again once it passes, so load balancers and Kubernetes stop sending calls that can only fail."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from cveval_kit.db import ping
from cveval_kit.grpc_server import Cleanup, GrpcServer

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[None]]


async def follow_dependencies(server: GrpcServer, probes: dict[str, Probe], interval_s: float = 2.0) -> None:
    """Run forever (cancel to stop): check every probe each interval and flip the health status on a change."""
    serving = True
    while True:
        await asyncio.sleep(interval_s)
        failed = [name for name, probe in probes.items() if not await _passes(probe)]
        if bool(failed) == serving:  # the state changed
            serving = not failed
            if serving:
                log.info("%s: dependencies are back; SERVING", server.name)
            else:
                log.warning("%s: %s unreachable; NOT_SERVING", server.name, ", ".join(failed))
            await server.set_serving(serving)


async def _passes(probe: Probe) -> bool:
    try:
        await probe()
    except Exception:
        return False
    return True


def watch_database(server: GrpcServer, engine: AsyncEngine, interval_s: float) -> Cleanup:
    """Follow the database from now on; returns the cleanup that stops following (for Running.cleanups)."""
    task = asyncio.create_task(follow_dependencies(server, {"database": lambda: ping(engine)}, interval_s))

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
