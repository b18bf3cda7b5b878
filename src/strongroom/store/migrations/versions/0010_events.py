"""EventBridge's schema: buses, rules, targets, tags, connections (sealed secrets), API destinations,
the delivery queue and dead letters.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def _scope() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
    ]


def _time(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "events_buses",
        *_scope(),
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        _time("created_at"),
        _time("modified_at"),
    )
    op.create_table(
        "events_rules",
        *_scope(),
        sa.Column("bus_name", sa.String(256), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("event_pattern", sa.Text(), nullable=True),
        sa.Column("schedule_expression", sa.String(256), nullable=True),
        sa.Column("state", sa.String(48), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("role_arn", sa.String(1600), nullable=True),
        sa.Column("created_by", sa.String(12), nullable=False),
        _time("created_at"),
        _time("next_fire_at", nullable=True),
    )
    op.create_index("ix_events_rules_next_fire", "events_rules", ["next_fire_at"])
    op.create_table(
        "events_targets",
        *_scope(),
        sa.Column("bus_name", sa.String(256), primary_key=True),
        sa.Column("rule_name", sa.String(64), primary_key=True),
        sa.Column("target_id", sa.String(64), primary_key=True),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
    )
    op.create_index("ix_events_targets_arn", "events_targets", ["account_id", "region", "arn"])
    op.create_table(
        "events_tags",
        sa.Column("resource_arn", sa.String(1600), primary_key=True),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=False),
    )
    op.create_table(
        "events_connections",
        *_scope(),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("authorization_type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("auth_public", sa.Text(), nullable=False),
        sa.Column("sealed_secrets", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_token", sa.LargeBinary(), nullable=True),
        _time("token_expires_at", nullable=True),
        _time("created_at"),
        _time("modified_at"),
        _time("authorized_at", nullable=True),
    )
    op.create_table(
        "events_api_destinations",
        *_scope(),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("connection_arn", sa.String(1600), nullable=False),
        sa.Column("endpoint", sa.String(2048), nullable=False),
        sa.Column("http_method", sa.String(16), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        _time("created_at"),
        _time("modified_at"),
    )
    op.create_table(
        "events_deliveries",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("rule_arn", sa.String(1600), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("target_arn", sa.String(1600), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        _time("expires_at"),
        _time("next_attempt_at"),
        _time("leased_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_events_deliveries_due", "events_deliveries", ["next_attempt_at"])
    op.create_table(
        "events_dead_letters",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("rule_arn", sa.String(1600), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("target_arn", sa.String(1600), nullable=False),
        sa.Column("dead_letter_arn", sa.String(1600), nullable=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        _time("created_at"),
    )
    op.create_index("ix_events_dead_letters_scope", "events_dead_letters", ["account_id", "region", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_dead_letters_scope", table_name="events_dead_letters")
    op.drop_table("events_dead_letters")
    op.drop_index("ix_events_deliveries_due", table_name="events_deliveries")
    op.drop_table("events_deliveries")
    op.drop_table("events_api_destinations")
    op.drop_table("events_connections")
    op.drop_table("events_tags")
    op.drop_index("ix_events_targets_arn", table_name="events_targets")
    op.drop_table("events_targets")
    op.drop_index("ix_events_rules_next_fire", table_name="events_rules")
    op.drop_table("events_rules")
    op.drop_table("events_buses")
