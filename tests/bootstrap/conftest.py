"""The barrier of the shared migrated SQLite store (tests/conftest.py), for the credential and bootstrap tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.barrier import Barrier, open_barrier
from strongroom.store.db import Database


@pytest.fixture
def barrier(database: Database, data_dir: Path) -> Barrier:
    return open_barrier(database, data_dir, environ={})
