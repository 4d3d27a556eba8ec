"""cache owners: which documents' texts each cached embedding came from, so they can be forgotten

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "cache_owners",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("text_sha256", sa.LargeBinary, primary_key=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("cache_owners", schema=SCHEMA)
