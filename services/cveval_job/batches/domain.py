"""A batch and its progress; no I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cveval_job.domain.jobs import COMPLETED, FAILED, PROCESSING, QUEUED

MAX_CANDIDATES = 500


@dataclass(frozen=True)
class Progress:
    queued: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Progress:
        return cls(counts.get(QUEUED, 0), counts.get(PROCESSING, 0), counts.get(COMPLETED, 0), counts.get(FAILED, 0))

    @property
    def total(self) -> int:
        return self.queued + self.processing + self.completed + self.failed

    @property
    def done(self) -> bool:
        return self.queued == 0 and self.processing == 0


@dataclass(frozen=True)
class Batch:
    id: str
    tenant: str
    submitted_by: str
    vacancy_id: str
    request_hash: str
    created_at: datetime
    idempotency_key: str | None = None
    progress: Progress = field(default_factory=Progress)


@dataclass(frozen=True)
class CandidateRef:
    cv_id: str
    project_id: str
    idempotency_key: str = ""
