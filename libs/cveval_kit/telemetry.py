"""The one place where OpenTelemetry is set up for a process: traces, metrics and logs.

Everything is read by the SDK's own environment configurator (`_initialize_components`, the code that
`opentelemetry-instrument` runs), so every standard variable works as the specification says:
OTEL_{TRACES,METRICS,LOGS}_EXPORTER (otlp, console, none), OTEL_EXPORTER_OTLP_PROTOCOL and the per-signal
OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_PROTOCOL (grpc or http/protobuf), OTEL_EXPORTER_OTLP_ENDPOINT and the
per-signal endpoints, OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _COMPRESSION / _CERTIFICATE, OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER / _ARG, OTEL_BSP_* and OTEL_METRIC_EXPORT_INTERVAL.

One project default on top: when an OTLP endpoint is configured and OTEL_TRACES_EXPORTER is not, traces go to it
over OTLP (a collector address alone turns tracing on). Metrics are Prometheus-scraped (`cveval_kit.metrics`); the
OTLP metrics pipeline carries what is recorded through the OpenTelemetry API. Log records go to the OTLP logs
exporter when OTEL_LOGS_EXPORTER names one, through `opentelemetry-instrumentation-logging`'s handler.

Context crosses processes as W3C traceparent: gRPC metadata through the interceptors, NATS message headers
through `inject_headers` / `extract_context`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import _logs, metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.logging import LoggingInstrumentor

# The SDK's environment configurator; its public wrapper (`_OTelSDKConfigurator`) is underscored too.
from opentelemetry.sdk._configuration import _initialize_components
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from cveval_kit.semconv import CurrentConventions, opt_in_stable_conventions

_configured = False
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def _default_trace_exporters() -> list[str]:
    """`otlp` when a collector endpoint is set and OTEL_TRACES_EXPORTER is not; the SDK reads the variable itself."""
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip():
        return []
    return ["otlp"] if any(os.environ.get(v) for v in _ENDPOINT_VARIABLES) else []


def logs_exported() -> bool:
    names = os.environ.get("OTEL_LOGS_EXPORTER", "").strip().lower()
    return bool(names) and names != "none"


def configure_tracing(service_name: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """Install the global tracer, meter and logger providers once; `processor` lets tests plug an in-memory
    exporter. `service_name` is used unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name the service."""
    global _configured
    current = trace.get_tracer_provider()
    if _configured and isinstance(current, TracerProvider):
        if processor is not None:
            current.add_span_processor(processor)
        return current
    opt_in_stable_conventions()
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    _initialize_components(
        trace_exporter_names=_default_trace_exporters(),
        resource_attributes={} if named else {"service.name": service_name},
        span_processors=[CurrentConventions(), *([processor] if processor is not None else [])],
        setup_logging_handler=False,
    )
    # The OTLP log handler (records carry the current span's context) only when logs are exported; the JSON lines
    # on stderr get their ids from `cveval_kit.logs`.
    if logs_exported():
        LoggingInstrumentor().instrument(enable_log_auto_instrumentation=True)
    _configured = True
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    return provider


def shutdown_tracing() -> None:
    """Flush and stop every signal's pipeline (spans, metrics, log records still buffered are exported)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
    meters = metrics.get_meter_provider()
    if isinstance(meters, MeterProvider):
        meters.shutdown()
    loggers = _logs.get_logger_provider()
    if isinstance(loggers, LoggerProvider):
        loggers.shutdown()


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    propagate.inject(headers)
    return headers


def extract_context(headers: Mapping[str, str] | None) -> Context:
    return propagate.extract(dict(headers or {}))


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""
