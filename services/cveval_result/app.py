"""Composition root of the result service."""

from __future__ import annotations

from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval_kit import jetstream
from cveval_kit.audit import JetStreamAuditTrail
from cveval_kit.audit_batching import BatchingAuditTrail
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_clients import channel, close_channels
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.readiness import watch_database
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings
from cveval_result.access import POLICY
from cveval_result.adapters.erasures import NatsErasureNotices
from cveval_result.adapters.events import NatsStatusEvents
from cveval_result.adapters.job_client import JobClient
from cveval_result.adapters.repository import ResultRepository
from cveval_result.ranking_service import RankingApplication
from cveval_result.service import ResultApplication
from cveval_result.servicer import ResultServicer

SERVICE_NAME = result_pb2.DESCRIPTOR.services_by_name["ResultService"].full_name


async def start(settings: Settings, port: int | None = None) -> Running:
    engine = create_engine(settings, "cveval-result")
    nc = await jetstream.connect(settings.nats_url, "cveval-result", settings)
    stream = JetStreamAuditTrail(nc, settings.audit_stream, settings.audit_subject_prefix, "result")
    await stream.ensure()
    # Reads are audited through a buffer published in batches, off the answer's path (decision record 0027).
    trail = BatchingAuditTrail(stream.publish_batch, "result")
    trail.start()
    events = NatsStatusEvents(nc, settings.events_subject_prefix)
    repository = ResultRepository(session_factory(engine))
    ranking = RankingApplication(repository, trail)
    erasures = NatsErasureNotices(nc, settings.results_erased_subject)
    app = ResultApplication(repository, JobClient(channel(settings.job_addr)), events, trail, erasures=erasures)
    await events.start(app.job_status_changed)
    await erasures.start(app.erased_elsewhere)
    server = GrpcServer("result", settings, [SERVICE_NAME], policy=POLICY)
    servicer = ResultServicer(app, ranking)
    await server.start(lambda s: result_pb2_grpc.add_ResultServiceServicer_to_server(servicer, s), port=port)
    stop_readiness = watch_database(server, engine, settings.readiness_interval_s)

    async def close_own_channels() -> None:
        await close_channels(settings.job_addr)

    return Running(server=server, cleanups=[stop_readiness, trail.close, nc.drain, close_own_channels, engine.dispose])


async def serve(settings: Settings) -> None:
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
