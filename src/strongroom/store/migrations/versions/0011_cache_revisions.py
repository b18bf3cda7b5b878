"""Cache revisions: a counter per cached area, bumped by triggers on that area's tables.

"kms" moves with every insert, update and delete on KMS keys, their material, aliases and tags,
so a worker's cache of them (services/kms/key_cache.py) is invalidated in every worker and node by
the same transaction that changes them, whatever code path or tool made the change.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

AREAS = {"kms": ("kms_keys", "kms_key_materials", "kms_aliases", "kms_tags")}


def upgrade() -> None:
    op.create_table(
        "cache_revisions",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for area, tables in AREAS.items():
        op.execute(sa.text("INSERT INTO cache_revisions (name, value) VALUES (:name, 1)").bindparams(name=area))
        # `area` is one of this module's constants, never input.
        bump = f"UPDATE cache_revisions SET value = value + 1 WHERE name = '{area}'"  # noqa: S608
        if dialect == "postgresql":
            op.execute(
                f"CREATE FUNCTION strongroom_bump_{area}_revision() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {bump}; RETURN NULL; END $$"
            )
        for table in tables:
            if dialect == "postgresql":
                op.execute(
                    f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION strongroom_bump_{area}_revision()"
                )
                continue
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {bump}; END"
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
    op.drop_table("cache_revisions")
