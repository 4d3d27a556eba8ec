"""A started service: its gRPC server and what to close after it (used by `serve` and by in-process tests)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cveval_kit.grpc_server import GrpcServer

log = logging.getLogger(__name__)


@dataclass
class Running:
    server: GrpcServer
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    async def stop(self, grace: float = 2.0) -> None:
        await self.server.stop(grace)
        for cleanup in self.cleanups:
            try:
                await cleanup()
            except Exception:
                log.exception("cleanup failed")
