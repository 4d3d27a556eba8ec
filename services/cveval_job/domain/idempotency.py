"""Idempotency rules: a key is unique and bound to the request it first came with."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

MAX_KEY_LENGTH = 255


class IdempotencyConflict(Exception):
    pass


class InvalidIdempotencyKey(ValueError):
    pass


def normalize_key(key: str) -> str | None:
    key = key.strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidIdempotencyKey(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters")
    return key


def request_hash(fields: Mapping[str, str]) -> str:
    """A stable hash of the request body (field order and surrounding whitespace do not matter)."""
    canonical = json.dumps({k: v.strip() for k, v in sorted(fields.items()) if v.strip()}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_replay(stored_hash: str, new_hash: str) -> None:
    """Same key + same request → the stored job is the answer; same key + other request → conflict."""
    if stored_hash != new_hash:
        raise IdempotencyConflict("Idempotency-Key was already used with a different request body")
