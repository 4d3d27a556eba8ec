"""Composition root of the upload service."""

from __future__ import annotations

import ctypes
import ctypes.util

from cveval.upload.v1 import upload_pb2, upload_pb2_grpc
from cveval_kit import jetstream
from cveval_kit.audit import JetStreamAuditTrail
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_clients import channel, close_channels
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.readiness import watch_database
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings
from cveval_upload.access import POLICY
from cveval_upload.adapters.extraction_pool import SandboxedPreparer
from cveval_upload.adapters.gateway_client import GatewayForgetter
from cveval_upload.adapters.repository import DocumentRepository
from cveval_upload.admission import ByteBudget
from cveval_upload.service import UploadService
from cveval_upload.servicer import UploadServicer
from cveval_upload.settings import UploadSettings

SERVICE_NAME = upload_pb2.DESCRIPTOR.services_by_name["UploadService"].full_name
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 128 * 1024


def return_large_buffers_to_the_os() -> None:
    """Pin glibc's mmap threshold. By default it rises after a large block is freed, after which upload-sized
    buffers come from the heap and stay in the RSS once freed (the service never shrank after a burst of uploads);
    pinned, every buffer of 128 KiB or more is its own mapping, given back to the OS when freed."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    libc = ctypes.CDLL(name)
    if hasattr(libc, "mallopt"):  # glibc only; other C libraries behave their own way
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)


async def start(settings: Settings, port: int | None = None, upload: UploadSettings | None = None) -> Running:
    upload = upload or UploadSettings()
    return_large_buffers_to_the_os()
    engine = create_engine(settings, "cveval-upload")
    nc = await jetstream.connect(settings.nats_url, "cveval-upload", settings)
    trail = JetStreamAuditTrail(nc, settings.audit_stream, settings.audit_subject_prefix, "upload")
    await trail.ensure()
    preparer = SandboxedPreparer(upload, settings.max_upload_bytes)
    budget = ByteBudget(upload.inflight_bytes, upload.busy_retry_after_s)
    service = UploadService(
        DocumentRepository(session_factory(engine)),
        preparer,
        budget,
        settings.max_upload_bytes,
        trail,
        GatewayForgetter(channel(settings.gateway_addr)),
    )
    server = GrpcServer("upload", settings, [SERVICE_NAME], policy=POLICY)
    await server.start(
        lambda s: upload_pb2_grpc.add_UploadServiceServicer_to_server(UploadServicer(service), s), port=port
    )
    stop_readiness = watch_database(server, engine, settings.readiness_interval_s)

    async def close_own_channels() -> None:
        await close_channels(settings.gateway_addr)

    return Running(
        server=server, cleanups=[stop_readiness, nc.drain, close_own_channels, preparer.close, engine.dispose]
    )


async def serve(settings: Settings) -> None:
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
