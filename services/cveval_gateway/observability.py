"""Metrics and spans of the gateway: one span and one set of samples per provider call, plus the cache, coalescing,
batching and event-loop samples that show whether the layers in front of the providers earn their keep."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from opentelemetry import trace

# Declared in cveval_gateway.metrics; the cache, batching and coalescing modules import them from here too.
from cveval_gateway.metrics import (
    AI_IN_FLIGHT as AI_IN_FLIGHT,
)
from cveval_gateway.metrics import (
    AI_LATENCY as AI_LATENCY,
)
from cveval_gateway.metrics import (
    AI_REQUESTS as AI_REQUESTS,
)
from cveval_gateway.metrics import (
    AI_TOKENS as AI_TOKENS,
)
from cveval_gateway.metrics import (
    BATCH_SIZE as BATCH_SIZE,
)
from cveval_gateway.metrics import (
    CACHE_BYTES as CACHE_BYTES,
)
from cveval_gateway.metrics import (
    CACHE_ERRORS as CACHE_ERRORS,
)
from cveval_gateway.metrics import (
    CACHE_EVICTIONS as CACHE_EVICTIONS,
)
from cveval_gateway.metrics import (
    CACHE_REQUESTS as CACHE_REQUESTS,
)
from cveval_gateway.metrics import (
    COALESCED as COALESCED,
)
from cveval_gateway.metrics import (
    LOOP_LAG as LOOP_LAG,
)
from cveval_gateway.providers.base import (
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnsupported,
)

# Span attribute names for cache outcomes, set on the span that is current when the gateway serves a call.
CACHE_OUTCOME_ATTR = "cveval.cache.outcome"
CACHE_HITS_ATTR = "cveval.cache.hits"
CACHE_MISSES_ATTR = "cveval.cache.misses"
COALESCED_ATTR = "cveval.coalesced"

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

    def requested(self, temperature: float, max_tokens: int, seed: int | None) -> None:
        """The gen_ai.request.* attributes of a chat call (a 0 max_tokens leaves the limit to the provider)."""
        self.span.set_attribute("gen_ai.request.temperature", temperature)
        if max_tokens > 0:
            self.span.set_attribute("gen_ai.request.max_tokens", max_tokens)
        if seed is not None:
            self.span.set_attribute("gen_ai.request.seed", seed)

    def failed(self, outcome: str, message: str) -> None:
        self.outcome = outcome
        self.span.set_status(trace.Status(trace.StatusCode.ERROR, message))


@asynccontextmanager
async def observed(
    op: str, provider: str, model: str, links: Sequence[trace.Link] = ()
) -> AsyncIterator[Observation]:
    """Span attributes follow the OpenTelemetry GenAI conventions (gen_ai.*), which tracing backends understand.

    `links` ties a merged call (micro-batch, coalesced flight) to the traces of every caller it served.
    """
    started = time.perf_counter()
    with tracer.start_as_current_span(
        f"{op} {model}", kind=trace.SpanKind.CLIENT, links=links, record_exception=False, set_status_on_exception=False
    ) as span:
        span.set_attribute("gen_ai.operation.name", op)
        span.set_attribute("gen_ai.provider.name", provider)
        span.set_attribute("gen_ai.request.model", model)
        observation = Observation(span=span, model=model)
        AI_IN_FLIGHT.labels(op).inc()
        try:
            yield observation
        except BaseException as exc:
            # Cancellation (the caller gave up) is not a provider failure; keep it apart on dashboards.
            if not isinstance(exc, Exception):
                observation.outcome = "cancelled"
            raise
        finally:
            AI_IN_FLIGHT.labels(op).dec()
            AI_REQUESTS.labels(op, provider, observation.model, observation.outcome).inc()
            AI_LATENCY.labels(op, provider, observation.model).observe(time.perf_counter() - started)
            # Tokens are counted per real upstream attempt in accounting.py (retries and re-asks included).


def provider_outcome(exc: ProviderError, caller_bound: bool) -> str:
    """The `outcome` label of a failed upstream call."""
    if isinstance(exc, ProviderTimedOut):
        return "deadline_exceeded" if caller_bound else "timeout"
    if isinstance(exc, ProviderRateLimited):
        return "rate_limited"
    if isinstance(exc, ProviderBadResponse):
        return "bad_response"
    if isinstance(exc, ProviderUnsupported):
        return "unsupported"
    if isinstance(exc, ProviderRejected):
        return "rejected"
    return "unavailable"


def annotate(attributes: Mapping[str, str | int | bool]) -> None:
    """Cache and coalescing facts on the span serving the call (the gRPC server span in production)."""
    span = trace.get_current_span()
    for name, value in attributes.items():
        span.set_attribute(name, value)


async def watch_loop_lag(interval_s: float = 1.0, on_sample: Callable[[float], None] | None = None) -> None:
    """Sample how late a timer fires: a blocked loop delays every call in the process, whatever the provider does."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(interval_s)
        lag = max(0.0, loop.time() - started - interval_s)
        LOOP_LAG.set(lag)
        if on_sample is not None:
            on_sample(lag)
