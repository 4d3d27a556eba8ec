"""What the data-protection use cases need from the other services and from the job schema."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from cveval_kit.audit import AuditEvent


class Documents(Protocol):
    async def kind_of(self, tenant: str, document_id: str, owner: str | None = None) -> str | None: ...

    async def erase(
        self,
        tenant: str,
        ids: Sequence[str],
        *,
        same_content: bool = False,
        created_before: datetime | None = None,
        dry_run: bool = False,
    ) -> list[str]:
        """Delete documents in the upload service (which has the ai-gateway forget their cached texts first); the
        ids deleted, or with `dry_run` the ids that would be."""


class Results(Protocol):
    async def delete(self, tenant: str, job_ids: Sequence[str]) -> int: ...


class QueuedMessages(Protocol):
    async def discard(self, job_ids: Sequence[str]) -> int: ...


class ProtectionStore(Protocol):
    async def jobs_of_documents(
        self, tenant: str, document_ids: Sequence[str], *, created_before: datetime | None = None
    ) -> list[tuple[str, str]]:
        """(job id, project id) of the tenant's jobs naming these documents (or created before the cutoff)."""

    async def delete_jobs(
        self, tenant: str, *, document_ids: Sequence[str] = (), created_before: datetime | None = None
    ) -> list[tuple[str, str]]: ...

    async def unreferenced_projects(self, tenant: str, project_ids: Sequence[str]) -> list[str]: ...

    async def delete_vacancies_before(self, tenant: str, cutoff: datetime) -> int: ...

    async def retention_days(self, tenant: str) -> int: ...

    async def set_retention_days(self, tenant: str, days: int, updated_by: str) -> None: ...

    async def tenants_with_retention(self) -> list[tuple[str, int]]: ...

    async def audit_page(
        self,
        tenant: str,
        *,
        candidate_ref: str | None,
        action: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[Any]: ...


class Trail(Protocol):
    async def record(self, event: AuditEvent) -> None: ...
