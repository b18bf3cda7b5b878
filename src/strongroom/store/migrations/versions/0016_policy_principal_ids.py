"""Resource policies name IAM users and roles by unique id: each table that keeps a resource policy keeps,
beside it, the unique id each user and role ARN in its Principal was bound to when it was saved
(`strongroom.auth.policy.binding`): role trust policies, KMS key policies, Secrets Manager resource
policies and EventBridge bus policies.

Policies saved before this migration are bound here to the users and roles that have their ARNs now;
an ARN that names no existing principal stays unbound and matches nobody, as the ARN of a deleted
principal would. Secrets Manager's update trigger, which fires only for the columns a cached read
depends on (migration 0015), gains the new column.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from strongroom.auth.policy.binding import named_principals, stored_bindings

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None

# (table, policy column, bindings column, primary key columns)
POLICIES = (
    ("iam_roles", "trust_policy", "trust_policy_principals", ("role_id",)),
    ("kms_keys", "policy", "policy_principals", ("account_id", "region", "key_id")),
    ("sm_secrets", "policy", "policy_principals", ("account_id", "region", "name")),
    ("events_buses", "policy", "policy_principals", ("account_id", "region", "name")),
)
# Every column of sm_secrets but last_accessed_at, as of migration 0015.
SM_COLUMNS = (
    "account_id", "region", "name", "arn", "description", "kms_key_id", "secret_type", "tags", "policy",
    "created_at", "last_changed_at", "deleted_at", "destroy_at", "rotation_enabled", "rotation_lambda_arn",
    "rotation_rules", "last_rotated_at", "next_rotation_at", "rotation_token", "rotation_run_at",
    "primary_region", "replica_kms_key_id", "replication_status", "replication_message",
)
SM_BUMP = "UPDATE cache_revisions SET value = value + 1 WHERE name = 'secretsmanager'"


def _sm_update_trigger(columns: tuple[str, ...]) -> None:
    update = f"UPDATE OF {', '.join(columns)}"
    if op.get_bind().dialect.name == "postgresql":
        # BEFORE the statement, as migration 0013 explains.
        op.execute("DROP TRIGGER IF EXISTS sm_secrets_revision ON sm_secrets")
        op.execute(
            f"CREATE TRIGGER sm_secrets_revision BEFORE INSERT OR {update} OR DELETE ON sm_secrets "
            "FOR EACH STATEMENT EXECUTE FUNCTION strongroom_bump_secretsmanager_revision()"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS sm_secrets_revision_update")
        op.execute(f"CREATE TRIGGER sm_secrets_revision_update AFTER {update} ON sm_secrets BEGIN {SM_BUMP}; END")


def _principal_ids(connection: sa.Connection) -> dict[str, str]:
    """The ARN of every user and role of the installation, and its unique id."""
    ids: dict[str, str] = {}
    for kind, table, id_column, name_column in (("user", "iam_users", "user_id", "user_name"),
                                                ("role", "iam_roles", "role_id", "role_name")):
        rows = connection.execute(sa.text(f"SELECT {id_column}, account_id, path, {name_column} FROM {table}"))  # noqa: S608
        for unique_id, account_id, path, name in rows:
            ids[f"arn:aws:iam::{account_id}:{kind}{path}{name}"] = unique_id
    return ids


def _bind_saved_policies(connection: sa.Connection) -> None:
    ids = _principal_ids(connection)
    for table, policy, bindings, keys in POLICIES:
        rows = connection.execute(
            sa.text(f"SELECT {policy}, {', '.join(keys)} FROM {table} WHERE {policy} IS NOT NULL")  # noqa: S608
        ).all()
        where = " AND ".join(f"{key} = :{key}" for key in keys)
        update = sa.text(f"UPDATE {table} SET {bindings} = :bindings WHERE {where}")  # noqa: S608
        for text, *key_values in rows:
            try:
                named = named_principals(text)
            except ValueError:  # not JSON: a document no evaluation accepts either
                continue
            stored = stored_bindings({arn: ids[arn] for arn, _kind in named if arn in ids})
            if stored is not None:
                connection.execute(update, {"bindings": stored, **dict(zip(keys, key_values, strict=True))})


def upgrade() -> None:
    for table, _policy, bindings, _keys in POLICIES:
        op.add_column(table, sa.Column(bindings, sa.Text(), nullable=True))
    _sm_update_trigger((*SM_COLUMNS, "policy_principals"))
    _bind_saved_policies(op.get_bind())


def downgrade() -> None:
    _sm_update_trigger(SM_COLUMNS)
    for table, _policy, bindings, _keys in POLICIES:
        op.drop_column(table, bindings)
