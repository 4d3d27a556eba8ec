"""vacancies: redact_personal_data (personal data redacted before any text goes to an external model provider)

Revision ID: 0006_scoring
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_scoring"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA = "job"


def upgrade() -> None:
    # A constant server default fills existing rows without rewriting the table, and keeps the product's behaviour
    # for them: redaction on.
    op.add_column(
        "vacancies",
        sa.Column("redact_personal_data", sa.Boolean, nullable=False, server_default=sa.true()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("vacancies", "redact_personal_data", schema=SCHEMA)
