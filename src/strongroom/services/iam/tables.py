"""IAM's tables, on the store's shared Base. Every row belongs to one account.

IAM names (users, groups, roles, managed policies) are unique per account without regard to case,
so each such table keeps the name as given plus its lower-cased `name_key` for the uniqueness rule
and for lookups. Other tables refer to entities by their immutable ids (AIDA..., AGPA..., AROA...,
ANPA...), so renaming a user or a group never has to rewrite them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class IamUser(Base):
    __tablename__ = "iam_users"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    user_name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    permissions_boundary_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)

    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_users_name"),)


class IamGroup(Base):
    __tablename__ = "iam_groups"

    group_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    group_name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_groups_name"),)


class IamGroupMember(Base):
    __tablename__ = "iam_group_members"

    group_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))

    __table_args__ = (Index("ix_iam_group_members_user", "user_id"),)


class IamRole(Base):
    __tablename__ = "iam_roles"

    role_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    role_name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trust_policy: Mapped[str] = mapped_column(Text)
    # The unique ids its Principal's user and role ARNs were bound to when it was saved (auth/policy/binding).
    trust_policy_principals: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    max_session_duration: Mapped[int] = mapped_column(Integer)
    permissions_boundary_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)

    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_roles_name"),)


class IamInlinePolicy(Base):
    """A policy embedded in one user, group or role. `revision` is drawn anew on every Put (for caches)."""

    __tablename__ = "iam_inline_policies"

    owner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    policy_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    owner_kind: Mapped[str] = mapped_column(String(8))  # user | group | role
    document: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)


class IamManagedPolicy(Base):
    __tablename__ = "iam_managed_policies"

    policy_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    policy_name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512))
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    default_version_id: Mapped[str] = mapped_column(String(16))
    # Version ids are never reused after a version is deleted: v1, v2, ... in order of creation.
    next_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_iam_managed_policies_name"),)


class IamPolicyVersion(Base):
    __tablename__ = "iam_policy_versions"

    policy_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IamPolicyAttachment(Base):
    """A managed policy attached to a user, group or role."""

    __tablename__ = "iam_policy_attachments"

    owner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    owner_kind: Mapped[str] = mapped_column(String(8))  # user | group | role

    __table_args__ = (Index("ix_iam_policy_attachments_policy", "policy_id"),)


class IamTag(Base):
    """A tag on a user, role or managed policy. IAM tag keys are unique regardless of case."""

    __tablename__ = "iam_tags"

    owner_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_lower: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    tag_key: Mapped[str] = mapped_column(String(128))
    tag_value: Mapped[str] = mapped_column(String(256))
