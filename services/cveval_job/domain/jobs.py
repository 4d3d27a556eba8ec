"""Job states and the rules for moving between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

QUEUED = "queued"
PROCESSING = "processing"
COMPLETED = "completed"
FAILED = "failed"
STATUSES = (QUEUED, PROCESSING, COMPLETED, FAILED)
TERMINAL = frozenset({COMPLETED, FAILED})


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    cv_id: str
    project_id: str
    vacancy_id: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    error_code: str | None = None
    error_message: str | None = None
    idempotency_key: str | None = None
    request_hash: str = ""
    tenant: str = "default"
    submitted_by: str = ""
    batch_id: str | None = None


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def may_start(status: str) -> bool:
    """A queued job starts; a processing one is a redelivery after a crash or a retry and restarts."""
    return status in (QUEUED, PROCESSING)
