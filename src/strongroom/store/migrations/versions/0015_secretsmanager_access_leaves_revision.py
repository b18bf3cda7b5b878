"""Cache revision "secretsmanager": recording a secret's last access no longer moves it.

GetSecretValue records the day a secret and the version it read were last retrieved
(`last_accessed_at`, answered as LastAccessedDate). Nothing a cached read answers depends on it, yet
the first read of each secret each day moved the revision and so emptied every worker's cache of
every secret. The update triggers of both tables now fire only for statements that set some other
column (SQLite's and PostgreSQL's `UPDATE OF`); inserts and deletes fire as before. The live tests
check that setting any other column still moves the revision.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None

# Every column of each table but last_accessed_at, as of this migration.
COLUMNS = {
    "sm_secrets": (
        "account_id", "region", "name", "arn", "description", "kms_key_id", "secret_type", "tags", "policy",
        "created_at", "last_changed_at", "deleted_at", "destroy_at", "rotation_enabled", "rotation_lambda_arn",
        "rotation_rules", "last_rotated_at", "next_rotation_at", "rotation_token", "rotation_run_at",
        "primary_region", "replica_kms_key_id", "replication_status", "replication_message",
    ),
    "sm_secret_versions": (
        "secret_arn", "version_id", "stages", "value_kind", "kms_key_arn", "sealed_value", "created_at",
    ),
}
BUMP = "UPDATE cache_revisions SET value = value + 1 WHERE name = 'secretsmanager'"


def _recreate(*, every_update: bool) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, columns in COLUMNS.items():
        update = "UPDATE" if every_update else f"UPDATE OF {', '.join(columns)}"
        if postgresql:
            # BEFORE the statement, as migration 0013 explains.
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_revision BEFORE INSERT OR {update} OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION strongroom_bump_secretsmanager_revision()"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_update")
            op.execute(f"CREATE TRIGGER {table}_revision_update AFTER {update} ON {table} BEGIN {BUMP}; END")


def upgrade() -> None:
    _recreate(every_update=False)


def downgrade() -> None:
    _recreate(every_update=True)
