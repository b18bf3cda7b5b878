"""KMS's tables, on the store's shared Base. Every row belongs to one (account, region).

A key's material is a separate row per version: rotation adds one and marks it CURRENT, the older
ones stay (NON_CURRENT) so ciphertexts they produced keep decrypting. Material is stored only as
the barrier sealed it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class KmsKey(Base):
    __tablename__ = "kms_keys"

    # Key ids are UUIDs, or "mrk-" + 32 hex for multi-Region keys; unique across accounts and regions
    # except for multi-Region replicas, which share their primary's id, hence the composite key.
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    arn: Mapped[str] = mapped_column(String(256))
    key_spec: Mapped[str] = mapped_column(String(32))
    key_usage: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(32))
    key_manager: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deletion_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    pending_window_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    multi_region: Mapped[bool] = mapped_column(Boolean)
    # PRIMARY | REPLICA for multi-Region keys; the primary's region for replicas to find it.
    multi_region_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    primary_region: Mapped[str | None] = mapped_column(String(32), nullable=True)
    policy: Mapped[str] = mapped_column(Text)
    # The unique ids its Principal's user and role ARNs were bound to when it was saved (auth/policy/binding).
    policy_principals: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Automatic rotation: None when disabled.
    rotation_period_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_rotation_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_kms_keys_deletion", "state", "deletion_date"),)

    @property
    def enabled(self) -> bool:
        return self.state == "Enabled"


class KmsKeyMaterial(Base):
    __tablename__ = "kms_key_materials"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    material_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed_material: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(32))  # CURRENT | NON_CURRENT
    rotation_type: Mapped[str | None] = mapped_column(String(16), nullable=True)  # AUTOMATIC | ON_DEMAND

    __table_args__ = (Index("ix_kms_key_materials_key", "account_id", "region", "key_id"),)


class KmsAlias(Base):
    __tablename__ = "kms_aliases"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    alias_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_kms_aliases_key", "account_id", "region", "key_id"),)


class KmsTag(Base):
    __tablename__ = "kms_tags"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag_value: Mapped[str] = mapped_column(String(256))
