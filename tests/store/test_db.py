"""The store's Database: SQLite settings, sessions, migrations and the schema they make."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from strongroom.store.db import MIGRATIONS_DIR, Database, DatabaseError
from strongroom.store.schema import full_metadata
from strongroom.store.tables import Account


def _schema_diff(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, full_metadata()))


def _newest_revision() -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return list(ScriptDirectory.from_config(config).get_heads())


def _head_revision(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'strongroom.db'}")
    yield database
    database.dispose()


def test_sqlite_connections_are_durable_and_strict(sqlite_db: Database) -> None:
    assert sqlite_db.dialect == "sqlite"
    with sqlite_db.engine.connect() as connection:
        def pragma(name: str) -> object:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("fullfsync") == 1  # F_FULLFSYNC on macOS
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30_000


def test_migrated_sqlite_schema_equals_the_metadata(sqlite_db: Database) -> None:
    sqlite_db.migrate()
    assert _schema_diff(sqlite_db) == []
    assert len(_newest_revision()) == 1  # one linear history of migrations
    assert _head_revision(sqlite_db) == _newest_revision()
    assert set(inspect(sqlite_db.engine).get_table_names()) == set(full_metadata().tables) | {"alembic_version"}


def test_migrating_twice_changes_nothing(sqlite_db: Database) -> None:
    sqlite_db.migrate()
    with sqlite_db.session() as session:
        session.add(Account(account_id="123456789012", created_at=datetime.now(UTC)))
    sqlite_db.migrate()
    assert _head_revision(sqlite_db) == _newest_revision()
    with sqlite_db.session() as session:
        assert session.scalars(select(Account.account_id)).all() == ["123456789012"]


def test_session_commits_on_success_and_rolls_back_on_error(sqlite_db: Database) -> None:
    sqlite_db.migrate()
    with sqlite_db.session() as session:
        session.add(Account(account_id="111111111111", created_at=datetime.now(UTC)))
    with pytest.raises(RuntimeError, match="abandon"), sqlite_db.session() as session:
        session.add(Account(account_id="222222222222", created_at=datetime.now(UTC)))
        session.flush()
        raise RuntimeError("abandon")
    with sqlite_db.session() as session:
        assert session.scalars(select(Account.account_id)).all() == ["111111111111"]


@pytest.mark.parametrize("url", ["mysql://localhost/db", "not a url"])
def test_unsupported_or_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(DatabaseError):
        Database(url)


@pytest.mark.postgres
def test_migrated_postgres_schema_equals_the_metadata(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        assert database.dialect == "postgresql"
        database.migrate()
        assert _schema_diff(database) == []
        database.migrate()
        assert _head_revision(database) == _newest_revision()
    finally:
        database.dispose()


@pytest.mark.postgres
def test_concurrent_migrations_on_postgres_take_turns(postgres_url: str) -> None:
    databases = [Database(postgres_url) for _ in range(4)]
    start = threading.Barrier(len(databases))
    failures: list[BaseException] = []

    def migrate(database: Database) -> None:
        start.wait()
        try:
            database.migrate()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=migrate, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert _head_revision(databases[0]) == _newest_revision()
        assert _schema_diff(databases[0]) == []
    finally:
        for database in databases:
            database.dispose()


def test_processes_migrating_one_sqlite_file_at_once_take_turns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'strongroom.db'}"
    script = f"from strongroom.store.db import Database\ndb = Database({url!r})\ndb.migrate()\ndb.dispose()\n"
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], errors
    database = Database(url)
    try:
        assert _head_revision(database) == _newest_revision()
        assert _schema_diff(database) == []
    finally:
        database.dispose()
