"""Cache revision "kms" on PostgreSQL: the triggers fire before each statement instead of after.

A transaction then takes the revision's row lock before any row lock on the KMS tables, so two
writers of KMS state cannot each hold a row the other needs (as 0012 and 0013 do for their areas).
SQLite has one writer at a time and keeps its triggers.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

TABLES = ("kms_keys", "kms_key_materials", "kms_aliases", "kms_tags")


def _recreate(when: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_revision {when} INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION strongroom_bump_kms_revision()"
        )


def upgrade() -> None:
    _recreate("BEFORE")


def downgrade() -> None:
    _recreate("AFTER")
