"""PostgreSQL repository for uploaded documents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cveval_upload.adapters.tables import contents, documents
from cveval_upload.model import StoredDocument


class DocumentRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def save(
        self,
        *,
        kind: str,
        filename: str,
        media_type: str,
        sha256: str,
        size_bytes: int,
        page_count: int,
        char_count: int,
        text: str,
    ) -> tuple[StoredDocument, bool]:
        """Store the document unless the same bytes of the same kind exist; returns (document, deduplicated)."""
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            await session.execute(
                insert(contents)
                .values(
                    sha256=sha256,
                    media_type=media_type,
                    size_bytes=size_bytes,
                    page_count=page_count,
                    char_count=char_count,
                    text=text,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["sha256"])
            )
            new_id = str(uuid.uuid4())
            inserted = await session.execute(
                insert(documents)
                .values(id=new_id, sha256=sha256, kind=kind, filename=filename, created_at=now)
                .on_conflict_do_nothing(constraint="uq_documents_sha256_kind")
                .returning(documents.c.id)
            )
            created = inserted.scalar_one_or_none() is not None
            row = (await session.execute(_joined().where(documents.c.sha256 == sha256, documents.c.kind == kind))).one()
        return _to_document(row, with_text=False), not created

    async def get(self, document_id: str, *, with_text: bool) -> StoredDocument | None:
        try:
            uuid.UUID(document_id)
        except ValueError:
            return None
        async with self.sessions() as session:
            row = (await session.execute(_joined(with_text).where(documents.c.id == document_id))).one_or_none()
        return None if row is None else _to_document(row, with_text=with_text)


def _joined(with_text: bool = False):  # type: ignore[no-untyped-def]
    columns = [
        documents.c.id,
        documents.c.kind,
        documents.c.filename,
        documents.c.created_at,
        contents.c.sha256,
        contents.c.media_type,
        contents.c.size_bytes,
        contents.c.page_count,
        contents.c.char_count,
    ]
    if with_text:
        columns.append(contents.c.text)
    return select(*columns).join(contents, contents.c.sha256 == documents.c.sha256)


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
    )
