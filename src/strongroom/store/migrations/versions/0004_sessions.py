"""STS's schema: temporary credentials issued by AssumeRole and GetSessionToken.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "sts_sessions",
        sa.Column("access_key_id", sa.String(128), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("principal_type", sa.String(32), nullable=False),
        sa.Column("principal_arn", sa.String(2048), nullable=False),
        sa.Column("principal_id", sa.String(256), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=True),
        sa.Column("role_arn", sa.String(2048), nullable=True),
        sa.Column("session_name", sa.String(64), nullable=True),
        sa.Column("token_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_policies", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("source_identity", sa.String(256), nullable=True),
    )
    op.create_index("ix_sts_sessions_expires_at", "sts_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_sts_sessions_expires_at", table_name="sts_sessions")
    op.drop_table("sts_sessions")
