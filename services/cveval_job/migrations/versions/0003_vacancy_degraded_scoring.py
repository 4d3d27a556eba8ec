"""vacancies: allow_degraded_scoring (fall back to the offline scorer when the model provider is unavailable)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "job"


def upgrade() -> None:
    # The server default fills existing rows without rewriting them (PostgreSQL 11+ stores a constant default in
    # the catalogue), and keeps the product's behaviour for them: degraded scoring allowed.
    op.add_column(
        "vacancies",
        sa.Column("allow_degraded_scoring", sa.Boolean, nullable=False, server_default=sa.true()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("vacancies", "allow_degraded_scoring", schema=SCHEMA)
