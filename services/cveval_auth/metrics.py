"""The auth service's metrics (the kit's interceptor already counts its gRPC calls)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CHECKS = Counter("cveval_auth_checks_total", "edge authorization checks", ["result", "credential"])
CHECK_LATENCY = Histogram(
    "cveval_auth_check_duration_seconds",
    "time to decide one edge authorization check, inside the auth service",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25),
)
CACHE_HITS = Counter("cveval_auth_key_cache_hits_total", "API key lookups served from the in-process cache")
CACHE_MISSES = Counter("cveval_auth_key_cache_misses_total", "API key lookups that went to PostgreSQL")
KEYS_CREATED = Counter("cveval_auth_keys_created_total", "API keys created")
KEYS_REVOKED = Counter("cveval_auth_keys_revoked_total", "API keys revoked")
BODY_CHECKS = Counter("cveval_auth_body_checks_total", "JSON request bodies checked for unknown fields", ["result"])
BODY_CHECK_LATENCY = Histogram(
    "cveval_auth_body_check_duration_seconds",
    "time to check one JSON request body against its message type, inside the auth service",
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25),
)
