"""What the job service needs from the outside world, as protocols its adapters implement."""

from __future__ import annotations

from typing import Protocol


class DocumentCatalog(Protocol):
    async def kind_of(self, document_id: str) -> str | None:
        """'cv' or 'project' for a stored document, None when there is no such document."""


class JobQueue(Protocol):
    async def publish(self, job_id: str, republish: str = "") -> None:
        """Queue the job for the workers (at most once per job id within the de-duplication window); a non-empty
        `republish` tag queues it again on purpose (a stranded job, a replay)."""
