"""Prometheus exposition: one /metrics HTTP endpoint per process, and the metrics every service shares.

Shared here: RED per gRPC method (requests and latency by status code, in flight), recorded by the kit's server
interceptor, the JetStream consumer loop's own (messages by outcome, handling time, publish-to-handle latency,
in flight), and the batched audit trail's (events published, dropped at shutdown, failed batches). Each service
declares its own in its `metrics.py`. Every name starts with `cveval_`; deploy/observability/metrics.txt lists them
all and a test holds the two to each other.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, start_http_server

from cveval_kit.settings import get_settings

log = logging.getLogger(__name__)

GRPC_REQUESTS = Counter("cveval_grpc_requests_total", "gRPC calls handled by final status code", ["method", "code"])
GRPC_LATENCY = Histogram(
    "cveval_grpc_request_duration_seconds",
    "gRPC call latency by final status code (the SLO's good events are OK calls under its threshold)",
    ["method", "code"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GRPC_IN_FLIGHT = Gauge("cveval_grpc_in_flight", "gRPC calls in progress", ["method"])

# The JetStream consumer loop (cveval_kit.jetstream), labelled by durable consumer name.
MESSAGES = Counter("cveval_queue_messages_total", "JetStream messages handled", ["consumer", "outcome"])
HANDLE_SECONDS = Histogram(
    "cveval_queue_handle_duration_seconds",
    "Time to handle one message",
    ["consumer"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
QUEUE_LATENCY = Histogram(
    "cveval_queue_latency_seconds",
    "Time from publish to the start of handling",
    ["consumer"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_FLIGHT = Gauge("cveval_queue_in_flight", "Messages being handled", ["consumer"])

# The batched audit trail (cveval_kit.audit_batching), labelled by the publishing service.
AUDIT_EVENTS_PUBLISHED = Counter(
    "cveval_audit_events_published_total", "Audit events stored in the audit stream", ["service"]
)
AUDIT_EVENTS_DROPPED = Counter(
    "cveval_audit_events_dropped_total",
    "Audit events a process could not publish before it stopped (each one is also logged as an error)",
    ["service"],
)
AUDIT_BATCH_FAILURES = Counter(
    "cveval_audit_batch_failures_total", "Failed publishes of a batch of audit events (retried)", ["service"]
)


def start_metrics_server(port: int, host: str | None = None) -> None:
    """Serve /metrics on `port` (0 disables) at the gRPC listen host: loopback locally, 0.0.0.0 in containers."""
    if port <= 0:
        return
    # No `<name>_created` series: one more series per label set that no dashboard or rule reads.
    disable_created_metrics()
    bind = host or get_settings().grpc_host
    start_http_server(port, addr=bind)
    log.info("metrics on http://%s:%d/metrics", bind, port)
