"""Cache revisions "ssm" and "secretsmanager": bumped by triggers on every table of Parameter Store's
and Secrets Manager's state.

A worker's cache of what GetParameter and GetSecretValue read (services/ssm/read_cache.py,
services/secretsmanager/read_cache.py) is invalidated in every worker and node by the same
transaction that changes a parameter, version, label, tag or policy, or a secret or version,
whatever code path or tool made it. Parameter Store's event outbox is left out: it is no state any
read answers from, and draining it would empty the caches after every write.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

AREAS = {
    "ssm": ("ssm_parameters", "ssm_parameter_versions", "ssm_parameter_labels", "ssm_parameter_tags",
            "ssm_parameter_policies"),
    "secretsmanager": ("sm_secrets", "sm_secret_versions"),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for area, tables in AREAS.items():
        op.execute(sa.text("INSERT INTO cache_revisions (name, value) VALUES (:name, 1)").bindparams(name=area))
        bump = f"UPDATE cache_revisions SET value = value + 1 WHERE name = '{area}'"  # noqa: S608 (a constant)
        if dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION strongroom_bump_{area}_revision() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {bump}; RETURN NULL; END $$"
            )
        for table in tables:
            if dialect == "postgresql":
                # BEFORE the statement: a transaction takes the revision's row lock before any row lock
                # on the area's tables, so two writers of the area never wait for each other crosswise.
                op.execute(
                    f"CREATE TRIGGER {table}_revision BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION strongroom_bump_{area}_revision()"
                )
                continue
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table} BEGIN {bump}; END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for area, tables in AREAS.items():
        for table in tables:
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
            else:
                for event in ("insert", "update", "delete"):
                    op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS strongroom_bump_{area}_revision()")
        op.execute(sa.text("DELETE FROM cache_revisions WHERE name = :name").bindparams(name=area))
