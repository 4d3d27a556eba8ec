"""Composition root of the job service's API process."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cveval.job.v1 import job_pb2, job_pb2_grpc
from cveval_job.adapters.jetstream_queue import JetStreamJobQueue
from cveval_job.adapters.job_repository import JobRepository
from cveval_job.adapters.upload_client import UploadClient
from cveval_job.adapters.vacancy_repository import VacancyRepository
from cveval_job.service import JobApplication
from cveval_job.servicer import JobServicer
from cveval_kit import jetstream
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_clients import channel, close_channels
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)
SERVICE_NAME = job_pb2.DESCRIPTOR.services_by_name["JobService"].full_name
RELAY_INTERVAL_S = 5.0


async def _relay(app: JobApplication) -> None:
    while True:
        await asyncio.sleep(RELAY_INTERVAL_S)
        try:
            count = await app.republish_pending()
            if count:
                log.info("relay published %d pending jobs", count)
        except Exception:
            log.warning("outbox relay pass failed", exc_info=True)


async def start(settings: Settings, port: int | None = None) -> Running:
    engine = create_engine(settings, "cveval-job")
    sessions = session_factory(engine)
    nc = await jetstream.connect(settings.nats_url, "cveval-job")
    queue = JetStreamJobQueue(nc, settings)
    await queue.ensure_stream()
    app = JobApplication(
        JobRepository(sessions), VacancyRepository(sessions), UploadClient(channel(settings.upload_addr)), queue
    )
    await app.install_default_vacancy()
    relay = asyncio.create_task(_relay(app))
    server = GrpcServer("job", settings, [SERVICE_NAME])
    await server.start(lambda s: job_pb2_grpc.add_JobServiceServicer_to_server(JobServicer(app), s), port=port)

    async def stop_relay() -> None:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay

    return Running(server=server, cleanups=[stop_relay, nc.drain, close_channels, engine.dispose])


async def serve(settings: Settings) -> None:
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
