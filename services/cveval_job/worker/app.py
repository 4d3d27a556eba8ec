"""Composition root of the evaluation worker: one durable JetStream consumer shared by every replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import tempfile
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from cveval_job.adapters.gateway_client import GatewayClient
from cveval_job.adapters.jetstream_queue import JetStreamJobQueue, StatusEvents
from cveval_job.adapters.job_repository import JobRepository
from cveval_job.adapters.result_client import ResultClient
from cveval_job.adapters.upload_client import UploadClient
from cveval_job.adapters.vacancy_repository import VacancyRepository
from cveval_job.scoring.llm_scorer import LlmScorer
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.ports import Scorer
from cveval_job.time_budgets import job_time_budget, step_timeouts
from cveval_job.worker.evaluate import Evaluator
from cveval_job.worker.handler import EvaluationHandler
from cveval_kit import jetstream
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_clients import channel, close_channels
from cveval_kit.metrics import start_metrics_server
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)

HEARTBEAT_FILE = Path(os.environ.get("CVEVAL_WORKER_HEARTBEAT", Path(tempfile.gettempdir()) / "cveval-worker.alive"))
HEARTBEAT_INTERVAL_S = 5.0
HEARTBEAT_MAX_AGE_S = 30.0


def choose_scorer(settings: Settings, gateway: GatewayClient, environ: Mapping[str, str] | None = None) -> Scorer:
    """CVEVAL_SCORER: llm, offline, or auto (llm when the worker's environment configures a model provider)."""
    if settings.resolved_scorer(os.environ if environ is None else environ) == "llm":
        return LlmScorer(gateway, timeouts=step_timeouts(settings))
    # The reference date for "Present" in dated roles; read per evaluation, not once at start-up.
    return OfflineScorer(date.today)


def degraded_scorer(primary: Scorer) -> Scorer | None:
    """What scores when the LLM scorer's provider stays unavailable and the vacancy allows it; the offline scorer
    needs no provider, so it has no fallback."""
    return OfflineScorer(date.today) if isinstance(primary, LlmScorer) else None


async def _heartbeat(consumer_task: asyncio.Task[None]) -> None:
    while not consumer_task.done():
        await asyncio.to_thread(HEARTBEAT_FILE.write_text, str(time.time()))
        await asyncio.sleep(HEARTBEAT_INTERVAL_S)


def healthy() -> bool:
    try:
        return time.time() - float(HEARTBEAT_FILE.read_text()) < HEARTBEAT_MAX_AGE_S
    except (OSError, ValueError):
        return False


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    # Checked before connecting to anything: budgets that contradict each other stop the worker at start-up.
    budget = job_time_budget(settings, os.environ)
    engine = create_engine(settings, "cveval-worker")
    sessions = session_factory(engine)
    nc = await jetstream.connect(settings.nats_url, "cveval-worker", settings)
    await JetStreamJobQueue(nc, settings).ensure_stream()
    gateway = GatewayClient(channel(settings.gateway_addr), timeout_s=settings.llm_timeout_s + 5)
    scorer = choose_scorer(settings, gateway)
    log.info("scoring with the %s scorer (CVEVAL_SCORER=%s)", type(scorer).__name__, settings.scorer)
    evaluator = Evaluator(
        UploadClient(channel(settings.upload_addr)),
        VacancyRepository(sessions),
        gateway,
        scorer,
        degraded_scorer(scorer),
    )
    handler = EvaluationHandler(
        JobRepository(sessions),
        evaluator,
        ResultClient(channel(settings.result_addr)),
        StatusEvents(nc, settings.events_subject_prefix),
        max_attempts=settings.worker_max_deliver,
        evaluation_timeout_s=budget.evaluation_s,
    )
    options = jetstream.ConsumerOptions(
        stream=settings.jobs_stream,
        subject=settings.jobs_subject,
        durable=settings.worker_durable,
        concurrency=settings.worker_concurrency,
        max_deliver=settings.worker_max_deliver,
        ack_wait_s=settings.worker_ack_wait_s,
        retry_delay_s=settings.worker_retry_delay_s,
        max_retry_delay_s=settings.worker_max_retry_delay_s,
        dead_letter_subject=settings.dead_letter_subject,
    )
    consumer = jetstream.PullConsumer(nc.jetstream(), options, handler)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
    consumer_task = asyncio.create_task(consumer.run())
    # The consumer's backlog is exported once, by the job service (cveval_job.queue_lag), not by every replica.
    helpers = [asyncio.create_task(_heartbeat(consumer_task))]
    stop_task = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({consumer_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        log.info("worker stopping: finishing in-flight evaluations")
        consumer.stop()
        await consumer_task
    finally:
        for task in (*helpers, stop_task):
            task.cancel()
        await asyncio.to_thread(HEARTBEAT_FILE.unlink, missing_ok=True)
        await nc.drain()
        await close_channels(settings.upload_addr, settings.gateway_addr, settings.result_addr)
        await engine.dispose()


async def serve(settings: Settings) -> None:
    start_metrics_server(settings.metrics_port)
    await run(settings)
