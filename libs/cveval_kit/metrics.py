"""Prometheus exposition: one /metrics HTTP endpoint per process."""

from __future__ import annotations

import logging

from prometheus_client import start_http_server

from cveval_kit.settings import get_settings

log = logging.getLogger(__name__)


def start_metrics_server(port: int, host: str | None = None) -> None:
    """Serve /metrics on `port` (0 disables) at the gRPC listen host: loopback locally, 0.0.0.0 in containers."""
    if port <= 0:
        return
    bind = host or get_settings().grpc_host
    start_http_server(port, addr=bind)
    log.info("metrics on http://%s:%d/metrics", bind, port)
