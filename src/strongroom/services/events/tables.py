"""EventBridge's tables. Every row belongs to one (account, region).

The `default` bus of an account and region is implicit: it has a row only once something about it
is stored (its policy). Connection secrets are kept only as the barrier sealed them. Deliveries are
the queue of (event, target) pairs still to be delivered; a delivery that cannot be made ends as a
dead letter, so an event is never lost silently.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class EventBus(Base):
    __tablename__ = "events_buses"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    arn: Mapped[str] = mapped_column(String(1600))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    policy: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The unique ids its Principal's user and role ARNs were bound to when it was saved (auth/policy/binding).
    policy_principals: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventRule(Base):
    __tablename__ = "events_rules"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    bus_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    arn: Mapped[str] = mapped_column(String(1600))
    event_pattern: Mapped[str | None] = mapped_column(Text, nullable=True)
    schedule_expression: Mapped[str | None] = mapped_column(String(256), nullable=True)
    state: Mapped[str] = mapped_column(String(48))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    role_arn: Mapped[str | None] = mapped_column(String(1600), nullable=True)
    created_by: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When a scheduled rule fires next (None for pattern-only rules).
    next_fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_events_rules_next_fire", "next_fire_at"),)


class EventTarget(Base):
    __tablename__ = "events_targets"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    bus_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    rule_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    arn: Mapped[str] = mapped_column(String(1600))
    # The whole Target structure as PutTargets received it, as JSON.
    spec: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_events_targets_arn", "account_id", "region", "arn"),)


class EventTag(Base):
    __tablename__ = "events_tags"

    resource_arn: Mapped[str] = mapped_column(String(1600), primary_key=True)
    tag_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tag_value: Mapped[str] = mapped_column(String(256))


class EventConnection(Base):
    __tablename__ = "events_connections"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    arn: Mapped[str] = mapped_column(String(1600))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    authorization_type: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    state_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # AuthParameters without their secret values, as JSON (what DescribeConnection shows).
    auth_public: Mapped[str] = mapped_column(Text)
    # The secret values (API key, password, client secret, secret parameters), sealed.
    sealed_secrets: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The OAuth access token last fetched, sealed, and when it stops being usable.
    sealed_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    authorized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EventApiDestination(Base):
    __tablename__ = "events_api_destinations"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    arn: Mapped[str] = mapped_column(String(1600))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    connection_arn: Mapped[str] = mapped_column(String(1600))
    endpoint: Mapped[str] = mapped_column(String(2048))
    http_method: Mapped[str] = mapped_column(String(16))
    rate_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EventDelivery(Base):
    """One event still to be delivered to one target, with its retry state."""

    __tablename__ = "events_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    rule_arn: Mapped[str] = mapped_column(String(1600))
    target_id: Mapped[str] = mapped_column(String(64))
    target_arn: Mapped[str] = mapped_column(String(1600))
    event_id: Mapped[str] = mapped_column(String(36))
    # The event itself (for bus targets) and what the target receives (after Input* transforms).
    event: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    # The target's HttpParameters, RetryPolicy and DeadLetterConfig, as JSON.
    options: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A worker holds the delivery while it attempts it, until this time.
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_events_deliveries_due", "next_attempt_at"),)


class EventDeadLetter(Base):
    """A delivery given up on, with why; never deleted by EventBridge itself."""

    __tablename__ = "events_dead_letters"

    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    rule_arn: Mapped[str] = mapped_column(String(1600))
    target_id: Mapped[str] = mapped_column(String(64))
    target_arn: Mapped[str] = mapped_column(String(1600))
    # The target's DeadLetterConfig Arn, when it has one.
    dead_letter_arn: Mapped[str | None] = mapped_column(String(1600), nullable=True)
    event_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str] = mapped_column(String(64))
    error_message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_events_dead_letters_scope", "account_id", "region", "created_at"),)
