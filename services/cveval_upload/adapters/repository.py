"""PostgreSQL repository for uploaded documents, always within one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_kit.ids import is_uuid
from cveval_upload.adapters.tables import contents, documents
from cveval_upload.model import Erased, StoredDocument


class DocumentRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def save(
        self,
        *,
        tenant: str,
        owner: str,
        kind: str,
        filename: str,
        media_type: str,
        sha256: str,
        size_bytes: int,
        page_count: int,
        char_count: int,
        text: str,
    ) -> tuple[StoredDocument, bool]:
        """Store the document unless this uploader sent the same bytes as the same kind; (document, deduplicated)."""
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            await session.execute(
                insert(contents)
                .values(
                    tenant=tenant,
                    sha256=sha256,
                    media_type=media_type,
                    size_bytes=size_bytes,
                    page_count=page_count,
                    char_count=char_count,
                    text=text,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["tenant", "sha256"])
            )
            new_id = str(uuid.uuid4())
            inserted = await session.execute(
                insert(documents)
                .values(id=new_id, tenant=tenant, owner=owner, sha256=sha256, kind=kind, filename=filename,
                        created_at=now)
                .on_conflict_do_nothing(constraint="uq_documents_tenant_owner_sha256_kind")
                .returning(documents.c.id)
            )
            created = inserted.scalar_one_or_none() is not None
            row = (
                await session.execute(
                    _joined().where(
                        documents.c.tenant == tenant,
                        documents.c.owner == owner,
                        documents.c.sha256 == sha256,
                        documents.c.kind == kind,
                    )
                )
            ).one()
        return _to_document(row, with_text=False), not created

    async def get(
        self, tenant: str, document_id: str, *, with_text: bool, owner: str | None = None
    ) -> StoredDocument | None:
        """The tenant's document (only `owner`'s when given); None for another tenant's id, as for an unknown one."""
        if not is_uuid(document_id):
            return None
        query = _joined(with_text).where(documents.c.id == document_id, documents.c.tenant == tenant)
        if owner is not None:
            query = query.where(documents.c.owner == owner)
        async with self.sessions() as session:
            row = (await session.execute(query)).one_or_none()
        return None if row is None else _to_document(row, with_text=with_text)

    async def targets(
        self, tenant: str, ids: Sequence[str], *, same_content: bool = False, created_before: datetime | None = None
    ) -> list[str]:
        """The ids of the tenant's documents an erasure names: `ids`, their same-bytes copies, the expired."""
        ids = [i for i in ids if is_uuid(i)]
        conditions: list[Any] = []
        if ids:
            conditions.append(documents.c.id.in_(ids))
            if same_content:
                named = select(documents.c.sha256).where(documents.c.tenant == tenant, documents.c.id.in_(ids))
                conditions.append(documents.c.sha256.in_(named.scalar_subquery()))
        if created_before is not None:
            conditions.append(documents.c.created_at < created_before)
        if not conditions:
            return []
        query = select(documents.c.id).where(documents.c.tenant == tenant, or_(*conditions)).order_by(documents.c.id)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())

    async def erase(self, tenant: str, ids: Sequence[str]) -> Erased:
        """Delete these documents of the tenant, and the contents no remaining document of the tenant uses."""
        ids = [i for i in ids if is_uuid(i)]
        if not ids:
            return Erased((), ())
        async with self.sessions.begin() as session:
            deleted = (
                await session.execute(
                    delete(documents)
                    .where(documents.c.tenant == tenant, documents.c.id.in_(ids))
                    .returning(documents.c.id, documents.c.sha256)
                )
            ).all()
            hashes = sorted({row.sha256 for row in deleted})
            gone: list[str] = []
            if hashes:
                still_used = exists().where(documents.c.tenant == tenant, documents.c.sha256 == contents.c.sha256)
                gone = list(
                    (
                        await session.execute(
                            delete(contents)
                            .where(contents.c.tenant == tenant, contents.c.sha256.in_(hashes), ~still_used)
                            .returning(contents.c.sha256)
                        )
                    ).scalars()
                )
        return Erased(tuple(row.id for row in deleted), tuple(sorted(gone)))


def _joined(with_text: bool = False):  # type: ignore[no-untyped-def]
    columns = [
        documents.c.id,
        documents.c.kind,
        documents.c.filename,
        documents.c.created_at,
        documents.c.owner,
        contents.c.sha256,
        contents.c.media_type,
        contents.c.size_bytes,
        contents.c.page_count,
        contents.c.char_count,
    ]
    if with_text:
        columns.append(contents.c.text)
    return select(*columns).join(
        contents, (contents.c.sha256 == documents.c.sha256) & (contents.c.tenant == documents.c.tenant)
    )


def _to_document(row: object, *, with_text: bool) -> StoredDocument:
    m = row._mapping  # type: ignore[attr-defined]
    return StoredDocument(
        id=m["id"],
        kind=m["kind"],
        filename=m["filename"],
        media_type=m["media_type"],
        size_bytes=m["size_bytes"],
        sha256=m["sha256"],
        page_count=m["page_count"],
        char_count=m["char_count"],
        text=m["text"] if with_text else "",
        created_at=m["created_at"],
        owner=m["owner"],
    )
