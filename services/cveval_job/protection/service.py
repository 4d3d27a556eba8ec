"""Data-protection use cases: erase a candidate, purge a tenant's expired data, retention, the audit log.

Each service deletes only its own tables: this module orchestrates through the others' internal RPCs. The audit
event comes first (nothing is erased unrecorded); then the documents to erase are named (without deleting them),
and what refers to them is deleted from the outside in: results, queued messages, jobs, project reports no other
job uses, and last the documents themselves (the upload service has the ai-gateway forget their cached embeddings
and completions before it deletes them). Every step is idempotent and the documents, by which an erasure finds the
rest, go last, so a failed erasure is completed by running it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cveval_job.domain.pagination import InvalidPageToken, clamp_page_size, decode_token, encode_token
from cveval_job.protection.ports import Documents, ProtectionStore, QueuedMessages, Results, Trail
from cveval_kit import audit, errors
from cveval_kit.identity import Identity
from cveval_kit.tenancy import SYSTEM_RETENTION, ref

MAX_RETENTION_DAYS: Final = 36_500


@dataclass(frozen=True)
class Erasure:
    documents: int
    jobs: int
    results: int


class DataProtection:
    def __init__(
        self, store: ProtectionStore, documents: Documents, results: Results, queue: QueuedMessages, trail: Trail
    ) -> None:
        self.store = store
        self.documents = documents
        self.results = results
        self.queue = queue
        self.trail = trail

    async def delete_candidate(self, caller: Identity, cv_id: str) -> Erasure:
        tenant, cv_id = caller.tenant, cv_id.strip()
        kind = await self.documents.kind_of(tenant, cv_id)
        if kind == "project":
            raise errors.InvalidArgument(f"{cv_id!r} is a project document; name the candidate by their CV id")
        if kind is None and not await self.store.jobs_of_documents(tenant, [cv_id]):
            raise errors.NotFound(f"candidate {cv_id!r} not found")
        await self.trail.record(
            audit.AuditEvent.about(
                tenant=tenant,
                principal=caller.principal,
                action=audit.DELETE_CANDIDATE,
                kind="candidate",
                resource_id=cv_id,
                candidate_id=cv_id,
                service="job",
            )
        )
        # The CV and every document of the tenant with the same bytes: the same person's data under other ids.
        documents = await self.documents.erase(tenant, [cv_id], same_content=True, dry_run=True)
        return await self._erase(tenant, sorted({cv_id, *documents}))

    async def purge_expired(self, tenant: str, as_of: datetime) -> Erasure:
        """Erase the tenant's documents, jobs, results and own vacancies created before its retention period. A run
        that finds nothing expired records nothing."""
        days = await self.store.retention_days(tenant)
        if days <= 0:
            return Erasure(0, 0, 0)
        cutoff = as_of - timedelta(days=days)
        documents = await self.documents.erase(tenant, [], created_before=cutoff, dry_run=True)
        erasure = Erasure(0, 0, 0)
        if documents or await self.store.jobs_of_documents(tenant, [], created_before=cutoff):
            await self.trail.record(
                audit.AuditEvent.about(
                    tenant=tenant,
                    principal=SYSTEM_RETENTION,
                    action=audit.PURGE_EXPIRED,
                    kind="tenant",
                    resource_id="",
                    candidate_id="",
                    service="job",
                )
            )
            erasure = await self._erase(tenant, documents, created_before=cutoff)
        await self.store.delete_vacancies_before(tenant, cutoff)
        return erasure

    async def _erase(self, tenant: str, document_ids: list[str], created_before: datetime | None = None) -> Erasure:
        """Erase the jobs naming these documents (or created before the cutoff), their results, messages and
        now unused project reports, then the documents."""
        named = await self.store.jobs_of_documents(tenant, document_ids, created_before=created_before)
        job_ids = [job_id for job_id, _ in named]
        results = await self.results.delete(tenant, job_ids)
        await self.queue.discard(job_ids)
        deleted = await self.store.delete_jobs(tenant, document_ids=document_ids, created_before=created_before)
        reports = {p for _, p in deleted if p}  # a CV-only job names no project report
        projects = await self.store.unreferenced_projects(tenant, sorted(reports - set(document_ids)))
        erased = await self.documents.erase(tenant, [*projects, *document_ids])
        return Erasure(len(erased), len(deleted), results)

    async def purge_all_expired(self, as_of: datetime) -> int:
        """One pass over every tenant with a retention period; the number of tenants purged."""
        tenants = await self.store.tenants_with_retention()
        for tenant, _ in tenants:
            await self.purge_expired(tenant, as_of)
        return len(tenants)

    async def retention(self, caller: Identity) -> int:
        return await self.store.retention_days(caller.tenant)

    async def set_retention(self, caller: Identity, days: int) -> int:
        if not 0 <= days <= MAX_RETENTION_DAYS:
            raise errors.InvalidArgument(f"retention_days must be 0 (keep forever) or 1..{MAX_RETENTION_DAYS}")
        await self.trail.record(
            audit.AuditEvent.about(
                tenant=caller.tenant,
                principal=caller.principal,
                action=audit.SET_RETENTION,
                kind="tenant",
                resource_id="",
                candidate_id="",
                service="job",
            )
        )
        await self.store.set_retention_days(caller.tenant, days, caller.principal)
        return days

    async def audit_events(
        self, caller: Identity, *, candidate_id: str, action: str, page_size: int, page_token: str
    ) -> tuple[list[object], str]:
        try:
            limit = clamp_page_size(page_size)
            after = decode_token(page_token) if page_token else None
        except (ValueError, InvalidPageToken) as exc:
            raise errors.InvalidArgument(str(exc)) from exc
        page = await self.store.audit_page(
            caller.tenant,
            candidate_ref=ref(caller.tenant, candidate_id.strip()) if candidate_id.strip() else None,
            action=action.strip() or None,
            limit=limit + 1,
            after=after,
        )
        if len(page) > limit:
            last = page[limit - 1]
            return page[:limit], encode_token(last.occurred_at, last.id)
        return page, ""
