"""forgotten owners: what any replica forgot, so every replica drops its own memory copies

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "forgotten_owners",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("owner_digest", sa.String(64), nullable=False),
        sa.Column("forgotten_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("forgotten_owners_at", "forgotten_owners", ["forgotten_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("forgotten_owners", schema=SCHEMA)
