"""The gRPC server bootstrap every service uses.

Health (grpc.health.v1), reflection, tracing / metrics / error-mapping interceptors, and a graceful shutdown on
SIGTERM or SIGINT: health turns NOT_SERVING, new calls are refused and in-flight calls get a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from cveval_kit import tls
from cveval_kit.interceptors import AccessPolicy, ServiceInterceptor
from cveval_kit.reflection import enable_reflection
from cveval_kit.server_tracing import server_interceptor
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)

_MAX_METADATA_BYTES = 64 * 1024

Register = Callable[[grpc.aio.Server], None]
# The health service name that reports readiness (dependencies reachable). The overall status ("") reports liveness
# only: a liveness probe on it must not restart a healthy process because its database is out.
READINESS_SERVICE = "readiness"
Cleanup = Callable[[], Awaitable[None]]


def keepalive_policy(settings: Settings) -> tuple[tuple[str, int], ...]:
    """What pings the server accepts. gRPC's default (one per 5 min without data) turns the clients' pings during a
    long call (every grpc_keepalive_time_ms) into strikes and the call into GOAWAY too_many_pings."""
    interval = settings.grpc_min_ping_interval_ms
    return (
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", interval),
        ("grpc.http2.min_ping_interval_without_data_ms", interval),
    )


class GrpcServer:
    def __init__(
        self, name: str, settings: Settings, service_names: Iterable[str], policy: AccessPolicy | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self.service_names = tuple(service_names)
        secret = settings.identity_secret.encode("utf-8")
        self.server = grpc.aio.server(
            interceptors=[server_interceptor(), ServiceInterceptor(policy, secret, settings.retry_after_s)],
            options=[
                ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
                ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
                ("grpc.so_reuseport", 0),
                # Above Envoy's max_request_headers_kb plus what Envoy adds, so oversized headers are refused by
                # Envoy as 431; gRPC's own 8 KiB default answers RESOURCE_EXHAUSTED, which REST clients saw as 429.
                ("grpc.max_metadata_size", _MAX_METADATA_BYTES),
                ("grpc.absolute_max_metadata_size", _MAX_METADATA_BYTES),
                *keepalive_policy(settings),
            ],
        )
        self.health = health.aio.HealthServicer()
        self.port = 0
        self._stopped = asyncio.Event()

    async def start(self, register: Register, *, host: str | None = None, port: int | None = None) -> int:
        register(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = (*self.service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
        enable_reflection(names, self.server)  # v1 and v1alpha
        address = f"{host or self.settings.grpc_host}:{self.settings.grpc_port if port is None else port}"
        if tls.enabled(self.settings):
            self.port = self.server.add_secure_port(address, tls.server_credentials(self.settings))
        else:
            self.port = self.server.add_insecure_port(address)
        if self.port == 0:
            raise RuntimeError(f"{self.name}: cannot bind {address}")
        await self.server.start()
        for service in (*self.service_names, READINESS_SERVICE, ""):
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("%s listening on %s:%d", self.name, host or self.settings.grpc_host, self.port)
        return self.port

    async def set_serving(self, serving: bool) -> None:
        """Readiness: the service names and READINESS_SERVICE are NOT_SERVING while a dependency the service cannot
        work without is out; "" stays SERVING (liveness). After a graceful shutdown began, the health servicer
        ignores this and everything stays NOT_SERVING."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in (*self.service_names, READINESS_SERVICE):
            await self.health.set(service, status)

    async def stop(self, grace: float | None = None) -> None:
        if self._stopped.is_set():
            return
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.settings.grpc_shutdown_grace_s if grace is None else grace)
        self._stopped.set()

    async def wait(self) -> None:
        await self._stopped.wait()


def install_signal_handlers(on_signal: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)


async def serve_until_signalled(server: GrpcServer, cleanups: Iterable[Cleanup] = ()) -> None:
    """Block until SIGTERM/SIGINT, then drain the server and run cleanups in order."""
    stop = asyncio.Event()
    install_signal_handlers(stop.set)
    await stop.wait()
    log.info("%s: shutting down, draining in-flight calls", server.name)
    await server.stop()
    for cleanup in cleanups:
        try:
            await cleanup()
        except Exception:
            log.exception("cleanup failed")
