"""The gateway's Prometheus metrics, all in one place: model calls (RED per operation, provider and model), tokens
and spend, the resilience machinery (retries, fallbacks, circuit breakers, client-side rate limits), the caches
(hit-ratio inputs, size, evictions), coalescing, micro-batching and event-loop lag.

Tokens and cost are counted per upstream attempt with the provider and model that really served it (retries,
fallbacks and structured-output re-asks included); requests and latency per gateway call.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
AI_IN_FLIGHT = Gauge("cveval_ai_in_flight", "Upstream model calls in progress", ["op"])
CACHE_REQUESTS = Counter(
    "cveval_ai_cache_requests_total",
    "Cache lookups (per distinct text for embeddings, per request for completions)",
    ["cache", "outcome"],
)
CACHE_BYTES = Gauge("cveval_ai_cache_bytes", "Bytes held by an in-memory cache (payload and bookkeeping)", ["cache"])
CACHE_EVICTIONS = Counter(
    "cveval_ai_cache_evictions_total", "Entries evicted to stay within the byte budget", ["cache"]
)
CACHE_ERRORS = Counter(
    "cveval_ai_cache_errors_total", "Cache reads or writes that failed or were dropped", ["cache", "op"]
)
COALESCED = Counter(
    "cveval_ai_coalesced_requests_total",
    "Requests (chat) or texts (embed) served by joining an identical call already in flight",
    ["op"],
)
BATCH_SIZE = Histogram(
    "cveval_ai_embed_batch_size",
    "Texts per upstream embedding call after micro-batching",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048),
)
LOOP_LAG = Gauge("cveval_ai_event_loop_lag_seconds", "How late the event loop ran a timer, last sample")

AI_COST = Counter("cveval_ai_cost_usd", "Model spend in US dollars from configured prices", ["provider", "model"])
AI_BREAKER_STATE = Gauge(
    "cveval_ai_breaker_state", "Circuit breaker per target: 0 closed, 1 half-open, 2 open", ["provider", "model"]
)
AI_RETRIES = Counter("cveval_ai_retries", "Upstream retries by cause", ["provider", "model", "reason"])
AI_RETRIES_DENIED = Counter(
    "cveval_ai_retries_denied", "Retries not made because the retry budget was spent", ["provider", "model"]
)
AI_FALLBACKS = Counter(
    "cveval_ai_fallbacks", "Calls moved on from a target to the next one", ["op", "provider", "model", "reason"]
)
AI_RATELIMIT_WAIT = Histogram(
    "cveval_ai_ratelimit_wait_seconds",
    "Time callers queued behind the client-side rate limits",
    ["provider", "model"],
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
AI_UPSTREAM = Counter(
    "cveval_ai_upstream_requests", "Upstream attempts by outcome", ["op", "provider", "model", "outcome"]
)
AI_UPSTREAM_LATENCY = Histogram(
    "cveval_ai_upstream_request_duration_seconds",
    "One upstream attempt's latency",
    ["op", "provider", "model"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
AI_STRUCTURED_ATTEMPTS = Histogram(
    "cveval_ai_structured_output_attempts",
    "Chat attempts needed for a schema-valid JSON answer",
    ["outcome"],
    buckets=(1, 2, 3, 4, 5, 6),
)
