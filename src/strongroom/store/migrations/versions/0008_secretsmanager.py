"""Secrets Manager's schema: secrets (with rotation and replication state) and their sealed versions.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "sm_secrets",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("arn", sa.String(2048), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kms_key_id", sa.String(2048), nullable=True),
        sa.Column("secret_type", sa.String(256), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroy_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotation_enabled", sa.Boolean(), nullable=False),
        sa.Column("rotation_lambda_arn", sa.String(2048), nullable=True),
        sa.Column("rotation_rules", sa.Text(), nullable=True),
        sa.Column("last_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_rotation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotation_token", sa.String(64), nullable=True),
        sa.Column("rotation_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("primary_region", sa.String(32), nullable=True),
        sa.Column("replica_kms_key_id", sa.String(2048), nullable=True),
        sa.Column("replication_status", sa.String(16), nullable=True),
        sa.Column("replication_message", sa.Text(), nullable=True),
    )
    op.create_index("ix_sm_secrets_destroy", "sm_secrets", ["destroy_at"])
    op.create_index("ix_sm_secrets_rotation", "sm_secrets", ["next_rotation_at"])
    op.create_table(
        "sm_secret_versions",
        sa.Column("secret_arn", sa.String(2048), primary_key=True),
        sa.Column("version_id", sa.String(64), primary_key=True),
        sa.Column("stages", sa.Text(), nullable=False),
        sa.Column("value_kind", sa.String(8), nullable=False),
        sa.Column("kms_key_arn", sa.String(2048), nullable=False),
        sa.Column("sealed_value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sm_secret_versions")
    op.drop_index("ix_sm_secrets_rotation", table_name="sm_secrets")
    op.drop_index("ix_sm_secrets_destroy", table_name="sm_secrets")
    op.drop_table("sm_secrets")
