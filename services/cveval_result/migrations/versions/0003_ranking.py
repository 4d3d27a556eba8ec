"""ranking: a result names its vacancy and batch and keeps its overall score, so the ranking is one indexed query

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "result"


def upgrade() -> None:
    # Results stored before this have no vacancy (they are in no ranking); their overall score is derived once.
    op.add_column("results", sa.Column("vacancy_id", sa.String(64), nullable=False, server_default=""), schema=SCHEMA)
    op.add_column("results", sa.Column("batch_id", sa.String(36), nullable=False, server_default=""), schema=SCHEMA)
    op.add_column("results", sa.Column("overall_score", sa.Float, nullable=True), schema=SCHEMA)
    op.execute(
        f"UPDATE {SCHEMA}.results SET overall_score = (cv_match_rate + (project_score - 1.0) / 4.0) / 2.0"
    )
    op.alter_column("results", "overall_score", nullable=False, schema=SCHEMA)
    for name in ("vacancy_id", "batch_id"):
        op.alter_column("results", name, server_default=None, schema=SCHEMA)
    for column in ("overall_score", "cv_match_rate", "project_score"):
        op.create_index(f"ix_results_rank_{column}", "results", ["tenant", "vacancy_id", column, "job_id"],
                        schema=SCHEMA)


def downgrade() -> None:
    for column in ("overall_score", "cv_match_rate", "project_score"):
        op.drop_index(f"ix_results_rank_{column}", table_name="results", schema=SCHEMA)
    for name in ("overall_score", "batch_id", "vacancy_id"):
        op.drop_column("results", name, schema=SCHEMA)
