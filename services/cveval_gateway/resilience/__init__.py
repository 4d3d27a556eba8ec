"""Resilience for upstream model calls: retries with a retry budget, circuit breakers, rate limits, fallbacks.

The pieces are plain objects with an injectable clock, so tests drive time instead of sleeping; `Router` ties them
together behind the `Provider` protocol.
"""
