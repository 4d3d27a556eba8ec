"""Composition root of the ai-gateway service."""

from __future__ import annotations

import logging

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_gateway.providers import offline
from cveval_gateway.providers.base import Provider
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_gateway.servicer import GatewayServicer
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = aigateway_pb2.DESCRIPTOR.services_by_name["AiGatewayService"].full_name


def build_service(settings: Settings) -> GatewayService:
    """A remote provider when CVEVAL_LLM_BASE_URL is set, else the offline engine (with its own model names)."""
    if not settings.llm_base_url.strip():
        log.info("no CVEVAL_LLM_BASE_URL: using the offline engine")
        engine = offline.OfflineEngine()
        return GatewayService(
            engine, engine, chat_model=offline.CHAT_MODEL, embed_model=offline.EMBED_MODEL,
            timeout_s=settings.llm_timeout_s,
        )
    remote: Provider = OpenAICompatProvider(
        settings.llm_base_url,
        settings.llm_api_key,
        max_connections=settings.llm_max_connections,
        timeout_s=settings.llm_timeout_s,
    )
    # Never log the key: the name is the provider's host name only.
    log.info(
        "model provider %s (chat %s, embeddings %s)", remote.name, settings.llm_chat_model, settings.llm_embed_model
    )
    return GatewayService(
        remote, remote, chat_model=settings.llm_chat_model, embed_model=settings.llm_embed_model,
        timeout_s=settings.llm_timeout_s,
    )


async def start(settings: Settings, port: int | None = None) -> Running:
    service = build_service(settings)
    server = GrpcServer("gateway", settings, [SERVICE_NAME])
    try:
        await server.start(
            lambda s: aigateway_pb2_grpc.add_AiGatewayServiceServicer_to_server(GatewayServicer(service), s), port=port
        )
    except BaseException:
        await service.aclose()
        raise
    return Running(server=server, cleanups=[service.aclose])


async def serve(settings: Settings) -> None:
    # httpx logs every request at INFO; the metrics and spans already tell that story.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    running = await start(settings)
    start_metrics_server(settings.metrics_port)
    assert running.server is not None
    await serve_until_signalled(running.server, running.cleanups)
