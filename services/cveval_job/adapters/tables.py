"""The job service's tables, in its own `job` schema (shared by the API process and its workers)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY

SCHEMA = "job"
metadata = MetaData(schema=SCHEMA)

vacancies = Table(
    "vacancies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("job_description", Text, nullable=False),
    Column("study_case_brief", Text, nullable=False),
    Column("scoring_rubric", Text, nullable=False, server_default=""),
    Column("cv_rubric", JSON, nullable=False),
    Column("project_rubric", JSON, nullable=False),
    Column("version", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Fall back to the offline scorer when the model provider is unavailable (migration 0003).
    Column("allow_degraded_scoring", Boolean, nullable=False, server_default="true"),
    # Redact personal data before any text goes to an external model provider (migration 0006_scoring).
    Column("redact_personal_data", Boolean, nullable=False, server_default="true"),
    # NULL: global (the shipped default, visible to every tenant, read-only); else the owning tenant (0004).
    Column("tenant", String(128), nullable=True),
    Column("created_by", String(255), nullable=False),
    # Keyset listing, newest first (migration 0002).
    Index("ix_vacancies_created_id", "created_at", "id"),
    Index("ix_vacancies_tenant_created_id", "tenant", "created_at", "id"),
)
# The newest vacancy with a title, compared case-insensitively (Evaluate's job_title, ListVacancies' filter).
Index("ix_vacancies_title_created", func.lower(vacancies.c.title), vacancies.c.created_at, vacancies.c.id)

vacancy_chunks = Table(
    "vacancy_chunks",
    metadata,
    Column("id", String(160), primary_key=True),
    Column("vacancy_id", String(64), ForeignKey(f"{SCHEMA}.vacancies.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(32), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("embed_model", String(200), nullable=False),
    Column("embedding", ARRAY(Float), nullable=False),
    Index("ix_vacancy_chunks_vacancy_model", "vacancy_id", "embed_model"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("cv_id", String(36), nullable=False),
    Column("project_id", String(36), nullable=False),
    Column("vacancy_id", String(64), ForeignKey(f"{SCHEMA}.vacancies.id"), nullable=False),
    Column("tenant", String(128), nullable=False),
    Column("submitted_by", String(255), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_hash", String(64), nullable=False),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("trace_context", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    # The batch it was created in (migration 0005); NULL for a single evaluation.
    Column("batch_id", String(36), nullable=True),
    Index("ix_jobs_tenant_batch", "tenant", "batch_id"),
    Index("ix_jobs_tenant_vacancy_created_id", "tenant", "vacancy_id", "created_at", "id"),
    Index("ix_jobs_created_id", "created_at", "id"),
    Index("ix_jobs_status_created_id", "status", "created_at", "id"),
    Index("ix_jobs_tenant_created_id", "tenant", "created_at", "id"),
    Index("ix_jobs_tenant_status_created_id", "tenant", "status", "created_at", "id"),
    Index("ix_jobs_tenant_cv", "tenant", "cv_id"),
    Index("ix_jobs_tenant_project", "tenant", "project_id"),
    UniqueConstraint("tenant", "idempotency_key", name="uq_jobs_tenant_idempotency_key"),
)

# A set of evaluations against one vacancy submitted in one call (migration 0005); its jobs name it.
batches = Table(
    "batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("submitted_by", String(255), nullable=False),
    Column("vacancy_id", String(64), nullable=False),
    Column("idempotency_key", String(255), nullable=True),
    Column("request_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "idempotency_key", name="uq_batches_tenant_idempotency_key"),
)

# One row per tenant that changed a setting (migration 0004).
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("retention_days", Integer, nullable=False),
    Column("updated_by", String(255), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0004).
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("principal", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("resource_kind", String(32), nullable=False),
    Column("resource_ref", String(64), nullable=False),
    Column("candidate_ref", String(64), nullable=False),
    Column("service", String(32), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_audit_events_tenant_time_id", "tenant", "occurred_at", "id"),
    Index("ix_audit_events_tenant_candidate", "tenant", "candidate_ref"),
)
