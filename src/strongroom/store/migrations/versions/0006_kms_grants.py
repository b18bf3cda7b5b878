"""KMS grants.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "kms_grants",
        sa.Column("grant_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("grantee_principal", sa.String(256), nullable=False),
        sa.Column("retiring_principal", sa.String(256), nullable=True),
        sa.Column("issuing_account", sa.String(12), nullable=False),
        sa.Column("operations", sa.Text(), nullable=False),
        sa.Column("constraints", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kms_grants_key", "kms_grants", ["account_id", "region", "key_id"])
    op.create_index("ix_kms_grants_grantee", "kms_grants", ["grantee_principal"])
    op.create_index("ix_kms_grants_retiring", "kms_grants", ["retiring_principal"])


def downgrade() -> None:
    op.drop_index("ix_kms_grants_retiring", table_name="kms_grants")
    op.drop_index("ix_kms_grants_grantee", table_name="kms_grants")
    op.drop_index("ix_kms_grants_key", table_name="kms_grants")
    op.drop_table("kms_grants")
