"""Settings of the one whole stack the end-to-end and browser tests share (tests/conftest.py starts it)."""

from __future__ import annotations

# Small enough to test 413 quickly, large enough for any real CV.
E2E_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
E2E_KEY_CACHE_TTL_S = 1.0
