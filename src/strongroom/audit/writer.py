"""Durable audit writes with group commit: no answer leaves before its record is committed.

One asyncio task drains the queue: it inserts everything waiting (up to `max_batch`) in one
transaction on a worker thread, then wakes every waiter of that batch. Records that arrive while a
batch commits wait for the next one, so concurrent requests share commits without any timer.
If a batch's commit fails, every waiter of that batch gets an `AuditWriteError`: a request whose
record is not stored must fail rather than answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import DBAPIError

from strongroom.audit.record import row_for
from strongroom.store.tables import AuditEvent

log = logging.getLogger("strongroom.audit")

# Small bookkeeping writes that belong with a call's record (e.g. a KMS key's last use), run in the
# same transaction as the batch holding that record, so the request itself never writes or waits
# for the store's write lock. They must not fail on conflicts (upserts); one that fails anyway is
# logged and skipped where the database allows it.
Companion = Callable[[Connection], None]
# Where handlers leave them for the pipeline (a list in ctx.extra).
COMPANIONS = "audit.companions"


class HasEngine(Protocol):
    """What the writer needs of `strongroom.store.db.Database`."""

    @property
    def engine(self) -> Engine: ...


class AuditWriteError(RuntimeError):
    """The audit record could not be committed; the request it describes must fail."""


class AuditWriter:
    def __init__(self, database: HasEngine, *, max_batch: int = 512) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._database = database
        self._max_batch = max_batch
        self._pending: deque[tuple[dict[str, Any], Sequence[Companion], asyncio.Future[None]]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start the draining task on the running event loop (`write` also starts it on first use)."""
        if self._closing:
            raise RuntimeError("the audit writer is closed")
        if self._drainer is None or self._drainer.done():
            self._wakeup = asyncio.Event()
            self._drainer = asyncio.get_running_loop().create_task(self._drain(), name="audit-writer")

    async def write(self, record: dict[str, Any], companions: Sequence[Companion] = ()) -> None:
        """Return once `record` (and its companions) is committed; raise `AuditWriteError` if it could not be."""
        row = row_for(record)
        self.start()
        assert self._wakeup is not None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, companions, waiter))
        self._wakeup.set()
        await waiter

    def write_blocking(self, record: dict[str, Any], companions: Sequence[Companion] = ()) -> None:
        """Commit `record` in its own transaction on the calling thread (for code off the event loop)."""
        try:
            self._insert([row_for(record)], list(companions))
        except Exception as exc:
            raise AuditWriteError(f"audit record {record.get('eventID')} was not stored") from _without_parameters(exc)

    async def aclose(self) -> None:
        """Commit what is queued, then stop the draining task."""
        self._closing = True
        if self._drainer is None:
            return
        assert self._wakeup is not None
        self._wakeup.set()
        await self._drainer

    async def _drain(self) -> None:
        assert self._wakeup is not None
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._pending:
                    await self._commit_batch()
                if self._closing:
                    return
        finally:
            # Cancelled or broken: nobody may wait forever for a commit that will not come.
            while self._pending:
                _row, _companions, waiter = self._pending.popleft()
                if not waiter.done():
                    waiter.set_exception(AuditWriteError("the audit writer stopped before storing this record"))

    async def _commit_batch(self) -> None:
        count = min(len(self._pending), self._max_batch)
        batch = [self._pending.popleft() for _ in range(count)]
        try:
            rows = [row for row, _companions, _waiter in batch]
            companions = [companion for _row, companions, _waiter in batch for companion in companions]
            await asyncio.to_thread(self._insert, rows, companions)
        except BaseException as exc:
            # Also on cancellation: the batch's waiters must hear something, and failing is safe.
            for _row, _companions, waiter in batch:
                if not waiter.done():
                    error = AuditWriteError(f"a batch of {count} audit records was not stored")
                    error.__cause__ = _without_parameters(exc)
                    waiter.set_exception(error)
            if not isinstance(exc, Exception):
                raise
            return
        for _row, _companions, waiter in batch:
            if not waiter.done():  # done: its request was cancelled meanwhile
                waiter.set_result(None)

    def _insert(self, rows: list[dict[str, Any]], companions: Sequence[Companion] = ()) -> None:
        with self._database.engine.begin() as connection:
            connection.execute(insert(AuditEvent), rows)
            for companion in companions:
                try:
                    companion(connection)
                except DBAPIError as exc:
                    # SQLite undoes just the failed statement; on PostgreSQL the commit then fails and
                    # so does the batch, which is the safe way round.
                    log.error("a write accompanying an audit record failed: %s", _without_parameters(exc))


def _without_parameters(exc: BaseException) -> BaseException:
    """The driver's own error rather than SQLAlchemy's, whose text lists the batch's rows: a logged
    failure should name the problem, not repeat up to `max_batch` records."""
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, BaseException):
        return exc.orig
    return exc
