"""Requests share a read of the cache revisions only when it began after they were received."""

from __future__ import annotations

import time

from sqlalchemy import text

from strongroom.store.db import Database


def _bump(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE cache_revisions SET value = value + 1 WHERE name = 'kms'"))


def test_a_request_that_arrived_before_a_read_shares_it(database: Database) -> None:
    arrived = time.monotonic()
    first = database.revisions(read_after=arrived)
    _bump(database)  # committed after the shared read began: not a change this request was sent after
    assert database.revisions(read_after=arrived) == first


def test_a_request_sent_after_a_change_sees_it(database: Database) -> None:
    before = database.revisions(read_after=time.monotonic())
    _bump(database)
    arrived = time.monotonic()
    assert database.revisions(read_after=arrived)["kms"] == before["kms"] + 1


def test_without_an_arrival_every_read_is_fresh(database: Database) -> None:
    before = database.revisions()
    _bump(database)
    assert database.revisions()["kms"] == before["kms"] + 1
