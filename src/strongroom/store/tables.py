"""The store's tables. Every schema change comes with an Alembic migration in migrations/versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessKey(Base):
    """An access key; its secret is sealed by the barrier with locator `access_key/<id>`."""

    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), index=True)
    principal_type: Mapped[str] = mapped_column(String(32))  # Root | IAMUser
    principal_arn: Mapped[str] = mapped_column(String(2048))
    principal_id: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="Active")  # Active | Inactive
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One CloudTrail event record; `record` is the full JSON, the other columns are for lookups."""

    __tablename__ = "audit_events"

    # SQLite only auto-increments an INTEGER primary key.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    event_source: Mapped[str] = mapped_column(String(128))
    event_name: Mapped[str] = mapped_column(String(128))
    read_only: Mapped[bool] = mapped_column(Boolean)
    username: Mapped[str | None] = mapped_column(String(256), nullable=True)
    access_key_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(128), nullable=True)
    record: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_events_scope_time", "account_id", "region", "event_time"),
        Index("ix_audit_events_scope_name", "account_id", "region", "event_name", "event_time"),
    )


class ServerState(Base):
    """Small server-wide values shared by every worker and node (e.g. the test clock's offset)."""

    __tablename__ = "server_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class BarrierKeyring(Base):
    """The barrier's term-numbered data keys, sealed as one value by the root key.

    One row. `generation` grows on every change, so concurrent rotations by two nodes cannot
    silently overwrite each other (an update only applies to the generation it read).
    """

    __tablename__ = "barrier_keyring"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class CacheRevision(Base):
    """A counter per cached area of the store, bumped by database triggers in the same transaction as
    any change to that area's tables (migrations 0011 "kms", 0012 "iam", 0013 "ssm" and
    "secretsmanager"), whichever worker, node or tool made it.

    A worker keeps what it read of an area (e.g. "kms": keys, aliases, tags, material) as long as
    the counter it read first has not moved: one primary-key read per request instead of a reload.
    """

    __tablename__ = "cache_revisions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
