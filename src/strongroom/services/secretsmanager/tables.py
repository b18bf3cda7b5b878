"""Secrets Manager's tables, on the store's shared Base. Every row belongs to one (account, region).

A secret's values are versions: each one is KMS envelope ciphertext sealed again by the barrier, never
plaintext. Staging labels live on the versions (a JSON list); a label is on at most one version of a
secret. Replicas are secrets of their own in other regions that name their primary's region.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class SmSecret(Base):
    __tablename__ = "sm_secrets"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(512), primary_key=True)
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # As the caller gave it (None: the AWS managed key alias/aws/secretsmanager).
    kms_key_id: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    secret_type: Mapped[str | None] = mapped_column(String(256), nullable=True)
    tags: Mapped[str] = mapped_column(Text)  # JSON list of {"Key", "Value"}, in the order given
    policy: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The unique ids its Principal's user and role ARNs were bound to when it was saved (auth/policy/binding).
    policy_principals: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_accessed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set while scheduled for deletion: when it was asked for and when the secret is destroyed.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    destroy_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Rotation configuration and state.
    rotation_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    rotation_lambda_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    rotation_rules: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON RotationRules
    last_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_rotation_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The version id of a rotation under way (or failed and not yet finished), and when a runner may
    # (re)start it; a runner pushes it forward as its lease while it works.
    rotation_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rotation_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Replication: on a replica, its primary's region and its own status.
    primary_region: Mapped[str | None] = mapped_column(String(32), nullable=True)
    replica_kms_key_id: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    replication_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    replication_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_sm_secrets_destroy", "destroy_at"),
        Index("ix_sm_secrets_rotation", "next_rotation_at"),
    )


class SmSecretVersion(Base):
    __tablename__ = "sm_secret_versions"

    secret_arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    version_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stages: Mapped[str] = mapped_column(Text)  # JSON list of staging labels
    # "string" or "binary": which member the value is answered in.
    value_kind: Mapped[str] = mapped_column(String(8))
    kms_key_arn: Mapped[str] = mapped_column(String(2048))
    sealed_value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_accessed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
