"""The job schema's side of data protection: erasing jobs and vacancies, tenant settings, the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cveval_job.adapters.tables import audit_events, jobs, tenant_settings, vacancies
from cveval_kit.audit import AuditEvent

# pg_try_advisory_lock key of the retention purge: one replica at a time runs it ("cveval-retention" as int64).
RETENTION_LOCK_KEY = 0x63766576616C7265


def _naming(document_ids: Sequence[str], created_before: datetime | None) -> Any:
    """Jobs naming any of the documents as CV or project, or created before the cutoff; None when nothing is named."""
    conditions: list[Any] = []
    if document_ids:
        conditions += [jobs.c.cv_id.in_(document_ids), jobs.c.project_id.in_(document_ids)]
    if created_before is not None:
        conditions.append(jobs.c.created_at < created_before)
    return or_(*conditions) if conditions else None


class ProtectionRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def jobs_of_documents(
        self, tenant: str, document_ids: Sequence[str], *, created_before: datetime | None = None
    ) -> list[tuple[str, str]]:
        """(job id, project id) of the tenant's jobs naming these documents (or created before the cutoff)."""
        condition = _naming(document_ids, created_before)
        if condition is None:
            return []
        query = select(jobs.c.id, jobs.c.project_id).where(jobs.c.tenant == tenant, condition)
        async with self.sessions() as session:
            return [(r.id, r.project_id) for r in await session.execute(query)]

    async def delete_jobs(
        self, tenant: str, *, document_ids: Sequence[str] = (), created_before: datetime | None = None
    ) -> list[tuple[str, str]]:
        """Delete the tenant's jobs naming these documents (or created before the cutoff); (id, project id) each."""
        condition = _naming(document_ids, created_before)
        if condition is None:
            return []
        async with self.sessions.begin() as session:
            rows = await session.execute(
                delete(jobs).where(jobs.c.tenant == tenant, condition).returning(jobs.c.id, jobs.c.project_id)
            )
            return [(r.id, r.project_id) for r in rows]

    async def unreferenced_projects(self, tenant: str, project_ids: Sequence[str]) -> list[str]:
        """The project documents no remaining job of the tenant uses."""
        if not project_ids:
            return []
        query = select(jobs.c.project_id).where(jobs.c.tenant == tenant, jobs.c.project_id.in_(project_ids))
        async with self.sessions() as session:
            used = set((await session.execute(query)).scalars())
        return sorted(set(project_ids) - used)

    async def delete_vacancies_before(self, tenant: str, cutoff: datetime) -> int:
        """The tenant's own vacancies created before the cutoff that no job uses (global ones are never touched)."""
        in_use = exists().where(jobs.c.vacancy_id == vacancies.c.id)
        async with self.sessions.begin() as session:
            rows = await session.execute(
                delete(vacancies)
                .where(vacancies.c.tenant == tenant, vacancies.c.created_at < cutoff, ~in_use)
                .returning(vacancies.c.id)
            )
            return len(rows.all())

    async def retention_days(self, tenant: str) -> int:
        async with self.sessions() as session:
            days = await session.scalar(
                select(tenant_settings.c.retention_days).where(tenant_settings.c.tenant == tenant)
            )
        return int(days or 0)

    async def set_retention_days(self, tenant: str, days: int, updated_by: str) -> None:
        values = dict(retention_days=days, updated_by=updated_by, updated_at=datetime.now(UTC))
        async with self.sessions.begin() as session:
            await session.execute(
                insert(tenant_settings)
                .values(tenant=tenant, **values)
                .on_conflict_do_update(index_elements=["tenant"], set_=values)
            )

    async def tenants_with_retention(self) -> list[tuple[str, int]]:
        query = select(tenant_settings.c.tenant, tenant_settings.c.retention_days).where(
            tenant_settings.c.retention_days > 0
        )
        async with self.sessions() as session:
            return [(r.tenant, int(r.retention_days)) for r in await session.execute(query)]

    async def append_audit(self, events: Sequence[AuditEvent]) -> None:
        """Record events; one already recorded (a redelivery from the stream) is skipped, never changed."""
        if not events:
            return
        rows = [
            dict(
                id=e.id,
                tenant=e.tenant,
                occurred_at=datetime.fromisoformat(e.occurred_at),
                principal=e.principal,
                action=e.action,
                resource_kind=e.resource_kind,
                resource_ref=e.resource_ref,
                candidate_ref=e.candidate_ref,
                service=e.service,
            )
            for e in events
        ]
        async with self.sessions.begin() as session:
            # Rows as parameters of one statement compiled once (SQLAlchemy batches them under the bind limit);
            # `.values(rows)` compiled a new statement for every batch size the feed delivered.
            await session.execute(insert(audit_events).on_conflict_do_nothing(index_elements=["id"]), rows)

    async def audit_page(
        self,
        tenant: str,
        *,
        candidate_ref: str | None,
        action: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[Any]:
        query = (
            select(audit_events)
            .where(audit_events.c.tenant == tenant)
            .order_by(audit_events.c.occurred_at.desc(), audit_events.c.id.desc())
            .limit(limit)
        )
        if candidate_ref is not None:
            query = query.where(audit_events.c.candidate_ref == candidate_ref)
        if action is not None:
            query = query.where(audit_events.c.action == action)
        if after is not None:
            at, last_id = after
            same_instant = and_(audit_events.c.occurred_at == at, audit_events.c.id < last_id)
            query = query.where(or_(audit_events.c.occurred_at < at, same_instant))
        async with self.sessions() as session:
            return list((await session.execute(query)).all())


async def try_exclusive(engine: AsyncEngine) -> Any:
    """A connection in a transaction holding the retention purge's advisory lock, or None when another replica
    holds it. The caller runs the purge, then closes the connection: the transaction ends and releases the lock,
    also when the purge failed midway."""
    connection = await engine.connect()
    try:
        await connection.begin()
        got = await connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RETENTION_LOCK_KEY})
    except BaseException:
        await connection.close()
        raise
    if not got:
        await connection.close()
        return None
    return connection
