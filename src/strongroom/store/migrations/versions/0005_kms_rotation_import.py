"""KMS key-material lifecycle: imported materials, import tokens, key last use, custom key stores.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _key_scope() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("key_id", sa.String(36), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "kms_imported_materials",
        *_key_scope(),
        sa.Column("material_id", sa.String(64), primary_key=True),
        sa.Column("sealed_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("import_state", sa.String(16), nullable=False),
        sa.Column("expiration_model", sa.String(32), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_kms_imported_materials_expiry", "kms_imported_materials", ["import_state", "valid_to"])
    op.create_table(
        "kms_import_tokens",
        sa.Column("token_id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("wrapping_algorithm", sa.String(32), nullable=False),
        sa.Column("wrapping_key_spec", sa.String(16), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kms_import_tokens_expires_at", "kms_import_tokens", ["expires_at"])
    op.create_table(
        "kms_key_last_usage",
        *_key_scope(),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "kms_custom_key_stores",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("store_type", sa.String(32), nullable=False),
        sa.Column("connection_state", sa.String(16), nullable=False),
        sa.Column("connection_error_code", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cluster_id", sa.String(24), nullable=True),
        sa.Column("trust_anchor_certificate", sa.Text(), nullable=True),
        sa.Column("sealed_password", sa.LargeBinary(), nullable=True),
        sa.Column("xks_uri_endpoint", sa.String(128), nullable=True),
        sa.Column("xks_uri_path", sa.String(128), nullable=True),
        sa.Column("xks_connectivity", sa.String(32), nullable=True),
        sa.Column("xks_vpc_endpoint_service_name", sa.String(64), nullable=True),
        sa.Column("xks_vpc_endpoint_service_owner", sa.String(12), nullable=True),
        sa.Column("xks_access_key_id", sa.String(30), nullable=True),
        sa.Column("sealed_xks_secret", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_kms_custom_key_stores_name"),
    )


def downgrade() -> None:
    op.drop_table("kms_custom_key_stores")
    op.drop_table("kms_key_last_usage")
    op.drop_index("ix_kms_import_tokens_expires_at", table_name="kms_import_tokens")
    op.drop_table("kms_import_tokens")
    op.drop_index("ix_kms_imported_materials_expiry", table_name="kms_imported_materials")
    op.drop_table("kms_imported_materials")
