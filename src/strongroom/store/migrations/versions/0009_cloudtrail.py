"""CloudTrail's schema: trails, tags, delivery positions, log files, digest chains, signing keys, the
event resource index, and lookup indexes on audit_events.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_AUDIT_INDEXES = {
    "ix_audit_events_scope_username": "username",
    "ix_audit_events_scope_access_key": "access_key_id",
    "ix_audit_events_scope_source": "event_source",
    "ix_audit_events_scope_read_only": "read_only",
}


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _seq(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    for index, column in _AUDIT_INDEXES.items():
        op.create_index(index, "audit_events", ["account_id", "region", column, "event_time", "seq"])
    op.create_table(
        "cloudtrail_trails",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("home_region", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("arn", sa.String(256), nullable=False, unique=True),
        sa.Column("s3_bucket", sa.String(63), nullable=False),
        sa.Column("s3_key_prefix", sa.String(200), nullable=True),
        sa.Column("sns_topic_name", sa.String(256), nullable=True),
        sa.Column("include_global_events", sa.Boolean(), nullable=False),
        sa.Column("multi_region", sa.Boolean(), nullable=False),
        sa.Column("log_file_validation", sa.Boolean(), nullable=False),
        sa.Column("cloudwatch_log_group_arn", sa.String(512), nullable=True),
        sa.Column("cloudwatch_role_arn", sa.String(512), nullable=True),
        sa.Column("kms_key_id", sa.String(512), nullable=True),
        sa.Column("event_selectors", sa.Text(), nullable=True),
        sa.Column("advanced_event_selectors", sa.Text(), nullable=True),
        sa.Column("is_logging", sa.Boolean(), nullable=False),
        _time("started_logging_at", nullable=True),
        _time("stopped_logging_at", nullable=True),
        _time("created_at"),
    )
    op.create_table(
        "cloudtrail_tags",
        sa.Column("trail_arn", sa.String(256), primary_key=True),
        sa.Column("tag_key", sa.String(128), primary_key=True),
        sa.Column("tag_value", sa.String(256), nullable=True),
    )
    op.create_table(
        "cloudtrail_deliveries",
        sa.Column("trail_arn", sa.String(256), primary_key=True),
        _seq("delivered_seq"),
        _time("last_delivery_at", nullable=True),
        _time("last_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claims", sa.Integer(), nullable=False),
    )
    op.create_table(
        "cloudtrail_log_files",
        sa.Column("trail_arn", sa.String(256), primary_key=True),
        sa.Column("s3_object", sa.String(1024), primary_key=True),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("s3_bucket", sa.String(63), nullable=False),
        sa.Column("hash_value", sa.String(64), nullable=False),
        _time("oldest_event_time"),
        _time("newest_event_time"),
        _time("delivered_at"),
        sa.Column("digest_object", sa.String(1024), nullable=True),
    )
    op.create_index("ix_cloudtrail_log_files_pending", "cloudtrail_log_files",
                    ["trail_arn", "region", "digest_object"])
    op.create_table(
        "cloudtrail_digest_chains",
        sa.Column("trail_arn", sa.String(256), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        _time("next_start"),
        sa.Column("previous_bucket", sa.String(63), nullable=True),
        sa.Column("previous_object", sa.String(1024), nullable=True),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("previous_signature", sa.Text(), nullable=True),
        _time("last_delivery_at", nullable=True),
        sa.Column("claims", sa.Integer(), nullable=False),
    )
    op.create_table(
        "cloudtrail_signing_keys",
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("key_number", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(32), nullable=False, unique=True),
        sa.Column("public_der", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_private", sa.LargeBinary(), nullable=False),
        _time("valid_from"),
        _time("valid_until", nullable=True),
    )
    op.create_table(
        "cloudtrail_event_resources",
        sa.Column("seq", sa.BigInteger(), primary_key=True),
        sa.Column("resource_type", sa.String(128), primary_key=True),
        sa.Column("resource_name", sa.String(2048), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        _time("event_time"),
    )
    for index, column in (("ix_cloudtrail_event_resources_name", "resource_name"),
                          ("ix_cloudtrail_event_resources_type", "resource_type")):
        op.create_index(index, "cloudtrail_event_resources", ["account_id", "region", column, "event_time", "seq"])
    op.create_table(
        "cloudtrail_watermarks",
        sa.Column("name", sa.String(64), primary_key=True),
        _seq("seq"),
    )


def downgrade() -> None:
    op.drop_table("cloudtrail_watermarks")
    op.drop_index("ix_cloudtrail_event_resources_type", table_name="cloudtrail_event_resources")
    op.drop_index("ix_cloudtrail_event_resources_name", table_name="cloudtrail_event_resources")
    op.drop_table("cloudtrail_event_resources")
    op.drop_table("cloudtrail_signing_keys")
    op.drop_table("cloudtrail_digest_chains")
    op.drop_index("ix_cloudtrail_log_files_pending", table_name="cloudtrail_log_files")
    op.drop_table("cloudtrail_log_files")
    op.drop_table("cloudtrail_deliveries")
    op.drop_table("cloudtrail_tags")
    op.drop_table("cloudtrail_trails")
    for index in reversed(_AUDIT_INDEXES):
        op.drop_index(index, table_name="audit_events")
