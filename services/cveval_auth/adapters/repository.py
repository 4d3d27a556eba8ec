"""PostgreSQL repository of API keys: found by secret hash, listed per tenant with keyset pagination."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_auth.adapters.tables import api_keys
from cveval_auth.domain.keys import ApiKeyRecord


def _record(row: Any) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        name=row.name,
        tenant=row.tenant,
        roles=frozenset(row.roles),
        requests_per_second=row.requests_per_second,
        evaluations_per_hour=row.evaluations_per_hour,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class ApiKeyRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def add(self, record: ApiKeyRecord, secret_hash: str) -> bool:
        """Store a key; False when a key with this secret already exists (the bootstrap key on a restart)."""
        async with self.sessions.begin() as session:
            row = await session.execute(
                insert(api_keys)
                .values(
                    id=record.id,
                    secret_hash=secret_hash,
                    prefix=record.prefix,
                    name=record.name,
                    tenant=record.tenant,
                    roles=sorted(record.roles),
                    requests_per_second=record.requests_per_second,
                    evaluations_per_hour=record.evaluations_per_hour,
                    created_at=record.created_at,
                )
                .on_conflict_do_nothing(index_elements=["secret_hash"])
                .returning(api_keys.c.id)
            )
            return row.one_or_none() is not None

    async def by_hash(self, secret_hash: str) -> ApiKeyRecord | None:
        async with self.sessions() as session:
            row = (await session.execute(select(api_keys).where(api_keys.c.secret_hash == secret_hash))).one_or_none()
        return None if row is None else _record(row)

    async def page(
        self, tenant: str, size: int, after: tuple[datetime, str] | None, include_revoked: bool
    ) -> list[ApiKeyRecord]:
        """Newest first; `after` is the (created_at, id) of the last key of the previous page."""
        query = select(api_keys).where(api_keys.c.tenant == tenant)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        if after is not None:
            created, key_id = after
            query = query.where(
                or_(api_keys.c.created_at < created, and_(api_keys.c.created_at == created, api_keys.c.id < key_id))
            )
        query = query.order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc()).limit(size)
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [_record(r) for r in rows]

    async def revoke(self, tenant: str, key_id: str, when: datetime) -> ApiKeyRecord | None:
        """Revoke the tenant's key (idempotent: a revoked key keeps its first revocation time)."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.tenant == tenant, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=when)
            )
            row = (
                await session.execute(select(api_keys).where(api_keys.c.id == key_id, api_keys.c.tenant == tenant))
            ).one_or_none()
        return None if row is None else _record(row)
