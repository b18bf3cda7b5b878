"""Durable audit writes with group commit: no answer leaves before its record is committed.

One thread drains the queue: it inserts everything waiting (up to `max_batch`) in one transaction,
then wakes every waiter of that batch with one hand-off to their event loop. Records that arrive
while a batch commits wait for the next one, so concurrent requests share commits without any timer,
and the next batch starts as soon as the previous one is durable.
If a batch's commit fails, every waiter of that batch gets an `AuditWriteError`: a request whose
record is not stored must fail rather than answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import DBAPIError

from strongroom.audit.record import lookup_username, record_text, row_for
from strongroom.store import multirow
from strongroom.store.db import SQLITE_BUSY_TIMEOUT_MS
from strongroom.store.tables import AuditEvent

log = logging.getLogger("strongroom.audit")


@dataclass(frozen=True)
class Companion:
    """A small bookkeeping write that belongs with a call's record (e.g. a KMS key's last use), run
    in the same transaction as the batch holding that record, so the request itself never writes or
    waits for the store's write lock. It must not fail on conflicts (upserts); one that fails anyway
    is logged and skipped where the database allows it.

    `row` names what it writes (table, then key). A batch runs its companions in `row` order, so that
    batches of several workers take their row locks in one order and cannot wait for each other
    (on PostgreSQL: two batches upserting the same keys in opposite orders would deadlock)."""

    row: tuple[str, ...]
    write: Callable[[Connection], None]

# Where handlers leave them for the pipeline (a list in ctx.extra).
COMPANIONS = "audit.companions"


class HasEngine(Protocol):
    """What the writer needs of `strongroom.store.db.Database`."""

    @property
    def engine(self) -> Engine: ...


class AuditWriteError(RuntimeError):
    """The audit record could not be committed; the request it describes must fail."""


# The raw insert (SQLite), its parameters made by `AuditWriter._sqlite_row`.
_SQLITE_INSERT = (
    "INSERT INTO audit_events (event_id, event_time, account_id, region, event_source, event_name, read_only,"
    " username, access_key_id, error_code, record) VALUES "
)
_SQLITE_ROW_WIDTH = 11
# SQLite: after this many records, the WAL is copied into the database file (`wal_checkpoint(PASSIVE)`)
# on a thread of its own (`_Checkpointer`), so that no answer waits for a checkpoint; SQLite's own
# automatic checkpoint would run inside a commit. About SQLite's default
# of 1,000 WAL pages, so the WAL stays a few MB and is reused rather than grown.
CHECKPOINT_EVERY = 2_000
# Under steady load the PASSIVE checkpoints never catch up with the writer, and SQLite starts the WAL
# over only once all of it is in the database file: the WAL would grow without end (hundreds of
# megabytes a minute). So after this many records (~130 MB of WAL with the resource index's writes)
# the writer itself, between two batches and holding its turn, makes it start over with a RESTART
# checkpoint: with no batch of its own (or another worker's) to wait for, that only copies what the
# last PASSIVE one left (~30 ms).
RESTART_EVERY = 10_000
RESTART_PATIENCE_MS = 200


# A row for the insert: the raw insert's parameters on SQLite, `row_for`'s column values elsewhere.
Row = tuple[Any, ...] | dict[str, Any]


@dataclass(eq=False)
class _Entry:
    row: Row
    companions: Sequence[Companion]
    waiter: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop


class AuditWriter:
    def __init__(self, database: HasEngine, *, max_batch: int = 512, take_turns: bool = True) -> None:
        """`take_turns`: other processes' audit writers commit to the same SQLite file (see `_WriterTurns`)."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._database = database
        self._max_batch = max_batch
        self._take_turns = take_turns
        self._lock = threading.Lock()
        # Lists of records handed to the writer thread (one per event loop iteration); None: close.
        self._inbox: queue.SimpleQueue[list[_Entry] | None] = queue.SimpleQueue()
        # Records of the current event loop iteration, per loop, not yet handed to the writer thread.
        self._staged: dict[asyncio.AbstractEventLoop, list[_Entry]] = {}
        self._thread: threading.Thread | None = None
        self._closing = False
        engine = database.engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._row: Callable[[dict[str, Any]], Row] = self._sqlite_row if self._sqlite else row_for
        event_time = AuditEvent.__table__.c.event_time.type.dialect_impl(engine.dialect)
        self._bind_time = event_time.bind_processor(engine.dialect)
        self._last_time = ("", "")

    def start(self) -> None:
        """Start the writer thread (`write` also starts it on first use)."""
        with self._lock:
            if self._closing:
                raise RuntimeError("the audit writer is closed")
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    async def write(self, record: dict[str, Any], companions: Sequence[Companion] = ()) -> None:
        """Return once `record` (and its companions) is committed; raise `AuditWriteError` if it could not be."""
        row = self._row(record)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        if self._closing:
            raise RuntimeError("the audit writer is closed")
        staged = self._staged.get(loop)
        if staged is None:
            # The first record of this loop iteration: hand everything staged in it to the writer
            # thread at once, so records queued together go into one batch.
            staged = self._staged[loop] = []
            loop.call_soon(self._hand_over, loop)
        staged.append(_Entry(row, companions, waiter, loop))
        await waiter

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        entries = self._staged.pop(loop, [])
        if not entries:
            return
        if self._thread is None or not self._thread.is_alive():
            try:
                self.start()
            except RuntimeError as exc:
                _wake([entry.waiter for entry in entries], str(exc), None)
                return
        self._inbox.put(entries)

    def write_blocking(self, record: dict[str, Any], companions: Sequence[Companion] = ()) -> None:
        """Commit `record` in its own transaction on the calling thread (for code off the event loop)."""
        try:
            with self._database.engine.connect() as connection:
                self._insert(connection, [self._row(record)], list(companions))
        except Exception as exc:
            raise AuditWriteError(f"audit record {record.get('eventID')} was not stored") from _without_parameters(exc)

    async def aclose(self) -> None:
        """Commit what is queued, then stop the writer thread."""
        self._hand_over(asyncio.get_running_loop())
        with self._lock:
            self._closing = True
            thread, self._thread = self._thread, None
        self._inbox.put(None)
        if thread is not None:
            await asyncio.to_thread(thread.join)

    def _run(self) -> None:
        """The writer thread: commit everything waiting (up to `max_batch`) in one transaction, wake
        that batch's waiters, repeat. Records that arrive while a batch commits form the next one."""
        pending: deque[_Entry] = deque()
        closing = False
        connection: Connection | None = None
        since_checkpoint = since_restart = 0
        turn: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
        path = self._database.engine.url.database if self._sqlite else None
        wal: _WalSync | None = None
        if path and path != ":memory:" and not path.startswith("file:"):
            wal = _WalSync(path)
            if self._take_turns:
                turn = _WriterTurns(path)
        checkpointer = _Checkpointer(self._database.engine.connect) if self._sqlite else None
        try:
            while True:
                if not pending and not closing:
                    closing = self._receive(pending, self._inbox.get())
                while True:  # everything handed over meanwhile
                    try:
                        handed = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    closing = self._receive(pending, handed) or closing
                if not pending:
                    if closing:
                        return
                    continue
                count = min(len(pending), self._max_batch)
                batch = [pending.popleft() for _ in range(count)]
                try:
                    if connection is None:
                        connection = self._connect()
                        if wal is not None:
                            wal.prepare(connection)
                    rows = [entry.row for entry in batch]
                    companions = [companion for entry in batch for companion in entry.companions]
                    with turn:
                        self._insert(connection, rows, companions)
                    if wal is not None:
                        wal.sync()  # durable from here; the write lock and the turn are free already
                except Exception as exc:
                    if connection is not None:
                        # It may be broken; the next batch takes a fresh one.
                        with contextlib.suppress(Exception):
                            connection.close()
                        connection = None
                    if wal is not None:
                        wal.close()
                    _settle(batch, f"a batch of {count} audit records was not stored", _without_parameters(exc))
                else:
                    _settle(batch)
                    since_checkpoint += count
                    since_restart += count
                    if checkpointer is not None and since_checkpoint >= CHECKPOINT_EVERY:
                        since_checkpoint = 0
                        checkpointer.request()
                    if wal is not None and since_restart >= RESTART_EVERY:
                        since_restart = 0
                        with turn:
                            _restart(connection)
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()
            if wal is not None:
                wal.close()
            if checkpointer is not None:
                checkpointer.close()
            if isinstance(turn, _WriterTurns):
                turn.close()
            # Broken or closed: nobody may wait forever for a commit that will not come.
            with contextlib.suppress(queue.Empty):
                while True:
                    self._receive(pending, self._inbox.get_nowait())
            _settle(list(pending), "the audit writer stopped before storing this record")

    @staticmethod
    def _receive(pending: deque[_Entry], handed: list[_Entry] | None) -> bool:
        """Queue what was handed over; True for the closing mark."""
        if handed is None:
            return True
        pending.extend(handed)
        return False

    def _connect(self) -> Connection:
        connection = self._database.engine.connect()
        if self._sqlite:
            # Its own from now on: the settings below must never reach a connection the pool hands out.
            connection.detach()
            # This connection's commits never checkpoint: the writer does, between batches.
            connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            connection.commit()
        return connection

    def _sqlite_row(self, record: dict[str, Any]) -> tuple[Any, ...]:
        """`row_for(record)` as the raw insert's parameters, each bound as SQLAlchemy binds its column
        on SQLite (DATETIME as its text, Boolean as 0 or 1), made without the dict and datetime."""
        identity = record.get("userIdentity") or {}
        return (
            record["eventID"],
            self._sqlite_time(record["eventTime"]),
            record["recipientAccountId"],
            record["awsRegion"],
            record["eventSource"],
            record["eventName"],
            1 if record["readOnly"] else 0,
            lookup_username(identity),
            identity.get("accessKeyId"),
            record.get("errorCode"),
            record_text(record),
        )

    def _sqlite_time(self, event_time: str) -> Any:
        """SQLAlchemy's SQLite text for the time `event_time` names (`format_time`'s "YYYY-MM-DDThh:mm:ssZ"
        is rearranged: it binds as "YYYY-MM-DD hh:mm:ss.000000"; any other form goes the long way)."""
        last = self._last_time
        if last[0] == event_time:  # records of the same second, the common case under load
            return last[1]
        if len(event_time) == 20 and event_time[10] == "T" and event_time[19] == "Z":
            text = f"{event_time[:10]} {event_time[11:19]}.000000"
            self._last_time = (event_time, text)  # one assignment: safe for write_blocking's threads
            return text
        when = datetime.fromisoformat(event_time)
        return when if self._bind_time is None else self._bind_time(when)

    def _insert(self, connection: Connection, rows: Sequence[Row], companions: Sequence[Companion] = ()) -> None:
        if self._sqlite:
            self._insert_sqlite(connection, cast(Sequence[tuple[Any, ...]], rows), companions)
            return
        with connection.begin():
            # Not SQLite: the rows are `row_for`'s dicts.
            connection.execute(insert(AuditEvent), cast(Sequence[dict[str, Any]], rows))
            _run_companions(connection, companions)

    @staticmethod
    def _insert_sqlite(
        connection: Connection, rows: Sequence[tuple[Any, ...]], companions: Sequence[Companion]
    ) -> None:
        """The rows in as few statements as SQLite allows (one, in practice; see `strongroom.store.multirow`).
        Without companions, the one statement is also its own transaction (autocommit), so insert and
        commit are a single step."""
        driver = connection.connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection)
        statements = multirow.statements(driver, _SQLITE_INSERT, _SQLITE_ROW_WIDTH, rows)
        if len(statements) == 1 and not companions:
            isolation_level = driver.isolation_level
            driver.isolation_level = None  # autocommit: the INSERT commits itself, durably
            try:
                driver.execute(*statements[0]).close()
            finally:
                driver.isolation_level = isolation_level
            return
        with connection.begin():
            for statement in statements:
                driver.execute(*statement).close()
            _run_companions(connection, companions)


def write_within(connection: Connection, records: Sequence[dict[str, Any]], companions: Sequence[Companion]) -> None:
    """Insert `records` and run `companions` in the transaction already open on `connection` (a
    request's own: see `strongroom.store.request_transaction`), which commits them with its change.
    A companion that fails is undone alone (its savepoint) and logged, as in a batch."""
    connection.execute(insert(AuditEvent), [row_for(record) for record in records])
    for companion in sorted(companions, key=_row_of):
        savepoint = connection.begin_nested()
        try:
            companion.write(connection)
        except Exception as exc:
            savepoint.rollback()
            log.error("a write accompanying an audit record failed: %s", _without_parameters(exc))
        else:
            savepoint.commit()


def _run_companions(connection: Connection, companions: Sequence[Companion]) -> None:
    for companion in sorted(companions, key=_row_of):
        try:
            companion.write(connection)
        except Exception as exc:
            # SQLite undoes just the failed statement; on PostgreSQL a failed statement makes the
            # commit fail, and so the batch, which is the safe way round. An error raised before
            # any statement ran (a bug) leaves the transaction as it was.
            log.error("a write accompanying an audit record failed: %s", _without_parameters(exc))


def _row_of(companion: Companion) -> tuple[str, ...]:
    return companion.row


def _settle(batch: Sequence[_Entry], failure: str | None = None, cause: BaseException | None = None) -> None:
    """Wake `batch`'s waiters on their event loops, one hand-off per loop; with `failure`, each gets
    an `AuditWriteError` saying so."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for entry in batch:
        by_loop.setdefault(entry.loop, []).append(entry.waiter)
    for loop, waiters in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting there
            loop.call_soon_threadsafe(_wake, waiters, failure, cause)


def _wake(waiters: list[asyncio.Future[None]], failure: str | None, cause: BaseException | None) -> None:
    for waiter in waiters:
        if waiter.done():  # its request was cancelled meanwhile
            continue
        if failure is None:
            waiter.set_result(None)
        else:
            error = AuditWriteError(failure)
            error.__cause__ = cause
            waiter.set_exception(error)


class _WalSync:
    """Makes the batch connection's commits durable after SQLite's write lock is released.

    With synchronous=FULL, SQLite syncs the WAL inside each commit, holding the database's one write
    lock until the disk answers (milliseconds), so the audit writers of two worker processes could
    only ever commit one after the other, each waiting out the other's sync. Here the batch
    connection commits with synchronous=NORMAL (the WAL is written, not synced), and the writer then
    syncs the WAL file itself before any waiter of the batch is answered: every frame of the commit
    is on stable storage by then, as with FULL, while the other worker's writer may already commit.
    The descriptor is opened after the connection's first commit and kept while that connection is
    open, which keeps SQLite from deleting the WAL (it does so only when its last connection closes).

    The sync is the one SQLite itself would use at its most careful (`platform_flush`): on macOS
    `F_FULLFSYNC`, as SQLite does with `PRAGMA fullfsync` (fsync there leaves the data in the drive's
    cache), `fdatasync` where there is one (Linux), `fsync` elsewhere."""

    def __init__(self, database_path: str) -> None:
        self._path = f"{database_path}-wal"
        self._fd: int | None = None
        self._flush = self.platform_flush()

    @staticmethod
    def platform_flush() -> Callable[[int], None]:
        if getattr(fcntl, "F_FULLFSYNC", None) is not None:
            return _full_fsync
        return getattr(os, "fdatasync", os.fsync)

    @staticmethod
    def prepare(connection: Connection) -> None:
        """The batch connection (its own, never pooled) commits without syncing."""
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        connection.commit()

    def sync(self) -> None:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        self._flush(self._fd)

    def close(self) -> None:
        """With the connection: the next connection's WAL is opened afresh."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _full_fsync(fd: int) -> None:
    """The file's data through the drive's cache (macOS); where the file system refuses it (some network
    and external ones do), fsync, as SQLite falls back."""
    try:
        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # type: ignore[attr-defined, unused-ignore]  # macOS only
    except OSError:
        os.fsync(fd)


class _WriterTurns:
    """Takes turns at SQLite's write lock with the audit writers of the server's other worker
    processes (same database file), in the kernel rather than in SQLite's busy handler, which
    polls with sleeps of up to 100 ms and lets one writer starve another.

    Two `flock`s: a writer queues on the turnstile, takes the write turn, then leaves the
    turnstile; a writer coming back for its next batch queues behind one already waiting, so busy
    workers alternate, each committing everything it gathered meanwhile.
    """

    def __init__(self, database_path: str) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
        self._turnstile = os.open(f"{database_path}-audit-turnstile", flags, 0o600)
        self._turn = os.open(f"{database_path}-audit-turn", flags, 0o600)

    def __enter__(self) -> _WriterTurns:
        fcntl.flock(self._turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._turn, fcntl.LOCK_EX)
        finally:
            fcntl.flock(self._turnstile, fcntl.LOCK_UN)
        return self

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self._turn, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._turnstile)
        os.close(self._turn)


class _Checkpointer:
    """Copies the WAL into the database file on its own thread and connection, so the writer goes on
    committing batches meanwhile: a checkpoint (pages copied, the database file synced) takes tens
    to hundreds of milliseconds, which every request in flight would otherwise wait for. PASSIVE
    checkpoints wait for no reader or writer; one asked for while another runs is merged into it.
    Closing runs a last one. (The writer itself makes the WAL start over now and then: see
    `RESTART_EVERY`.)"""

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect
        self._wanted = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="audit-checkpoint", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wanted.set()

    def close(self) -> None:
        self._closing = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        connection: Connection | None = None
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                try:
                    if connection is None:
                        connection = self._connect()
                    _checkpoint(connection, "PASSIVE")
                except Exception as exc:  # the next request tries again, on a fresh connection
                    log.warning("WAL checkpoint failed: %s", _without_parameters(exc))
                    if connection is not None:
                        with contextlib.suppress(Exception):
                            connection.close()
                    connection = None
                if self._closing:
                    return
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()


def _restart(connection: Connection) -> None:
    """A RESTART checkpoint on the batch connection, waiting at most `RESTART_PATIENCE_MS` for readers
    and writers (the batches behind it wait too): one that cannot finish then is tried again later."""
    driver = connection.connection.dbapi_connection  # not through SQLAlchemy: no transaction left begun
    assert isinstance(driver, sqlite3.Connection)
    driver.execute(f"PRAGMA busy_timeout={RESTART_PATIENCE_MS}").close()
    try:
        _checkpoint(connection, "RESTART")
    finally:
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}").close()


def _checkpoint(connection: Connection, mode: str) -> None:
    """Copy the WAL into the database file (PASSIVE: without waiting for readers or writers; RESTART:
    all of it, then the WAL starts over); a checkpoint that cannot finish now is completed by a later
    one."""
    try:
        connection.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})").fetchall()
        connection.commit()
    except DBAPIError as exc:
        log.warning("WAL checkpoint failed: %s", _without_parameters(exc))
        connection.rollback()


def _without_parameters(exc: BaseException) -> BaseException:
    """The driver's own error rather than SQLAlchemy's, whose text lists the batch's rows: a logged
    failure should name the problem, not repeat up to `max_batch` records."""
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, BaseException):
        return exc.orig
    return exc
