"""The upload service's tables, in its own `upload` schema.

Content is stored once per sha256; a document is a (content, kind) pair so the same bytes sent twice as a CV
are the same document, while the rare file sent once as a CV and once as a project report gets two ids over
one stored text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
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
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(128), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("char_count", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sha256", String(64), ForeignKey(f"{SCHEMA}.contents.sha256"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("sha256", "kind", name="uq_documents_sha256_kind"),
)
