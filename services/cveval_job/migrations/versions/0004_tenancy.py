"""tenancy: jobs and vacancies belong to a tenant and record who made them; per-tenant idempotency keys;
tenant settings (retention); the append-only audit log

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA = "job"
DEFAULT_VACANCY_ID = "default-backend-ai-engineer"  # shipped with the code: global, read-only, every tenant's


def _tenant_column(table: str, *, nullable: bool) -> None:
    # The server default moves existing rows into the `default` tenant and is then dropped: new rows name theirs.
    op.add_column(table, sa.Column("tenant", sa.String(128), nullable=nullable, server_default="default"),
                  schema=SCHEMA)
    op.alter_column(table, "tenant", server_default=None, schema=SCHEMA)


def upgrade() -> None:
    _tenant_column("jobs", nullable=False)
    op.add_column("jobs", sa.Column("submitted_by", sa.String(255), nullable=False, server_default=""), schema=SCHEMA)
    op.alter_column("jobs", "submitted_by", server_default=None, schema=SCHEMA)
    op.drop_constraint("jobs_idempotency_key_key", "jobs", schema=SCHEMA, type_="unique")
    op.create_unique_constraint("uq_jobs_tenant_idempotency_key", "jobs", ["tenant", "idempotency_key"], schema=SCHEMA)
    op.create_index("ix_jobs_tenant_created_id", "jobs", ["tenant", "created_at", "id"], schema=SCHEMA)
    op.create_index("ix_jobs_tenant_status_created_id", "jobs", ["tenant", "status", "created_at", "id"],
                    schema=SCHEMA)
    op.create_index("ix_jobs_tenant_cv", "jobs", ["tenant", "cv_id"], schema=SCHEMA)
    op.create_index("ix_jobs_tenant_project", "jobs", ["tenant", "project_id"], schema=SCHEMA)

    _tenant_column("vacancies", nullable=True)  # NULL: a global vacancy (the shipped default)
    op.execute(sa.text(f"UPDATE {SCHEMA}.vacancies SET tenant = NULL WHERE id = :id").bindparams(id=DEFAULT_VACANCY_ID))
    op.add_column("vacancies", sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
                  schema=SCHEMA)
    op.alter_column("vacancies", "created_by", server_default=None, schema=SCHEMA)
    op.create_index("ix_vacancies_tenant_created_id", "vacancies", ["tenant", "created_at", "id"], schema=SCHEMA)

    op.create_table(
        "tenant_settings",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource_kind", sa.String(32), nullable=False),
        sa.Column("resource_ref", sa.String(64), nullable=False),
        sa.Column("candidate_ref", sa.String(64), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("ix_audit_events_tenant_time_id", "audit_events", ["tenant", "occurred_at", "id"], schema=SCHEMA)
    op.create_index("ix_audit_events_tenant_candidate", "audit_events", ["tenant", "candidate_ref"], schema=SCHEMA)
    # Append-only for real: whatever the application does, PostgreSQL refuses to change or remove an event.
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON {SCHEMA}.audit_events "
        f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.audit_events_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON {SCHEMA}.audit_events "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.audit_events_append_only()"
    )


def downgrade() -> None:
    op.drop_table("audit_events", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.audit_events_append_only()")
    op.drop_table("tenant_settings", schema=SCHEMA)
    op.drop_index("ix_vacancies_tenant_created_id", table_name="vacancies", schema=SCHEMA)
    op.drop_column("vacancies", "created_by", schema=SCHEMA)
    op.drop_column("vacancies", "tenant", schema=SCHEMA)
    for index in ("ix_jobs_tenant_project", "ix_jobs_tenant_cv", "ix_jobs_tenant_status_created_id",
                  "ix_jobs_tenant_created_id"):
        op.drop_index(index, table_name="jobs", schema=SCHEMA)
    op.drop_constraint("uq_jobs_tenant_idempotency_key", "jobs", schema=SCHEMA, type_="unique")
    op.create_unique_constraint("jobs_idempotency_key_key", "jobs", ["idempotency_key"], schema=SCHEMA)
    op.drop_column("jobs", "submitted_by", schema=SCHEMA)
    op.drop_column("jobs", "tenant", schema=SCHEMA)
