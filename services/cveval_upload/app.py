"""Composition root of the upload service."""

from __future__ import annotations

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
from cveval_upload.adapters.gateway_client import GatewayForgetter
from cveval_upload.adapters.repository import DocumentRepository
from cveval_upload.service import UploadService
from cveval_upload.servicer import UploadServicer

SERVICE_NAME = upload_pb2.DESCRIPTOR.services_by_name["UploadService"].full_name


async def start(settings: Settings, port: int | None = None) -> Running:
    engine = create_engine(settings, "cveval-upload")
    nc = await jetstream.connect(settings.nats_url, "cveval-upload")
    trail = JetStreamAuditTrail(nc, settings.audit_stream, settings.audit_subject_prefix, "upload")
    await trail.ensure()
    service = UploadService(
        DocumentRepository(session_factory(engine)),
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

    return Running(server=server, cleanups=[stop_readiness, nc.drain, close_own_channels, engine.dispose])


async def serve(settings: Settings) -> None:
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
