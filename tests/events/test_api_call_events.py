"""The "AWS API Call via CloudTrail" hook: learning that a bus has no rules never waits for the store's write lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from strongroom.services.events.emit import on_api_call
from strongroom.services.events.plugin import DEFAULT_BUS
from strongroom.services.events.routing import rule_cache
from strongroom.store.db import Database

ACCOUNT, REGION = "111122223333", "eu-west-1"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    store = Database(f"sqlite:///{tmp_path / 'strongroom.db'}")
    store.migrate()
    yield store
    store.dispose()


def test_no_rules_is_learned_while_another_writer_holds_the_lock(database: Database, tmp_path: Path) -> None:
    rule_cache.forget(ACCOUNT, REGION, DEFAULT_BUS)
    writer = sqlite3.connect(tmp_path / "strongroom.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # SQLite's one write lock, held (the audit writer commits under it)
    record = {"recipientAccountId": ACCOUNT, "awsRegion": REGION, "eventSource": "kms.amazonaws.com",
              "eventTime": "2026-12-07T12:00:00Z", "eventName": "Encrypt", "readOnly": True, "requestID": "r"}
    done = threading.Event()

    def look_up() -> None:
        on_api_call(SimpleNamespace(database=database), record)  # type: ignore[arg-type]
        done.set()

    thread = threading.Thread(target=look_up)
    try:
        thread.start()
        # Without a rule there is nothing to route: the look-up is a read, which the lock does not stop
        # (the busy timeout a write would wait out is 30 s).
        assert done.wait(5)
        assert rule_cache.known(ACCOUNT, REGION, DEFAULT_BUS) is False
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        thread.join()
