"""Shared fixtures: fresh PostgreSQL databases on the server named by STRONGROOM_TEST_POSTGRES_URL, and a
migrated SQLite store; the `live` marker on the tests that start servers."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from strongroom.store.db import Database

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LIVE_TESTS = Path(__file__).resolve().parent / "live"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `live` every test that starts a server: those under tests/live, and those of any module
    holding the live tests' `Server` (or a class made from it). `-m "not live"` leaves the unit tests."""
    from tests.live.conftest import Server

    for item in items:
        module = getattr(item, "module", None)
        starts_servers = module is not None and any(
            isinstance(value, type) and issubclass(value, Server) for value in vars(module).values()
        )
        if starts_servers or LIVE_TESTS in item.path.parents:
            item.add_marker(pytest.mark.live)


class PostgresDatabases:
    """Creates fresh, empty databases (named strongroom_test_<random>) and drops them again."""

    def __init__(self, admin_url: URL, admin: Engine) -> None:
        self._admin_url = admin_url
        self._admin = admin
        self._created: set[str] = set()

    def create(self) -> str:
        name = f"strongroom_test_{secrets.token_hex(6)}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self._created.add(name)
        return self._admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        if name in self._created:
            self._created.discard(name)
            with self._admin.connect() as connection:
                # FORCE ends connections that a test's server or pool may still hold.
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> None:
        for name in sorted(self._created):
            self.drop(self._admin_url.set(database=name).render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """The PostgreSQL server for tests; skips (or, under CI, fails) when it cannot be reached."""
    admin_url = make_url(os.environ.get("STRONGROOM_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        admin.dispose()
        reason = f"PostgreSQL at {admin_url.render_as_string()} is unreachable ({type(exc).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(f"{reason}; set STRONGROOM_TEST_POSTGRES_URL to run the PostgreSQL tests")
    databases = PostgresDatabases(admin_url, admin)
    yield databases
    databases.drop_all()
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this one test, dropped after it."""
    url = postgres_databases.create()
    yield url
    postgres_databases.drop(url)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir as the server makes it (mode 0700)."""
    path = tmp_path / "data"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def database(data_dir: Path) -> Iterator[Database]:
    """A migrated SQLite store in `data_dir`, where the server keeps it (the tests of one area may
    define their own `database` instead)."""
    database = Database(f"sqlite:///{data_dir / 'strongroom.db'}")
    database.migrate()
    yield database
    database.dispose()
