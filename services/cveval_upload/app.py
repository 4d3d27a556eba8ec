"""Composition root of the upload service."""

from __future__ import annotations

from cveval.upload.v1 import upload_pb2, upload_pb2_grpc
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.readiness import watch_database
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings
from cveval_upload.adapters.repository import DocumentRepository
from cveval_upload.service import UploadService
from cveval_upload.servicer import UploadServicer

SERVICE_NAME = upload_pb2.DESCRIPTOR.services_by_name["UploadService"].full_name


async def start(settings: Settings, port: int | None = None) -> Running:
    engine = create_engine(settings, "cveval-upload")
    service = UploadService(DocumentRepository(session_factory(engine)), settings.max_upload_bytes)
    server = GrpcServer("upload", settings, [SERVICE_NAME])
    await server.start(
        lambda s: upload_pb2_grpc.add_UploadServiceServicer_to_server(UploadServicer(service), s), port=port
    )
    stop_readiness = watch_database(server, engine, settings.readiness_interval_s)
    return Running(server=server, cleanups=[stop_readiness, engine.dispose])


async def serve(settings: Settings) -> None:
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
