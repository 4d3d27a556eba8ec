"""vacancy listing indexes: newest first overall and per title

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "job"


def upgrade() -> None:
    op.create_index("ix_vacancies_created_id", "vacancies", ["created_at", "id"], schema=SCHEMA)
    # Supersedes ix_vacancies_title_lower: same leading expression, and it also serves "newest with this title".
    op.create_index(
        "ix_vacancies_title_created", "vacancies", [sa.text("lower(title)"), "created_at", "id"], schema=SCHEMA
    )
    op.drop_index("ix_vacancies_title_lower", table_name="vacancies", schema=SCHEMA)


def downgrade() -> None:
    op.create_index("ix_vacancies_title_lower", "vacancies", [sa.text("lower(title)")], schema=SCHEMA)
    op.drop_index("ix_vacancies_title_created", table_name="vacancies", schema=SCHEMA)
    op.drop_index("ix_vacancies_created_id", table_name="vacancies", schema=SCHEMA)
