"""tenancy: every content and document belongs to a tenant, documents to the principal that uploaded them

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "upload"


def upgrade() -> None:
    # Existing rows go to the `default` tenant; their uploader is unknown (""), so only its reviewers and admins
    # read them. The server defaults fill existing rows only and are dropped: new rows name their tenant.
    for table in ("contents", "documents"):
        op.add_column(table, sa.Column("tenant", sa.String(128), nullable=False, server_default="default"),
                      schema=SCHEMA)
        op.alter_column(table, "tenant", server_default=None, schema=SCHEMA)
    op.add_column("documents", sa.Column("owner", sa.String(255), nullable=False, server_default=""), schema=SCHEMA)
    op.alter_column("documents", "owner", server_default=None, schema=SCHEMA)
    # Content is deduplicated per tenant: the same bytes from two tenants are two rows.
    op.drop_constraint("documents_sha256_fkey", "documents", schema=SCHEMA, type_="foreignkey")
    op.drop_constraint("uq_documents_sha256_kind", "documents", schema=SCHEMA, type_="unique")
    op.drop_constraint("contents_pkey", "contents", schema=SCHEMA, type_="primary")
    op.create_primary_key("contents_pkey", "contents", ["tenant", "sha256"], schema=SCHEMA)
    op.create_foreign_key(
        "documents_content_fkey", "documents", "contents", ["tenant", "sha256"], ["tenant", "sha256"],
        source_schema=SCHEMA, referent_schema=SCHEMA,
    )
    op.create_unique_constraint(
        "uq_documents_tenant_owner_sha256_kind", "documents", ["tenant", "owner", "sha256", "kind"], schema=SCHEMA
    )
    op.create_index("ix_documents_tenant_created", "documents", ["tenant", "created_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_documents_tenant_created", table_name="documents", schema=SCHEMA)
    op.drop_constraint("uq_documents_tenant_owner_sha256_kind", "documents", schema=SCHEMA, type_="unique")
    op.drop_constraint("documents_content_fkey", "documents", schema=SCHEMA, type_="foreignkey")
    op.drop_constraint("contents_pkey", "contents", schema=SCHEMA, type_="primary")
    op.create_primary_key("contents_pkey", "contents", ["sha256"], schema=SCHEMA)
    op.create_unique_constraint("uq_documents_sha256_kind", "documents", ["sha256", "kind"], schema=SCHEMA)
    op.create_foreign_key(
        "documents_sha256_fkey", "documents", "contents", ["sha256"], ["sha256"],
        source_schema=SCHEMA, referent_schema=SCHEMA,
    )
    op.drop_column("documents", "owner", schema=SCHEMA)
    for table in ("contents", "documents"):
        op.drop_column(table, "tenant", schema=SCHEMA)
