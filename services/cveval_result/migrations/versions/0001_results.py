"""results

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "result"


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("job_id", sa.String(36), primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("cv_match_rate", sa.Float, nullable=False),
        sa.Column("project_score", sa.Float, nullable=False),
        sa.Column("scorer", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_results_created_at", "results", ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("results", schema=SCHEMA)
