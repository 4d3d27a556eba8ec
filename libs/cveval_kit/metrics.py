"""Prometheus exposition: one /metrics HTTP endpoint per process."""

from __future__ import annotations

import logging

from prometheus_client import start_http_server

log = logging.getLogger(__name__)


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:
    if port <= 0:
        return
    start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
