"""The upload service's tables, in its own `upload` schema.

Content is stored once per (tenant, sha256); a document is a (content, kind) pair of one uploader, so the same
bytes sent twice by the same principal are the same document, another principal of the tenant gets a document of
their own over the same stored text, and another tenant never shares anything (migration 0002).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA = "upload"
metadata = MetaData(schema=SCHEMA)

contents = Table(
    "contents",
    metadata,
    Column("tenant", String(128), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("char_count", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant", "sha256", name="contents_pkey"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("owner", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(
        ["tenant", "sha256"], [f"{SCHEMA}.contents.tenant", f"{SCHEMA}.contents.sha256"], name="documents_content_fkey"
    ),
    UniqueConstraint("tenant", "owner", "sha256", "kind", name="uq_documents_tenant_owner_sha256_kind"),
    Index("ix_documents_tenant_created", "tenant", "created_at"),
)
