"""What the job service needs from the outside world, as protocols its adapters implement."""

from __future__ import annotations

from typing import Protocol


class DocumentCatalog(Protocol):
    async def kind_of(self, tenant: str, document_id: str, owner: str | None = None) -> str | None:
        """'cv' or 'project' for a document of the tenant (of `owner` when given), None when there is none."""


class JobQueue(Protocol):
    async def publish(self, job_id: str, tenant: str, republish: str = "") -> None:
        """Queue the job for the workers (at most once per job id within the de-duplication window); a non-empty
        `republish` tag queues it again on purpose (a stranded job, a replay)."""
