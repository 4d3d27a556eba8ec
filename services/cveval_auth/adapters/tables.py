"""The auth service's table, in its own `auth` schema."""

from __future__ import annotations

from sqlalchemy import ARRAY, Column, DateTime, Integer, MetaData, String, Table

SCHEMA = "auth"
metadata = MetaData(schema=SCHEMA)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    # HMAC-SHA256 of the secret (cveval_auth.domain.keys.hash_secret); the secret itself is never stored.
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("roles", ARRAY(String(16)), nullable=False),
    Column("requests_per_second", Integer, nullable=False),
    Column("evaluations_per_hour", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
