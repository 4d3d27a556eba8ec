"""tenancy: a result belongs to its job's tenant and submitter, and names its CV document for erasure

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "result"


def upgrade() -> None:
    # Existing results go to the `default` tenant with an unknown submitter (its reviewers and admins read them).
    for name, width, default in (("tenant", 128, "default"), ("submitted_by", 255, ""), ("cv_id", 36, "")):
        op.add_column("results", sa.Column(name, sa.String(width), nullable=False, server_default=default),
                      schema=SCHEMA)
        op.alter_column("results", name, server_default=None, schema=SCHEMA)
    op.create_index("ix_results_tenant_created", "results", ["tenant", "created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_results_tenant_created", table_name="results", schema=SCHEMA)
    for name in ("cv_id", "submitted_by", "tenant"):
        op.drop_column("results", name, schema=SCHEMA)
