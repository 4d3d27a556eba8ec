"""The gateway's tables, in its own `gateway` schema.

Vectors are stored as bytea holding little-endian float32, not as float4[]: the bytes are exactly what the memory
cache keeps and what the gRPC API sends, so a row goes in and out with one copy and no per-element parsing (asyncpg
decodes a float4[] into one Python float object per dimension); the size is the same 4 bytes a dimension; and no
query ever needs to look inside a vector (similarity search is not done here).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func

SCHEMA = "gateway"
metadata = MetaData(schema=SCHEMA)

embeddings = Table(
    "embeddings",
    metadata,
    Column("model", String(200), primary_key=True),  # the model the caller asked for (the cache key)
    Column("text_sha256", LargeBinary, primary_key=True),  # 32 bytes; the text itself is never stored
    Column("answer_model", String(200), nullable=False),  # the model that produced the vector
    Column("provider", String(200), nullable=False),
    Column("dims", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Whose texts (an owner tag, "<tenant>/<document id>") each cached embedding was computed from: Forget deletes the
# embeddings of an owner through this index (migration 0002). A key used by several owners has a row for each.
cache_owners = Table(
    "cache_owners",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("text_sha256", LargeBinary, primary_key=True),
)

# Owners forgotten through any replica, in order, by sha256 (migration 0003): every replica reads the new rows and
# drops its own in-memory copies, since a Forget call reaches one replica only. Rows are pruned after an hour.
forgotten_owners = Table(
    "forgotten_owners",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("owner_digest", String(64), nullable=False),
    Column("forgotten_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
