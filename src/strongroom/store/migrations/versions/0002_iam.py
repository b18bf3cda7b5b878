"""IAM's schema: users, groups and memberships, roles, inline and managed policies with their versions,
attachments and tags (permissions boundaries are a column of users and roles).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _id(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), primary_key=True)


def _account() -> sa.Column[str]:
    return sa.Column("account_id", sa.String(12), nullable=False)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "iam_users",
        _id("user_id"),
        _account(),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        _created(),
        sa.Column("permissions_boundary_arn", sa.String(2048), nullable=True),
        sa.UniqueConstraint("account_id", "name_key", name="uq_iam_users_name"),
    )
    op.create_table(
        "iam_groups",
        _id("group_id"),
        _account(),
        sa.Column("group_name", sa.String(128), nullable=False),
        sa.Column("name_key", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        _created(),
        sa.UniqueConstraint("account_id", "name_key", name="uq_iam_groups_name"),
    )
    op.create_table(
        "iam_group_members",
        _id("group_id"),
        _id("user_id"),
        _account(),
    )
    op.create_index("ix_iam_group_members_user", "iam_group_members", ["user_id"])
    op.create_table(
        "iam_roles",
        _id("role_id"),
        _account(),
        sa.Column("role_name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        _created(),
        sa.Column("trust_policy", sa.Text(), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("max_session_duration", sa.Integer(), nullable=False),
        sa.Column("permissions_boundary_arn", sa.String(2048), nullable=True),
        sa.UniqueConstraint("account_id", "name_key", name="uq_iam_roles_name"),
    )
    op.create_table(
        "iam_inline_policies",
        _id("owner_id"),
        sa.Column("policy_name", sa.String(128), primary_key=True),
        _account(),
        sa.Column("owner_kind", sa.String(8), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_table(
        "iam_managed_policies",
        _id("policy_id"),
        _account(),
        sa.Column("policy_name", sa.String(128), nullable=False),
        sa.Column("name_key", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("arn", sa.String(2048), nullable=False, unique=True),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("default_version_id", sa.String(16), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("account_id", "name_key", name="uq_iam_managed_policies_name"),
    )
    op.create_table(
        "iam_policy_versions",
        _id("policy_id"),
        sa.Column("version_id", sa.String(16), primary_key=True),
        _account(),
        sa.Column("document", sa.Text(), nullable=False),
        _created(),
    )
    op.create_table(
        "iam_policy_attachments",
        _id("owner_id"),
        _id("policy_id"),
        _account(),
        sa.Column("owner_kind", sa.String(8), nullable=False),
    )
    op.create_index("ix_iam_policy_attachments_policy", "iam_policy_attachments", ["policy_id"])
    op.create_table(
        "iam_tags",
        _id("owner_id"),
        sa.Column("key_lower", sa.String(128), primary_key=True),
        _account(),
        sa.Column("tag_key", sa.String(128), nullable=False),
        sa.Column("tag_value", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("iam_tags")
    op.drop_index("ix_iam_policy_attachments_policy", table_name="iam_policy_attachments")
    op.drop_table("iam_policy_attachments")
    op.drop_table("iam_policy_versions")
    op.drop_table("iam_managed_policies")
    op.drop_table("iam_inline_policies")
    op.drop_table("iam_roles")
    op.drop_index("ix_iam_group_members_user", table_name="iam_group_members")
    op.drop_table("iam_group_members")
    op.drop_table("iam_groups")
    op.drop_table("iam_users")
