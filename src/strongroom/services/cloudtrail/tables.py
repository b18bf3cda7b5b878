"""CloudTrail's tables, on the store's shared Base, and the extra lookup indexes on `audit_events`.

A trail belongs to its account and home region. Delivery and digest progress live in their own rows
so the scheduled tasks can claim them (row lock on PostgreSQL, write lock on SQLite) without
blocking trail management. Signing keys are per region; their private halves are only stored sealed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import AuditEvent, Base

# LookupEvents filters by one attribute within (account, region) and pages newest first.
_audit = AuditEvent.__table__.c
Index("ix_audit_events_scope_username", _audit.account_id, _audit.region, _audit.username, _audit.event_time,
      _audit.seq)
Index("ix_audit_events_scope_access_key", _audit.account_id, _audit.region, _audit.access_key_id, _audit.event_time,
      _audit.seq)
Index("ix_audit_events_scope_source", _audit.account_id, _audit.region, _audit.event_source, _audit.event_time,
      _audit.seq)
Index("ix_audit_events_scope_read_only", _audit.account_id, _audit.region, _audit.read_only, _audit.event_time,
      _audit.seq)


class CloudTrailTrail(Base):
    __tablename__ = "cloudtrail_trails"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    home_region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    s3_bucket: Mapped[str] = mapped_column(String(63))
    s3_key_prefix: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sns_topic_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    include_global_events: Mapped[bool] = mapped_column(Boolean)
    multi_region: Mapped[bool] = mapped_column(Boolean)
    log_file_validation: Mapped[bool] = mapped_column(Boolean)
    cloudwatch_log_group_arn: Mapped[str | None] = mapped_column(String(512), nullable=True)
    cloudwatch_role_arn: Mapped[str | None] = mapped_column(String(512), nullable=True)
    kms_key_id: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # JSON: the basic selectors, or the advanced ones (a trail has one kind at a time).
    event_selectors: Mapped[str | None] = mapped_column(Text, nullable=True)
    advanced_event_selectors: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_logging: Mapped[bool] = mapped_column(Boolean)
    started_logging_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    stopped_logging_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CloudTrailTag(Base):
    __tablename__ = "cloudtrail_tags"

    trail_arn: Mapped[str] = mapped_column(String(256), primary_key=True)
    tag_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag_value: Mapped[str | None] = mapped_column(String(256), nullable=True)


class CloudTrailDelivery(Base):
    """A trail's log delivery position: every audit event up to `delivered_seq` was considered."""

    __tablename__ = "cloudtrail_deliveries"

    trail_arn: Mapped[str] = mapped_column(String(256), primary_key=True)
    delivered_seq: Mapped[int] = mapped_column(BigInteger)
    last_delivery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Bumped by whoever claims the row, so the claim itself is a write (it takes SQLite's lock).
    claims: Mapped[int] = mapped_column(Integer)


class CloudTrailLogFile(Base):
    """A delivered log file, kept for the digest that will cover it."""

    __tablename__ = "cloudtrail_log_files"

    trail_arn: Mapped[str] = mapped_column(String(256), primary_key=True)
    s3_object: Mapped[str] = mapped_column(String(1024), primary_key=True)
    region: Mapped[str] = mapped_column(String(32))
    s3_bucket: Mapped[str] = mapped_column(String(63))
    hash_value: Mapped[str] = mapped_column(String(64))
    oldest_event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    newest_event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The digest that lists this file; None until one does.
    digest_object: Mapped[str | None] = mapped_column(String(1024), nullable=True)

    __table_args__ = (Index("ix_cloudtrail_log_files_pending", "trail_arn", "region", "digest_object"),)


class CloudTrailDigestChain(Base):
    """Where a trail's digest chain in one region stands: the next period and the previous digest."""

    __tablename__ = "cloudtrail_digest_chains"

    trail_arn: Mapped[str] = mapped_column(String(256), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    previous_bucket: Mapped[str | None] = mapped_column(String(63), nullable=True)
    previous_object: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_delivery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claims: Mapped[int] = mapped_column(Integer)


class CloudTrailSigningKey(Base):
    """A region's digest signing key pair; the private half sealed by the barrier."""

    __tablename__ = "cloudtrail_signing_keys"

    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32), unique=True)
    public_der: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_private: Mapped[bytes] = mapped_column(LargeBinary)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CloudTrailEventResource(Base):
    """One resource of one audit event, for LookupEvents by ResourceType or ResourceName."""

    __tablename__ = "cloudtrail_event_resources"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(128), primary_key=True)
    resource_name: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_cloudtrail_event_resources_name", "account_id", "region", "resource_name", "event_time", "seq"),
        Index("ix_cloudtrail_event_resources_type", "account_id", "region", "resource_type", "event_time", "seq"),
    )


class CloudTrailWatermark(Base):
    """How far a background pass over `audit_events` has come (e.g. the resource indexer)."""

    __tablename__ = "cloudtrail_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
