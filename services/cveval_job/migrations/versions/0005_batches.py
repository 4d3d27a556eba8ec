"""batches: many evaluations against one vacancy in one call; jobs name their batch and are listed by vacancy

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "job"


def upgrade() -> None:
    # No foreign key from jobs: erasing a candidate's jobs must not depend on its batch (a batch holds no
    # personal data, only who submitted it and against which vacancy).
    op.create_table(
        "batches",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("submitted_by", sa.String(255), nullable=False),
        sa.Column("vacancy_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "idempotency_key", name="uq_batches_tenant_idempotency_key"),
        schema=SCHEMA,
    )
    op.add_column("jobs", sa.Column("batch_id", sa.String(36), nullable=True), schema=SCHEMA)
    op.create_index("ix_jobs_tenant_batch", "jobs", ["tenant", "batch_id"], schema=SCHEMA)
    op.create_index("ix_jobs_tenant_vacancy_created_id", "jobs", ["tenant", "vacancy_id", "created_at", "id"],
                    schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_vacancy_created_id", table_name="jobs", schema=SCHEMA)
    op.drop_index("ix_jobs_tenant_batch", table_name="jobs", schema=SCHEMA)
    op.drop_column("jobs", "batch_id", schema=SCHEMA)
    op.drop_table("batches", schema=SCHEMA)
