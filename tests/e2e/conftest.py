"""Settings of the whole-stack tests (tests/e2e, tests/browser); their `stack` and `http` fixtures are in
tests/conftest.py, so both folders share one running stack."""

from __future__ import annotations

from tests.support.stack_settings import E2E_KEY_CACHE_TTL_S, E2E_MAX_UPLOAD_BYTES

__all__ = ["E2E_KEY_CACHE_TTL_S", "E2E_MAX_UPLOAD_BYTES"]
