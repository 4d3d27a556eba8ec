"""jobs, vacancies and vacancy chunks

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "job"


def upgrade() -> None:
    op.create_table(
        "vacancies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("job_description", sa.Text, nullable=False),
        sa.Column("study_case_brief", sa.Text, nullable=False),
        sa.Column("scoring_rubric", sa.Text, nullable=False, server_default=""),
        sa.Column("cv_rubric", sa.JSON, nullable=False),
        sa.Column("project_rubric", sa.JSON, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_vacancies_title_lower", "vacancies", [sa.text("lower(title)")], schema=SCHEMA)
    op.create_table(
        "vacancy_chunks",
        sa.Column("id", sa.String(160), primary_key=True),
        sa.Column(
            "vacancy_id", sa.String(64), sa.ForeignKey(f"{SCHEMA}.vacancies.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("embed_model", sa.String(200), nullable=False),
        sa.Column("embedding", ARRAY(sa.Float), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_vacancy_chunks_vacancy_model", "vacancy_chunks", ["vacancy_id", "embed_model"], schema=SCHEMA)
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cv_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("vacancy_id", sa.String(64), sa.ForeignKey(f"{SCHEMA}.vacancies.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("trace_context", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_jobs_created_id", "jobs", ["created_at", "id"], schema=SCHEMA)
    op.create_index("ix_jobs_status_created_id", "jobs", ["status", "created_at", "id"], schema=SCHEMA)
    op.create_index(
        "ix_jobs_unpublished", "jobs", ["created_at"], schema=SCHEMA, postgresql_where=sa.text("published_at IS NULL")
    )


def downgrade() -> None:
    op.drop_table("jobs", schema=SCHEMA)
    op.drop_table("vacancy_chunks", schema=SCHEMA)
    op.drop_table("vacancies", schema=SCHEMA)
