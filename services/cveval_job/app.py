"""Composition root of the job service's API process: JobService and VacancyService on one gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from typing import Final

import grpc

from cveval.job.v1 import admin_pb2, admin_pb2_grpc, job_pb2, job_pb2_grpc, vacancy_pb2, vacancy_pb2_grpc
from cveval_job.access import POLICY
from cveval_job.adapters.batch_repository import BatchRepository
from cveval_job.adapters.gateway_client import GatewayClient
from cveval_job.adapters.jetstream_queue import JetStreamJobQueue
from cveval_job.adapters.job_repository import JobRepository
from cveval_job.adapters.protection_repository import ProtectionRepository
from cveval_job.adapters.result_client import ResultClient
from cveval_job.adapters.upload_client import UploadClient
from cveval_job.adapters.vacancy_repository import VacancyRepository
from cveval_job.batches.service import BatchApplication
from cveval_job.protection.background import audit_subscription, purge_periodically, record_audit_feed
from cveval_job.protection.service import DataProtection
from cveval_job.protection.servicer import AdminServicer
from cveval_job.published_marks import PublishedMarks
from cveval_job.queue_lag import watch_consumer_lag
from cveval_job.reconciler import ReconcilePolicy, Reconciler
from cveval_job.service import JobApplication
from cveval_job.servicer import JobServicer
from cveval_job.time_budgets import job_time_budget
from cveval_job.vacancies.indexing import ReferenceIndexer
from cveval_job.vacancies.service import VacancyApplication
from cveval_job.vacancies.servicer import VacancyServicer
from cveval_kit import jetstream
from cveval_kit.audit import JetStreamAuditTrail
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_clients import channel, close_channels
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.readiness import watch_database
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)
SERVICE_NAMES: Final = (
    job_pb2.DESCRIPTOR.services_by_name["JobService"].full_name,
    vacancy_pb2.DESCRIPTOR.services_by_name["VacancyService"].full_name,
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name,
)
# Embedding a vacancy's reference chunks happens inside CreateVacancy / Evaluate: bound it well below Envoy's 30 s
# route timeout; on a timeout the vacancy is still created and the worker embeds lazily.
REFERENCE_EMBED_TIMEOUT_S: Final = 15.0
# Start-up embedding of the default vacancy: retried while the ai-gateway comes up (services start in parallel).
DEFAULT_INDEX_DELAYS_S: Final = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0)


def reconcile_policy(settings: Settings) -> ReconcilePolicy:
    """The stuck threshold follows from the LLM step budgets (time_budgets), so a slow model's job in progress is
    never published again; inconsistent settings stop the service here, before it takes any request."""
    stuck_after_s = job_time_budget(settings, os.environ).stuck_after_s
    log.info("a queued/processing job untouched for %.0f s is published again", stuck_after_s)
    return ReconcilePolicy(
        stuck_after=timedelta(seconds=stuck_after_s),
        deadline=timedelta(seconds=settings.reconcile_deadline_s),
    )


async def _index_default(vacancies: VacancyApplication) -> None:
    """In the background so a down ai-gateway never holds up start-up; after the last try the worker's lazy
    embedding covers the default vacancy."""
    for delay in DEFAULT_INDEX_DELAYS_S:
        await asyncio.sleep(delay)
        if await vacancies.index_default():
            return
    log.warning("the default vacancy's reference chunks were not embedded at start-up; the worker will on first use")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def start(settings: Settings, port: int | None = None) -> Running:
    engine = create_engine(settings, "cveval-job")
    sessions = session_factory(engine)
    nc = await jetstream.connect(settings.nats_url, "cveval-job", settings)
    queue = JetStreamJobQueue(nc, settings)
    await queue.ensure_stream()
    vacancy_store = VacancyRepository(sessions)
    gateway = GatewayClient(channel(settings.gateway_addr), timeout_s=REFERENCE_EMBED_TIMEOUT_S)
    uploads = UploadClient(channel(settings.upload_addr))
    vacancies = VacancyApplication(vacancy_store, ReferenceIndexer(gateway, vacancy_store), uploads)
    job_store = JobRepository(sessions)
    marks = PublishedMarks(job_store.mark_many_published)
    marks.start()
    app = JobApplication(job_store, vacancies, uploads, queue, marks)
    batches = BatchApplication(BatchRepository(sessions), app)
    trail = JetStreamAuditTrail(nc, settings.audit_stream, settings.audit_subject_prefix, "job")
    await trail.ensure()
    protection_store = ProtectionRepository(sessions)
    protection = DataProtection(protection_store, uploads, ResultClient(channel(settings.result_addr)), queue, trail)
    await vacancies.install_default()
    audit_feed = await audit_subscription(nc, settings)
    reconciler = Reconciler(job_store, queue, reconcile_policy(settings))
    server = GrpcServer("job", settings, SERVICE_NAMES, policy=POLICY)

    def register(s: grpc.aio.Server) -> None:
        job_pb2_grpc.add_JobServiceServicer_to_server(JobServicer(app, protection, batches), s)
        vacancy_pb2_grpc.add_VacancyServiceServicer_to_server(VacancyServicer(vacancies), s)
        admin_pb2_grpc.add_AdminServiceServicer_to_server(AdminServicer(protection), s)

    await server.start(register, port=port)
    tasks = [
        asyncio.create_task(reconciler.run_forever(settings.reconcile_interval_s)),
        asyncio.create_task(_index_default(vacancies)),
        asyncio.create_task(record_audit_feed(audit_feed, protection_store)),
        asyncio.create_task(purge_periodically(engine, protection, settings.retention_purge_interval_s)),
        asyncio.create_task(watch_consumer_lag(nc, settings.jobs_stream, settings.worker_durable)),
    ]
    stop_readiness = watch_database(server, engine, settings.readiness_interval_s)

    async def stop_tasks() -> None:
        for task in tasks:
            await _cancel(task)
        # A fetch cancelled mid-way leaves messages in the subscription that drain would wait on.
        with contextlib.suppress(Exception):
            await audit_feed.unsubscribe()

    async def close_own_channels() -> None:
        await close_channels(settings.upload_addr, settings.gateway_addr, settings.result_addr)

    return Running(
        server=server, cleanups=[stop_readiness, stop_tasks, marks.close, nc.drain, close_own_channels, engine.dispose]
    )


async def serve(settings: Settings) -> None:
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
