"""SSM Parameter Store: parameters, their versions, labels, tags, policy schedule, and the event outbox.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def _scope() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(2048), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "ssm_parameters",
        *_scope(),
        sa.Column("display_name", sa.String(2048), nullable=False),
        sa.Column("parent", sa.String(2048), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("data_type", sa.String(128), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("allowed_pattern", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(256), nullable=True),
        sa.Column("policies", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_by", sa.String(2048), nullable=False),
    )
    op.create_index("ix_ssm_parameters_parent", "ssm_parameters", ["account_id", "region", "parent"])
    op.create_index("ix_ssm_parameters_tier", "ssm_parameters", ["account_id", "region", "tier"])
    op.create_table(
        "ssm_parameter_versions",
        *_scope(),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("data_type", sa.String(128), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("sealed_value", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(256), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("allowed_pattern", sa.Text(), nullable=True),
        sa.Column("policies", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_by", sa.String(2048), nullable=False),
    )
    op.create_table(
        "ssm_parameter_labels",
        *_scope(),
        sa.Column("label", sa.String(100), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "ssm_parameter_tags",
        *_scope(),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=False),
    )
    op.create_table(
        "ssm_parameter_policies",
        *_scope(),
        sa.Column("policy_type", sa.String(32), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_ssm_parameter_policies_due", "ssm_parameter_policies", ["done", "due_at"])
    op.create_table(
        "ssm_event_outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("detail_type", sa.String(128), nullable=False),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ssm_event_outbox")
    op.drop_index("ix_ssm_parameter_policies_due", table_name="ssm_parameter_policies")
    op.drop_table("ssm_parameter_policies")
    op.drop_table("ssm_parameter_tags")
    op.drop_table("ssm_parameter_labels")
    op.drop_table("ssm_parameter_versions")
    op.drop_index("ix_ssm_parameters_tier", table_name="ssm_parameters")
    op.drop_index("ix_ssm_parameters_parent", table_name="ssm_parameters")
    op.drop_table("ssm_parameters")
