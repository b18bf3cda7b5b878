"""Parameter Store's tables, on the store's shared Base. Every row belongs to one (account, region).

A parameter is keyed by its name in path form: `x` and `/x` are one parameter, keyed "/x"; the name it
was created with is kept for display. Each change adds a version row holding that version's value
and attributes; a SecureString's value is the KMS ciphertext, sealed again by the barrier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class SsmParameter(Base):
    """A parameter's current state (its latest version's attributes)."""

    __tablename__ = "ssm_parameters"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(2048), primary_key=True)  # path form, starts with "/"
    display_name: Mapped[str] = mapped_column(String(2048))
    # The path the parameter sits directly under ("/" for root parameters), for one-level listings.
    parent: Mapped[str] = mapped_column(String(2048))
    type: Mapped[str] = mapped_column(String(16))
    data_type: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    allowed_pattern: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(256), nullable=True)  # as the caller named it
    policies: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of policy texts
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_by: Mapped[str] = mapped_column(String(2048))

    __table_args__ = (
        Index("ix_ssm_parameters_parent", "account_id", "region", "parent"),
        Index("ix_ssm_parameters_tier", "account_id", "region", "tier"),
    )


class SsmParameterVersion(Base):
    __tablename__ = "ssm_parameter_versions"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(2048), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    data_type: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str] = mapped_column(String(16))
    # String and StringList values; None for SecureString, whose ciphertext is in sealed_value.
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    sealed_value: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    allowed_pattern: Mapped[str | None] = mapped_column(Text, nullable=True)
    policies: Mapped[str | None] = mapped_column(Text, nullable=True)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_by: Mapped[str] = mapped_column(String(2048))


class SsmParameterLabel(Base):
    """A label names one version; a label is unique across a parameter's versions."""

    __tablename__ = "ssm_parameter_labels"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(2048), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SsmParameterTag(Base):
    __tablename__ = "ssm_parameter_tags"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(2048), primary_key=True)
    tag_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag_value: Mapped[str] = mapped_column(String(256))


class SsmParameterPolicy(Base):
    """When a parameter policy next acts (delete, or notify); `done` once it has, until the parameter changes."""

    __tablename__ = "ssm_parameter_policies"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(2048), primary_key=True)
    policy_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_ssm_parameter_policies_due", "done", "due_at"),)


class SsmEventOutbox(Base):
    """EventBridge events Parameter Store emitted, in order, until the event bus drains them."""

    __tablename__ = "ssm_event_outbox"

    # SQLite only auto-increments an INTEGER primary key.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))
    detail_type: Mapped[str] = mapped_column(String(128))
    resources: Mapped[str] = mapped_column(Text)  # JSON list of ARNs
    detail: Mapped[str] = mapped_column(Text)  # JSON object
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
