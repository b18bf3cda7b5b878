"""The foundation's schema: accounts, access keys, audit events, server state and the barrier's keyring.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(128), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("principal_type", sa.String(32), nullable=False),
        sa.Column("principal_arn", sa.String(2048), nullable=False),
        sa.Column("principal_id", sa.String(128), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=True),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_access_keys_account_id", "access_keys", ["account_id"])
    op.create_table(
        "audit_events",
        # SQLite only auto-increments an INTEGER primary key.
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("event_source", sa.String(128), nullable=False),
        sa.Column("event_name", sa.String(128), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(256), nullable=True),
        sa.Column("access_key_id", sa.String(128), nullable=True),
        sa.Column("error_code", sa.String(128), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_events_scope_time", "audit_events", ["account_id", "region", "event_time"])
    op.create_index(
        "ix_audit_events_scope_name", "audit_events", ["account_id", "region", "event_name", "event_time"]
    )
    op.create_table(
        "server_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "barrier_keyring",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("barrier_keyring")
    op.drop_table("server_state")
    op.drop_index("ix_audit_events_scope_name", table_name="audit_events")
    op.drop_index("ix_audit_events_scope_time", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_access_keys_account_id", table_name="access_keys")
    op.drop_table("access_keys")
    op.drop_table("accounts")
