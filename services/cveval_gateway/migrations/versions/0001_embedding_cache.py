"""embedding cache

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "embeddings",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("text_sha256", sa.LargeBinary, primary_key=True),
        sa.Column("answer_model", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("dims", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    # float32 vectors are noise to a compressor: keep them out of line without spending CPU on trying.
    op.execute(f'ALTER TABLE "{SCHEMA}".embeddings ALTER COLUMN vector SET STORAGE EXTERNAL')


def downgrade() -> None:
    op.drop_table("embeddings", schema=SCHEMA)
