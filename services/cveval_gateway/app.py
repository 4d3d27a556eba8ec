"""Composition root of the ai-gateway service."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_gateway.adapters.embedding_store import EmbeddingStore
from cveval_gateway.cache.completions import CompletionCache
from cveval_gateway.cache.embeddings import EmbeddingCache
from cveval_gateway.cache.forget_feed import follow_forgotten
from cveval_gateway.cache.settings import GatewaySettings
from cveval_gateway.observability import watch_loop_lag
from cveval_gateway.providers.registry import build_providers
from cveval_gateway.service import GatewayService
from cveval_gateway.servicer import GatewayServicer
from cveval_kit.db import create_engine
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = aigateway_pb2.DESCRIPTOR.services_by_name["AiGatewayService"].full_name


def build_service(settings: Settings, tuning: GatewaySettings | None = None) -> GatewayService:
    """Providers from the registry (retries, breakers, fallbacks, offline engine), caches and batching from tuning."""
    tuning = tuning or GatewaySettings()
    providers = build_providers(settings)
    store = None
    if settings.database_url and tuning.embed_cache_persist:
        store = EmbeddingStore(create_engine(settings, "cveval-gateway"))
    else:
        log.info("embedding cache is memory-only (no CVEVAL_DATABASE_URL or persistence turned off)")
    embed_cache = EmbeddingCache(
        tuning.embed_cache_bytes,
        store,
        read_timeout_s=tuning.embed_cache_db_timeout_s,
        max_pending_writes=tuning.embed_cache_max_pending_writes,
    )
    completions = (
        CompletionCache(tuning.completion_cache_bytes, tuning.completion_cache_ttl_s)
        if tuning.completion_cache_bytes > 0
        else None
    )
    return GatewayService(
        providers.chat,
        providers.embed,
        chat_model=providers.chat_model,
        embed_model=providers.embed_model,
        timeout_s=settings.llm_timeout_s,
        embed_cache=embed_cache,
        completions=completions,
        batch_window_s=tuning.batch_window_ms / 1000.0,
        batch_max=tuning.batch_max,
        close_providers=providers.aclose,
    )


async def start(settings: Settings, port: int | None = None, *, tuning: GatewaySettings | None = None) -> Running:
    tuning = tuning or GatewaySettings()
    service = build_service(settings, tuning)
    background = [asyncio.create_task(watch_loop_lag(tuning.loop_lag_interval_s), name="gateway-loop-lag")]
    store = service.embedder.cache.store
    if isinstance(store, EmbeddingStore):
        feed = follow_forgotten(store, service.drop_from_memory, service.clear_memory, tuning.forget_poll_s)
        background.append(asyncio.create_task(feed, name="gateway-forget-feed"))

    async def stop_lag() -> None:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    server = GrpcServer("gateway", settings, [SERVICE_NAME])
    try:
        await server.start(
            lambda s: aigateway_pb2_grpc.add_AiGatewayServiceServicer_to_server(GatewayServicer(service), s), port=port
        )
    except BaseException:
        await stop_lag()
        await service.aclose()
        raise
    return Running(server=server, cleanups=[service.aclose, stop_lag])


async def serve(settings: Settings) -> None:
    # httpx logs every request at INFO; the metrics and spans already tell that story.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    assert running.server is not None
    await serve_until_signalled(running.server, running.cleanups)
