"""A request's one store transaction: the state a call changes and its audit record commit together.

Every `transaction(ctx)` block a handler opens while serving one request is a savepoint inside this
transaction, and the pipeline ends it once the handler has answered: committed together with the
call's audit record when it changed anything, rolled back otherwise (and whenever the call fails).
So a change is never committed without its record, and a record never describes a change that was
rolled back.

Read-modify-write is atomic. A request of an operation that changes state (`writes`) takes SQLite's
write lock as it begins (BEGIN IMMEDIATE: one writer at a time, across threads and worker processes),
and on PostgreSQL runs SERIALIZABLE (across nodes too): there a concurrent transaction that would
make the outcome differ from some serial order aborts one of them, which the pipeline runs again from
the start (`conflicted`). Other requests begin a plain transaction (a consistent snapshot for their
reads) that may still write, e.g. bookkeeping; it is committed the same way.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from strongroom.store.db import SERIALIZABLE, Database, begin_sqlite

# PostgreSQL's serialization_failure and deadlock_detected, and SQLite's BUSY_SNAPSHOT (a transaction
# whose reads another writer has changed since may not write): the transaction lost a race and runs
# again. SQLite's plain BUSY is not one: it comes after waiting out the busy timeout for the write lock.
_POSTGRES_CONFLICTS = frozenset({"40001", "40P01"})
_SQLITE_BUSY_SNAPSHOT = 517
_SQLITE_BUSY = 5
# What psycopg says of a NUL in a text parameter.
_POSTGRES_NUL_TEXT = "cannot contain NUL (0x00) bytes"

# Where a connection in use by a request transaction names it (see `_note_conflict`).
_OWNER = "strongroom.request_transaction"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, the driver's error it wraps, and what it was raised from or during, in turn."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current.orig if isinstance(current, DBAPIError) and isinstance(current.orig, BaseException) else current
        current = current.__cause__ or current.__context__


def is_conflict(error: BaseException) -> bool:
    """Whether `error` (or an error it was raised from or during) says the transaction lost a race."""
    for cause in _causes(error):
        if isinstance(cause, sqlite3.OperationalError):
            if getattr(cause, "sqlite_errorcode", 0) == _SQLITE_BUSY_SNAPSHOT:
                return True
        elif getattr(cause, "sqlstate", None) in _POSTGRES_CONFLICTS:
            return True
    return False


def is_nul_refusal(error: BaseException) -> bool:
    """Whether `error` says PostgreSQL refused a NUL character in text (psycopg's DataError has no code
    of its own for it): bad input, not a failure of the store."""
    return any(_POSTGRES_NUL_TEXT in str(cause) for cause in _causes(error))


def is_busy(error: BaseException) -> bool:
    """Whether `error` says SQLite's write lock was not granted within the busy timeout."""
    return any(
        isinstance(cause, StoreBusy)
        or (isinstance(cause, sqlite3.OperationalError) and getattr(cause, "sqlite_errorcode", 0) == _SQLITE_BUSY)
        for cause in _causes(error)
    )


class StoreBusy(Exception):
    """The store's write lock was not granted within the busy timeout."""


class TransactionConflict(Exception):
    """The request's transaction lost a race with another one and was rolled back: run it again."""


class RequestTransaction:
    """The store transaction of one request, begun when a handler first needs the store."""

    def __init__(self, database: Database, *, writes: bool) -> None:
        self._database = database
        self.writes = writes
        self._session: Session | None = None
        self._connection: Connection | None = None
        # The connection's own info (kept by the pool with it), where this transaction names itself.
        self._info: dict[Any, Any] | None = None
        self._changes_before = 0
        self._write_turn = False  # holding this process's turn at SQLite's write lock
        self._after_commit: list[Callable[[], None]] = []
        # Set when any statement of this transaction failed because it lost a race (see `is_conflict`):
        # whatever the handler made of that error, the request is run again.
        self.conflicted = False

    @property
    def begun(self) -> bool:
        return self._session is not None

    @property
    def sqlite(self) -> bool:
        return self._database.dialect == "sqlite"

    def session(self) -> Session:
        """The transaction's session, begun on first use."""
        if self._session is None:
            self._session = self._begin()
        return self._session

    def connection(self) -> Connection:
        self.session()
        assert self._connection is not None
        return self._connection

    def _begin(self) -> Session:
        if self.sqlite and self.writes:
            if not self._database.take_write_turn():
                raise StoreBusy()
            self._write_turn = True
        session = self._database.new_session()
        try:
            if self.sqlite:
                connection = session.connection()
                begin_sqlite(connection, writes=self.writes)
                driver = connection.connection.dbapi_connection
                assert isinstance(driver, sqlite3.Connection)
                self._changes_before = driver.total_changes
            else:
                connection = session.connection(execution_options=SERIALIZABLE if self.writes else {})
            self._info = connection.info
            self._info[_OWNER] = self
        except BaseException as exc:
            if is_conflict(exc):
                self.conflicted = True
            session.close()
            self._end_write_turn()
            raise
        self._connection = connection
        return session

    def _end_write_turn(self) -> None:
        if self._write_turn:
            self._write_turn = False
            self._database.end_write_turn()

    @contextlib.contextmanager
    def block(self) -> Iterator[Session]:
        """One `transaction(ctx)` block: a savepoint, undone alone if the block raises."""
        session = self.session()
        savepoint = session.begin_nested()
        try:
            yield session
            savepoint.commit()
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise

    def changed(self) -> bool:
        """Whether the transaction wrote anything (as the database itself counts it)."""
        if self._session is None:
            return False
        connection = self.connection()
        if self.sqlite:
            driver = connection.connection.dbapi_connection
            assert isinstance(driver, sqlite3.Connection)
            return driver.total_changes != self._changes_before
        self._session.flush()
        # A transaction id is assigned at its first write (or row lock), not before.
        return connection.execute(text("SELECT txid_current_if_assigned()")).scalar() is not None

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)

    def take_actions(self) -> list[Callable[[], None]]:
        """The `after_commit` actions of a call that answered without changing anything: due now."""
        actions, self._after_commit = self._after_commit, []
        return actions

    def commit(self, write_records: Callable[[Connection], None]) -> list[Callable[[], None]]:
        """Write the call's audit records with `write_records`, then commit everything at once.

        Answers the actions to run now that the change is durable (see `after_commit`)."""
        session = self.session()
        try:
            session.flush()
            write_records(self.connection())
            if self.conflicted:  # a statement lost a race, and something carried on regardless
                raise TransactionConflict()
            session.commit()
        except BaseException as exc:
            if is_conflict(exc):
                self.conflicted = True
            self.close()
            raise
        actions, self._after_commit = self._after_commit, []
        self.close()
        return actions

    def close(self) -> None:
        """Roll back whatever was not committed, and give the connection back."""
        session, self._session = self._session, None
        info, self._info = self._info, None
        self._connection = None
        self._after_commit = []
        if info is not None:
            info.pop(_OWNER, None)
        try:
            if session is not None:
                try:
                    session.rollback()
                finally:
                    session.close()
        finally:
            self._end_write_turn()


def _note_conflict(context: ExceptionContext) -> None:
    """Mark the request transaction whose statement failed with a conflict, whatever its handler does next."""
    connection = context.connection
    if connection is None or context.original_exception is None:
        return
    owner: Any = connection.info.get(_OWNER)
    if isinstance(owner, RequestTransaction) and is_conflict(context.original_exception):
        owner.conflicted = True


def watch_conflicts(database: Database) -> None:
    """Let the request transactions on `database` know when one of their statements lost a race."""
    if not event.contains(database.engine, "handle_error", _note_conflict):
        event.listen(database.engine, "handle_error", _note_conflict)
