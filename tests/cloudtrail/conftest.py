"""A migrated store of each kind, for the CloudTrail index and lookup tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from strongroom.store.db import Database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated store of each kind."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    database = Database(request.getfixturevalue("postgres_url"))
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()
