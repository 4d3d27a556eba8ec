"""What each upstream model call cost and how the resilience machinery behaved: Prometheus metrics and spans.

Counted per upstream attempt with the provider and model that really served it (retries, fallbacks and
structured-output re-asks included), which the service-level span cannot see from above the Router.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import trace

from cveval_gateway.metrics import (
    AI_BREAKER_STATE,
    AI_COST,
    AI_FALLBACKS,
    AI_RATELIMIT_WAIT,
    AI_RETRIES,
    AI_RETRIES_DENIED,
    AI_STRUCTURED_ATTEMPTS,
    AI_TOKENS,
    AI_UPSTREAM,
    AI_UPSTREAM_LATENCY,
)
from cveval_gateway.providers.base import (
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnsupported,
)
from cveval_gateway.providers.config import Price
from cveval_gateway.resilience.breaker import BreakerState

tracer = trace.get_tracer("cveval_gateway.upstream")


def outcome_of(error: BaseException) -> str:
    """A short, bounded label for a failure (metrics labels must not grow with messages)."""
    if not isinstance(error, Exception):
        return "cancelled"
    if isinstance(error, ProviderTimedOut):
        return "timeout"
    if isinstance(error, ProviderRateLimited):
        return "rate_limited"
    if isinstance(error, ProviderAuthFailed):
        return "auth_failed"
    if isinstance(error, ProviderBadResponse):
        return "bad_response"
    if isinstance(error, ProviderUnsupported):
        return "unsupported"
    if isinstance(error, ProviderRejected):
        return "rejected"
    if isinstance(error, ProviderError):
        return "unavailable"
    return "error"


@dataclass
class UpstreamCall:
    span: trace.Span
    op: str
    provider: str
    model: str
    price: Price | None
    outcome: str = "error"

    def succeeded(self, model: str, input_tokens: int, output_tokens: int) -> None:
        self.outcome = "ok"
        self.span.set_attribute("gen_ai.response.model", model or self.model)
        self.span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        self.span.set_attribute("gen_ai.usage.output_tokens", output_tokens)
        record_usage(self.provider, self.model, input_tokens, output_tokens, self.price)


@contextmanager
def upstream_call(
    op: str,
    provider: str,
    model: str,
    *,
    attempt: int,
    breaker: BreakerState,
    waited_s: float,
    price: Price | None,
) -> Iterator[UpstreamCall]:
    """One span and one sample per upstream attempt; the span nests under the gateway call's own span."""
    started = time.perf_counter()
    with tracer.start_as_current_span(
        f"{op} {provider}:{model}", kind=trace.SpanKind.CLIENT, record_exception=False, set_status_on_exception=False
    ) as span:
        span.set_attribute("gen_ai.operation.name", op)
        span.set_attribute("gen_ai.provider.name", provider)
        span.set_attribute("gen_ai.request.model", model)
        span.set_attribute("cveval.attempt", attempt)
        span.set_attribute("cveval.breaker_state", breaker.name.lower())
        span.set_attribute("cveval.ratelimit_wait_s", waited_s)
        call = UpstreamCall(span=span, op=op, provider=provider, model=model, price=price)
        try:
            yield call
        except BaseException as exc:
            call.outcome = outcome_of(exc)
            span.set_attribute("cveval.outcome", call.outcome)
            if isinstance(exc, ProviderError):
                span.set_status(trace.Status(trace.StatusCode.ERROR, exc.message))
            raise
        finally:
            AI_UPSTREAM.labels(op, provider, model, call.outcome).inc()
            AI_UPSTREAM_LATENCY.labels(op, provider, model).observe(time.perf_counter() - started)


def record_usage(provider: str, model: str, input_tokens: int, output_tokens: int, price: Price | None) -> None:
    # Labelled with the configured model name (bounded), not whatever alias the provider echoes back.
    if input_tokens > 0:
        AI_TOKENS.labels(provider, model, "prompt").inc(input_tokens)
    if output_tokens > 0:
        AI_TOKENS.labels(provider, model, "completion").inc(output_tokens)
    if price is not None:
        cost = price.cost(input_tokens, output_tokens)
        if cost > 0:
            AI_COST.labels(provider, model).inc(cost)


def breaker_changed(provider: str, model: str, state: BreakerState) -> None:
    AI_BREAKER_STATE.labels(provider, model).set(int(state))


def retried(provider: str, model: str, reason: str, delay_s: float) -> None:
    AI_RETRIES.labels(provider, model, reason).inc()
    trace.get_current_span().add_event(
        "retry", {"provider": provider, "model": model, "reason": reason, "delay_s": delay_s}
    )


def retry_denied(provider: str, model: str) -> None:
    AI_RETRIES_DENIED.labels(provider, model).inc()


def fell_back(op: str, provider: str, model: str, reason: str) -> None:
    AI_FALLBACKS.labels(op, provider, model, reason).inc()
    trace.get_current_span().add_event("fallback", {"from.provider": provider, "from.model": model, "reason": reason})


def waited(provider: str, model: str, seconds: float) -> None:
    AI_RATELIMIT_WAIT.labels(provider, model).observe(seconds)


def structured_attempts(outcome: str, attempts: int) -> None:
    AI_STRUCTURED_ATTEMPTS.labels(outcome).observe(attempts)
    trace.get_current_span().set_attribute("cveval.structured.attempts", attempts)
