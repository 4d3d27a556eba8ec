"""Every service and a worker started in this process against the suite's real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from cveval.aigateway.v1 import aigateway_pb2_grpc
from cveval.job.v1 import admin_pb2_grpc, job_pb2_grpc, vacancy_pb2_grpc
from cveval.result.v1 import result_pb2_grpc
from cveval.upload.v1 import upload_pb2_grpc
from cveval_devstack.procs import free_port
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings
from tests.support.identity import TEST_IDENTITY_SECRET, caller
from tests.support.infra import unique_names

Metadata = tuple[tuple[str, str], ...]


class _Identity:
    """Adds a freshly signed caller identity to every call, as the edge would (tokens expire, so one per call)."""

    def __init__(self, identity: Callable[[], Metadata]) -> None:
        self.identity = identity

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        for key, value in self.identity():
            if key not in metadata:
                metadata.add(key, value)
        return details._replace(metadata=metadata)


# grpc.aio files each interceptor under the first call shape it implements, so each shape needs its own object.
class _UnaryUnary(_Identity, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStream(_Identity, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnary(_Identity, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(details), request_iterator)


class _StreamStream(_Identity, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(details), request_iterator)


def _with_identity(identity: Callable[[], Metadata]) -> list[Any]:
    return [kind(identity) for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)]


def identity_channel(addr: str, identity: Callable[[], Metadata] | None = None) -> grpc.aio.Channel:
    """A channel to one service whose calls carry a signed identity, `caller()` (a submitter of tenant-a) unless
    given, as calls through the edge do."""
    return grpc.aio.insecure_channel(addr, interceptors=_with_identity(identity or caller))


@dataclass
class Mesh:
    settings: Settings
    running: list[Running] = field(default_factory=list)
    worker_stop: asyncio.Event = field(default_factory=asyncio.Event)
    worker_task: asyncio.Task[None] | None = None
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def _channel(self, addr: str, identity: Callable[[], Metadata] | None = None) -> grpc.aio.Channel:
        """A channel whose calls carry a signed identity: `caller()` (a submitter of tenant-a) unless given."""
        ch = identity_channel(addr, identity)
        self.channels.append(ch)
        return ch

    def upload(self, identity: Callable[[], Metadata] | None = None) -> upload_pb2_grpc.UploadServiceStub:
        return upload_pb2_grpc.UploadServiceStub(self._channel(self.settings.upload_addr, identity))

    def jobs(self, identity: Callable[[], Metadata] | None = None) -> job_pb2_grpc.JobServiceStub:
        return job_pb2_grpc.JobServiceStub(self._channel(self.settings.job_addr, identity))

    def vacancies(self, identity: Callable[[], Metadata] | None = None) -> vacancy_pb2_grpc.VacancyServiceStub:
        return vacancy_pb2_grpc.VacancyServiceStub(self._channel(self.settings.job_addr, identity))

    def results(self, identity: Callable[[], Metadata] | None = None) -> result_pb2_grpc.ResultServiceStub:
        return result_pb2_grpc.ResultServiceStub(self._channel(self.settings.result_addr, identity))

    def admin(self, identity: Callable[[], Metadata] | None = None) -> admin_pb2_grpc.AdminServiceStub:
        return admin_pb2_grpc.AdminServiceStub(self._channel(self.settings.job_addr, identity))

    def gateway(self) -> aigateway_pb2_grpc.AiGatewayServiceStub:
        """Internal only: no identity."""
        ch = grpc.aio.insecure_channel(self.settings.gateway_addr)
        self.channels.append(ch)
        return aigateway_pb2_grpc.AiGatewayServiceStub(ch)

    async def stop(self) -> None:
        self.worker_stop.set()
        if self.worker_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.worker_task, 30)
        for ch in self.channels:
            await ch.close()
        for r in reversed(self.running):
            await r.stop()


def mesh_settings(database_url: str, nats_url: str, **overrides: object) -> Settings:
    ports = {name: free_port() for name in ("upload", "job", "result", "gateway")}
    values: dict[str, object] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "grpc_host": "127.0.0.1",
        "upload_addr": f"127.0.0.1:{ports['upload']}",
        "job_addr": f"127.0.0.1:{ports['job']}",
        "result_addr": f"127.0.0.1:{ports['result']}",
        "gateway_addr": f"127.0.0.1:{ports['gateway']}",
        "worker_retry_delay_s": 0.1,
        "worker_max_deliver": 3,
        "db_pool_size": 5,
        "identity_secret": TEST_IDENTITY_SECRET,
        **unique_names(),
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def start_mesh(settings: Settings, *, with_worker: bool = True, with_gateway: bool = True) -> Mesh:
    from cveval_gateway import app as gateway_app
    from cveval_job import app as job_app
    from cveval_job.worker import app as worker_app
    from cveval_result import app as result_app
    from cveval_upload import app as upload_app

    mesh = Mesh(settings)
    port = lambda addr: int(addr.rsplit(":", 1)[1])  # noqa: E731
    try:
        if with_gateway:
            mesh.running.append(await gateway_app.start(settings, port=port(settings.gateway_addr)))
        mesh.running.append(await upload_app.start(settings, port=port(settings.upload_addr)))
        mesh.running.append(await job_app.start(settings, port=port(settings.job_addr)))
        mesh.running.append(await result_app.start(settings, port=port(settings.result_addr)))
        if with_worker:
            mesh.worker_task = asyncio.create_task(worker_app.run(settings, stop=mesh.worker_stop))
    except BaseException:
        await mesh.stop()
        raise
    return mesh
