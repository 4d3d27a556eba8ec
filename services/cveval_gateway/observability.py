"""Metrics and spans for upstream model calls: one span and one set of samples per provider call."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from opentelemetry import trace
from prometheus_client import Counter, Histogram

AI_REQUESTS = Counter(
    "cveval_ai_requests_total", "Upstream model calls by outcome", ["op", "provider", "model", "outcome"]
)
AI_LATENCY = Histogram(
    "cveval_ai_request_duration_seconds",
    "Upstream model call latency, retries included",
    ["op", "provider", "model"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
AI_TOKENS = Counter(
    "cveval_ai_tokens_total", "Tokens sent to and received from models", ["provider", "model", "direction"]
)

tracer = trace.get_tracer("cveval_gateway")


@dataclass
class Observation:
    """Filled in while the call runs; turned into samples when it ends, whatever its outcome."""

    span: trace.Span
    model: str
    outcome: str = "error"
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def succeeded(self, model: str, prompt_tokens: int, completion_tokens: int = 0) -> None:
        # Label with the model that answered: the offline engine, for one, ignores the requested name.
        self.model = model or self.model
        self.outcome = "ok"
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.span.set_attribute("gen_ai.response.model", self.model)
        self.span.set_attribute("gen_ai.usage.input_tokens", prompt_tokens)
        self.span.set_attribute("gen_ai.usage.output_tokens", completion_tokens)

    def failed(self, outcome: str, message: str) -> None:
        self.outcome = outcome
        self.span.set_status(trace.Status(trace.StatusCode.ERROR, message))


@asynccontextmanager
async def observed(op: str, provider: str, model: str) -> AsyncIterator[Observation]:
    """Span attributes follow the OpenTelemetry GenAI conventions (gen_ai.*), which tracing backends understand."""
    started = time.perf_counter()
    with tracer.start_as_current_span(
        f"{op} {model}", kind=trace.SpanKind.CLIENT, record_exception=False, set_status_on_exception=False
    ) as span:
        span.set_attribute("gen_ai.operation.name", op)
        span.set_attribute("gen_ai.system", provider)
        span.set_attribute("gen_ai.request.model", model)
        observation = Observation(span=span, model=model)
        try:
            yield observation
        except BaseException as exc:
            # Cancellation (the caller gave up) is not a provider failure; keep it apart on dashboards.
            if not isinstance(exc, Exception):
                observation.outcome = "cancelled"
            raise
        finally:
            AI_REQUESTS.labels(op, provider, observation.model, observation.outcome).inc()
            AI_LATENCY.labels(op, provider, observation.model).observe(time.perf_counter() - started)
            if observation.prompt_tokens > 0:
                AI_TOKENS.labels(provider, observation.model, "prompt").inc(observation.prompt_tokens)
            if observation.completion_tokens > 0:
                AI_TOKENS.labels(provider, observation.model, "completion").inc(observation.completion_tokens)
