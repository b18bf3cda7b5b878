"""KMS's schema: keys, their key materials (sealed), aliases and tags.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _scope() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
    ]


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "kms_keys",
        *_scope(),
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("arn", sa.String(256), nullable=False),
        sa.Column("key_spec", sa.String(32), nullable=False),
        sa.Column("key_usage", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("key_manager", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        _created(),
        sa.Column("deletion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_window_days", sa.Integer(), nullable=True),
        sa.Column("multi_region", sa.Boolean(), nullable=False),
        sa.Column("multi_region_type", sa.String(16), nullable=True),
        sa.Column("primary_region", sa.String(32), nullable=True),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("rotation_period_days", sa.Integer(), nullable=True),
        sa.Column("next_rotation_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_kms_keys_deletion", "kms_keys", ["state", "deletion_date"])
    op.create_table(
        "kms_key_materials",
        *_scope(),
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("material_id", sa.String(64), primary_key=True),
        sa.Column("sealed_material", sa.LargeBinary(), nullable=False),
        _created(),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("rotation_type", sa.String(16), nullable=True),
    )
    op.create_index("ix_kms_key_materials_key", "kms_key_materials", ["account_id", "region", "key_id"])
    op.create_table(
        "kms_aliases",
        *_scope(),
        sa.Column("alias_name", sa.String(256), primary_key=True),
        sa.Column("key_id", sa.String(36), nullable=False),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kms_aliases_key", "kms_aliases", ["account_id", "region", "key_id"])
    op.create_table(
        "kms_tags",
        *_scope(),
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kms_tags")
    op.drop_index("ix_kms_aliases_key", table_name="kms_aliases")
    op.drop_table("kms_aliases")
    op.drop_index("ix_kms_key_materials_key", table_name="kms_key_materials")
    op.drop_table("kms_key_materials")
    op.drop_index("ix_kms_keys_deletion", table_name="kms_keys")
    op.drop_table("kms_keys")
