"""Migration 0002 creates exactly the IAM tables the plugin maps (columns, types, keys and indexes)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from strongroom.services.iam import tables
from strongroom.store.db import Database

IAM_TABLES = {
    "iam_users", "iam_groups", "iam_group_members", "iam_roles", "iam_inline_policies",
    "iam_managed_policies", "iam_policy_versions", "iam_policy_attachments", "iam_tags",
}


def test_migrated_iam_schema_equals_the_iam_tables(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'iam.db'}")
    database.migrate()
    iam_only = MetaData()
    for table in tables.Base.metadata.sorted_tables:
        if table.name.startswith("iam_"):
            table.to_metadata(iam_only)
    assert set(iam_only.tables) == IAM_TABLES
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            difference for difference in compare_metadata(context, iam_only)
            # Other services' tables are not this test's concern.
            if not (difference[0] == "remove_table" and not difference[1].name.startswith("iam_"))
            and not (difference[0] == "remove_index" and not difference[1].table.name.startswith("iam_"))
        ]
    database.dispose()
    assert differences == []
