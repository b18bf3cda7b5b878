"""RequestTransaction: one transaction per request, blocks as savepoints, writers one at a time on
SQLite and serializable on PostgreSQL, races reported as conflicts, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from strongroom.store.db import Database
from strongroom.store.request_transaction import RequestTransaction, is_busy, is_conflict, watch_conflicts
from strongroom.store.tables import Account, ServerState

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'strongroom.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    database.migrate()
    watch_conflicts(database)
    yield database
    database.dispose()


def _accounts(database: Database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(Account.account_id)))


def test_nothing_is_visible_or_kept_until_commit(store: Database) -> None:
    unit = RequestTransaction(store, writes=True)
    with unit.block() as session:
        session.add(Account(account_id="111111111111", created_at=NOW))
    with unit.block() as session:
        session.add(Account(account_id="222222222222", created_at=NOW))
    assert unit.changed()
    assert _accounts(store) == set()  # other connections see nothing yet
    written: list[str] = []
    unit.commit(lambda connection: written.append("records"))
    assert written == ["records"]
    assert _accounts(store) == {"111111111111", "222222222222"}


def test_a_failed_block_is_undone_alone(store: Database) -> None:
    unit = RequestTransaction(store, writes=True)
    with unit.block() as session:
        session.add(Account(account_id="111111111111", created_at=NOW))
    with pytest.raises(RuntimeError), unit.block() as session:
        session.add(Account(account_id="222222222222", created_at=NOW))
        session.flush()
        raise RuntimeError("the handler gave up on this part")
    unit.commit(lambda connection: None)
    assert _accounts(store) == {"111111111111"}


def test_close_without_commit_keeps_nothing_and_runs_nothing(store: Database) -> None:
    unit = RequestTransaction(store, writes=True)
    ran: list[str] = []
    unit.after_commit(lambda: ran.append("after"))
    with unit.block() as session:
        session.add(Account(account_id="111111111111", created_at=NOW))
    unit.close()
    assert _accounts(store) == set()
    assert ran == []
    assert unit.take_actions() == []


def test_actions_run_only_after_a_commit(store: Database) -> None:
    unit = RequestTransaction(store, writes=True)
    ran: list[str] = []
    unit.after_commit(lambda: ran.append("after"))
    with unit.block() as session:
        session.add(Account(account_id="111111111111", created_at=NOW))
    actions = unit.commit(lambda connection: None)
    assert ran == []
    for action in actions:
        action()
    assert ran == ["after"]


def test_reads_alone_change_nothing(store: Database) -> None:
    unit = RequestTransaction(store, writes=False)
    assert not unit.changed()  # not even begun
    with unit.block() as session:
        session.scalars(select(Account)).all()
    assert unit.begun
    assert not unit.changed()
    unit.close()


def test_a_reading_transaction_that_writes_says_so(store: Database) -> None:
    unit = RequestTransaction(store, writes=False)
    with unit.block() as session:
        session.add(ServerState(name="bookkeeping", value="1"))
    assert unit.changed()
    unit.commit(lambda connection: None)
    with store.session() as session:
        assert session.get(ServerState, "bookkeeping") is not None


def _read_then_write(unit: RequestTransaction, entered: threading.Event, go_on: threading.Event) -> None:
    with unit.block() as session:
        row = session.get(ServerState, "counter")
        assert row is not None
        value = int(row.value)
        entered.set()
        go_on.wait(5)
        row.value = str(value + 1)
    unit.commit(lambda connection: None)


def test_two_read_modify_writes_never_lose_an_update(store: Database) -> None:
    """Two requests read a counter and write it plus one, overlapping: either the second waits for the
    first (SQLite's write lock) or one of them fails as a conflict (PostgreSQL), never both succeed
    having read the same value."""
    with store.session() as session:
        session.add(ServerState(name="counter", value="0"))
    first, second = RequestTransaction(store, writes=True), RequestTransaction(store, writes=True)
    entered, go_on = threading.Event(), threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def run_first() -> None:
        try:
            _read_then_write(first, entered, go_on)
            outcome["first"] = None
        except BaseException as exc:
            outcome["first"] = exc

    thread = threading.Thread(target=run_first)
    thread.start()
    assert entered.wait(5)
    # The first holds what it read; the second now reads and writes the same row.
    second_entered = threading.Event()
    releaser = threading.Timer(0.3, go_on.set)  # let the first go on while the second waits or runs
    releaser.start()
    try:
        _read_then_write(second, second_entered, threading.Event())
        outcome["second"] = None
    except BaseException as exc:
        outcome["second"] = exc
    finally:
        thread.join(10)
        releaser.join()
    with store.session() as session:
        row = session.get(ServerState, "counter")
        assert row is not None
        final = int(row.value)
    failures = [exc for exc in outcome.values() if exc is not None]
    if store.dialect == "sqlite":
        assert failures == []
        assert final == 2  # the second waited for the first's write lock, then read 1
    else:
        assert len(failures) == 1 and is_conflict(failures[0])
        assert first.conflicted or second.conflicted
        assert final == 1


def test_sqlite_conflicts_and_busy_are_told_apart(tmp_path: Path) -> None:
    """A stale snapshot that tries to write is a conflict (run again); a write lock not granted within
    the busy timeout is not (running again would only wait again)."""
    database = Database(f"sqlite:///{tmp_path / 'strongroom.db'}")
    database.migrate()
    try:
        with database.session() as session:
            session.add(ServerState(name="seen", value="0"))
        with database.engine.connect() as stale, database.engine.connect() as writer:
            stale.exec_driver_sql("BEGIN")
            stale.execute(text("SELECT value FROM server_state")).all()
            writer.exec_driver_sql("BEGIN IMMEDIATE")
            writer.execute(text("UPDATE server_state SET value = '1'"))
            writer.commit()
            with pytest.raises(OperationalError) as raised:
                stale.execute(text("UPDATE server_state SET value = '2'"))
            assert is_conflict(raised.value) and not is_busy(raised.value)
            stale.rollback()

            writer.exec_driver_sql("BEGIN IMMEDIATE")
            stale.exec_driver_sql("PRAGMA busy_timeout=50")
            with pytest.raises(OperationalError) as raised:
                stale.exec_driver_sql("BEGIN IMMEDIATE")
            assert is_busy(raised.value) and not is_conflict(raised.value)
            writer.rollback()
    finally:
        database.dispose()


def test_sessions_read_in_one_snapshot(store: Database) -> None:
    """A plain session's reads all see the store as of its first read, on SQLite too (pysqlite alone
    would run each read outside any transaction until the first write)."""
    with store.session() as session:
        session.add(ServerState(name="seen", value="before"))
    with store.session() as session:
        first = session.scalar(select(ServerState.value).where(ServerState.name == "seen"))
        with store.session(writes=True) as other:
            row = other.get(ServerState, "seen")
            assert row is not None
            row.value = "after"
        again = session.scalar(select(ServerState.value).where(ServerState.name == "seen").execution_options(
            populate_existing=True))
        if store.dialect == "sqlite":
            assert (first, again) == ("before", "before")
        else:
            # PostgreSQL's default (read committed) sees each statement's own snapshot.
            assert first == "before"
    with store.session() as session:
        assert session.scalar(text("SELECT value FROM server_state WHERE name = 'seen'")) == "after"
