"""Kept for existing imports: the retry code lives in cveval_gateway.resilience.retry."""

from cveval_gateway.resilience.retry import Budget, RetryPolicy, parse_retry_after, with_retries

__all__ = ["Budget", "RetryPolicy", "parse_retry_after", "with_retries"]
