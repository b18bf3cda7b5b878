"""Cache revisions "ssm" and "secretsmanager" (migrations 0013 and 0015): every insert, update and delete
on any table of the area moves its revision, in the same transaction, on SQLite and PostgreSQL, except
an update of nothing but a secret's or version's last access; the migrations downgrade cleanly."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Table, text

from strongroom.store.db import MIGRATIONS_DIR, Database
from strongroom.store.schema import full_metadata

AREAS = {
    "ssm": ("ssm_parameters", "ssm_parameter_versions", "ssm_parameter_labels", "ssm_parameter_tags",
            "ssm_parameter_policies"),
    "secretsmanager": ("sm_secrets", "sm_secret_versions"),
}
PLACEHOLDERS: dict[type, Any] = {
    str: "x", int: 1, bool: False, bytes: b"x", datetime: datetime(2030, 1, 1, tzinfo=UTC),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'store.db'}"
    instance = Database(url)
    instance.migrate()
    yield instance
    instance.dispose()


def _row(table: Table) -> dict[str, Any]:
    """A row of `table` made of a placeholder value of each column's type."""
    return {column.name: PLACEHOLDERS[column.type.python_type] for column in table.columns}


def _trigger_names(database: Database) -> set[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'trigger'" if database.dialect == "sqlite" else \
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    with database.engine.connect() as connection:
        return {str(name) for name, in connection.execute(text(query))}


def _alembic(database: Database, step: Callable[[Config], None]) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config)


@pytest.mark.parametrize("area", sorted(AREAS))
def test_the_revision_moves_with_every_table_of_the_area(database: Database, area: str) -> None:
    metadata = full_metadata()
    seen = [database.revision(area)]
    for name in AREAS[area]:
        table = metadata.tables[name]
        row = _row(table)
        changed = next(column.name for column in table.columns if not column.primary_key)
        for statement in (table.insert().values(row), table.update().values({changed: row[changed]}),
                          table.delete()):
            with database.engine.begin() as connection:
                connection.execute(statement)
            seen.append(database.revision(area))
    assert all(later > earlier for earlier, later in itertools.pairwise(seen)), seen


@pytest.mark.parametrize("name", AREAS["secretsmanager"])
def test_recording_an_access_leaves_the_secretsmanager_revision(database: Database, name: str) -> None:
    # The day of the last access is no part of what a cached read answers (migration 0015); every
    # other column is, and setting it moves the revision.
    table = full_metadata().tables[name]
    row = _row(table)
    with database.engine.begin() as connection:
        connection.execute(table.insert().values(row))
    before = database.revision("secretsmanager")
    with database.engine.begin() as connection:
        connection.execute(table.update().values(last_accessed_at=datetime(2030, 1, 2, tzinfo=UTC)))
    assert database.revision("secretsmanager") == before
    for column in table.columns:
        if column.name == "last_accessed_at":
            continue
        with database.engine.begin() as connection:
            connection.execute(table.update().values({column.name: row[column.name]}))
        assert database.revision("secretsmanager") > before, column.name
        before = database.revision("secretsmanager")


def test_draining_the_parameter_event_outbox_leaves_the_revision(database: Database) -> None:
    # The outbox is no state a read answers from: draining it must not empty the workers' caches.
    before = database.revision("ssm")
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO ssm_event_outbox (event_id, account_id, region, source, detail_type, resources, detail, "
            "time) VALUES ('e', '1', 'r', 's', 'd', '[]', '{}', :time)"), {"time": datetime(2030, 1, 1, tzinfo=UTC)})
        connection.execute(text("DELETE FROM ssm_event_outbox"))
    assert database.revision("ssm") == before


def test_the_migration_downgrades_and_upgrades_again(database: Database) -> None:
    area_tables = {table for tables in AREAS.values() for table in tables}
    installed = _trigger_names(database)
    assert {name for name in installed if name.rsplit("_revision", 1)[0] in area_tables}
    _alembic(database, lambda config: command.downgrade(config, "0012"))
    assert database.revision("ssm") is None and database.revision("secretsmanager") is None
    remaining = _trigger_names(database)
    assert not {name for name in remaining if name.rsplit("_revision", 1)[0] in area_tables}
    assert database.revision("kms") is not None and remaining  # the earlier areas' triggers stay
    _alembic(database, lambda config: command.upgrade(config, "head"))
    assert database.revision("ssm") == 1 and database.revision("secretsmanager") == 1
    assert _trigger_names(database) == installed
