"""A migrated SQLite store and its barrier, for the credential and bootstrap tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.barrier import Barrier, open_barrier
from strongroom.store.db import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def database(data_dir: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{data_dir / 'strongroom.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def barrier(database: Database, data_dir: Path) -> Barrier:
    return open_barrier(database, data_dir, environ={})
