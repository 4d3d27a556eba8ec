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
    # The ranking (migration 0003): a vacancy's results ordered by one of three scores.
    Column("vacancy_id", String(64), nullable=False),
    Column("batch_id", String(36), nullable=False),
    Column("overall_score", Float, nullable=False),
    Index("ix_results_rank_overall_score", "tenant", "vacancy_id", "overall_score", "job_id"),
    Index("ix_results_rank_cv_match_rate", "tenant", "vacancy_id", "cv_match_rate", "job_id"),
    Index("ix_results_rank_project_score", "tenant", "vacancy_id", "project_score", "job_id"),
)
