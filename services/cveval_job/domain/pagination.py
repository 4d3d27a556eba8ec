"""Keyset pagination tokens over (created_at, id), newest first."""

from __future__ import annotations

import base64
import json
from datetime import datetime

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class InvalidPageToken(ValueError):
    pass


def encode_token(created_at: datetime, job_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), job_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[datetime, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        created, job_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created), str(job_id)
    except (ValueError, TypeError) as exc:
        raise InvalidPageToken("page_token is not valid") from exc


def clamp_page_size(requested: int) -> int:
    if requested < 0:
        raise ValueError("page_size must not be negative")
    return DEFAULT_PAGE_SIZE if requested == 0 else min(requested, MAX_PAGE_SIZE)
