"""A migrated SQLite store for the barrier's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.store.db import Database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'strongroom.db'}")
    database.migrate()
    yield database
    database.dispose()
