"""Cache revision "iam": bumped by triggers on every table that decides a caller's identity policies.

Users, groups and memberships, roles, inline and managed policies, their versions and attachments,
and tags (aws:PrincipalTag): a worker's cache of what applies to a caller (auth/authorize.py) is
invalidated in every worker and node by the same transaction that changes any of them.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

AREA = "iam"
TABLES = (
    "iam_users", "iam_groups", "iam_group_members", "iam_roles", "iam_inline_policies", "iam_managed_policies",
    "iam_policy_versions", "iam_policy_attachments", "iam_tags",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(sa.text("INSERT INTO cache_revisions (name, value) VALUES (:name, 1)").bindparams(name=AREA))
    bump = f"UPDATE cache_revisions SET value = value + 1 WHERE name = '{AREA}'"  # noqa: S608 (a constant)
    if dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION strongroom_bump_{AREA}_revision() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {bump}; RETURN NULL; END $$"
        )
    for table in TABLES:
        if dialect == "postgresql":
            # BEFORE the statement: a transaction takes the revision's row lock before any row lock on
            # the area's tables, so two writers of IAM never wait for each other crosswise.
            op.execute(
                f"CREATE TRIGGER {table}_revision BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION strongroom_bump_{AREA}_revision()"
            )
            continue
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table} BEGIN {bump}; END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_revision_{event}")
    if dialect == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS strongroom_bump_{AREA}_revision()")
    op.execute(sa.text("DELETE FROM cache_revisions WHERE name = :name").bindparams(name=AREA))
