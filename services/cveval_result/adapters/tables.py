"""The result service's table, in its own `result` schema."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, LargeBinary, MetaData, String, Table

SCHEMA = "result"
metadata = MetaData(schema=SCHEMA)

results = Table(
    "results",
    metadata,
    Column("job_id", String(36), primary_key=True),
    # The EvaluationResult message as stored by the worker; the columns beside it are for queries and reports.
    Column("payload", LargeBinary, nullable=False),
    Column("cv_match_rate", Float, nullable=False),
    Column("project_score", Float, nullable=False),
    Column("scorer", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Whose it is (migration 0002): read only within its tenant, by its submitter or the tenant's reviewers.
    Column("tenant", String(128), nullable=False),
    Column("submitted_by", String(255), nullable=False),
    Column("cv_id", String(36), nullable=False),
    Index("ix_results_tenant_created", "tenant", "created_at"),
)
