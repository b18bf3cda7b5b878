"""The store's connection to its database: SQLite (one node) or PostgreSQL (one or many nodes).

`Database` owns the SQLAlchemy engine, hands out transactional sessions and migrates the schema with
the Alembic migrations packaged next to this module (no alembic.ini is needed at run time).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Key of the PostgreSQL advisory lock held while migrating, so that nodes starting together on one
# database take turns (any fixed 64-bit number that no other part of Strongroom uses).
MIGRATION_LOCK_KEY = 0x5354_524F_4E47_0001

# Pooled SQLite connections: enough for the request threads, the audit writer and background tasks,
# so that none is opened, configured and closed per use under load (SQLAlchemy's default is 5).
SQLITE_POOL_SIZE = 16

# How long a SQLite connection waits for another writer before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# The isolation of PostgreSQL transactions that read, then write what they read (see `Database.session`).
SERIALIZABLE = {"isolation_level": "SERIALIZABLE"}

# Alembic keeps the running migration's context in module globals: one migration per process at a time.
_ALEMBIC_LOCK = threading.Lock()


class DatabaseError(Exception):
    """The store cannot be used as configured (bad URL, unsupported database, failed migration)."""


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed audit record survives a power loss, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        # macOS: its syncs (commits and checkpoints) through the drive's cache (F_FULLFSYNC), as the
        # audit writer's own; a plain fsync there is not durable. Nothing changes elsewhere.
        cursor.execute("PRAGMA fullfsync=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def begin_sqlite(connection: Connection, *, writes: bool) -> None:
    """Begin the SQLite transaction of `connection` explicitly: pysqlite would begin one only at the
    first write, leaving the reads before it each in a snapshot of their own (so a read-modify-write
    could overwrite another writer's change) and making a savepoint's release a commit."""
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _keep_private(path: str) -> None:
    """The SQLite file, its WAL and its shared-memory file readable by the owner only: the file is made
    0600 before SQLite opens it (SQLite gives the WAL and -shm files the database file's mode), and
    files an earlier version left wider are narrowed."""
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # a missing folder: SQLite's error says so
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o077:
                os.chmod(name, mode & 0o700)


class Database:
    """One database, by SQLAlchemy URL: `sqlite:///<path>` or `postgresql+psycopg://user@host/db`."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise DatabaseError("the database URL is not a valid SQLAlchemy URL") from exc
        dialect = parsed.get_backend_name()
        if dialect not in SUPPORTED_DIALECTS:
            raise DatabaseError(f"unsupported database {dialect!r}: use sqlite or postgresql")
        self._dialect = dialect
        self._sqlite_path: str | None = None
        if dialect == "sqlite":
            in_memory = parsed.database in (None, "", ":memory:")
            pool: dict[str, Any] = {}
            if not in_memory:
                pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_SIZE}
            if not in_memory and parsed.database:
                _keep_private(parsed.database)
            self._engine = create_engine(
                parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool
            )
            event.listen(self._engine, "connect", _set_sqlite_pragmas)
            self._sqlite_path = parsed.database
        else:
            self._engine = create_engine(
                parsed,
                pool_size=10,
                max_overflow=20,
                pool_timeout=30,
                # Connections dropped by a restarted server or a proxy are replaced, not handed out.
                pool_pre_ping=True,
                pool_recycle=1800,
            )
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        # Per-thread autocommit connections for `revision` (SQLite only): one tiny read per request.
        self._revision_readers = threading.local()
        self._revision_connections: list[sqlite3.Connection] = []
        self._revision_lock = threading.Lock()
        # SQLite: this process's writers queue here for the store's one write lock (see `write_turn`),
        # instead of polling for it in SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._write_turn = threading.Lock()
        # The newest read of every revision: (when it began, by time.monotonic(), the values).
        self._last_revisions: tuple[float, dict[str, int]] = (float("-inf"), {})

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._dialect

    @property
    def engine(self) -> Engine:
        return self._engine

    def take_write_turn(self) -> bool:
        """SQLite: wait (at most the busy timeout) until no other writer of this process holds the
        write lock; False if the wait timed out. Release with `end_write_turn`."""
        return self._write_turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def end_write_turn(self) -> None:
        self._write_turn.release()

    def new_session(self) -> Session:
        """A session of its own, for a caller that ends its transaction itself (see `RequestTransaction`)."""
        return self._sessions()

    @contextlib.contextmanager
    def session(self, *, writes: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends normally, rolled back on error.

        On SQLite the transaction is begun at once (see `begin_sqlite`), so what the block reads and
        what it writes belong to one snapshot: a write based on a read that another writer has
        changed meanwhile fails (SQLite's busy) instead of overwriting it.

        `writes`, for a read-modify-write: on SQLite the write lock is taken at once (one writer at a
        time, waiting up to the busy timeout); on PostgreSQL the transaction is SERIALIZABLE, so a
        race with another serializable writer fails one of them rather than mixing their changes."""
        session = self._sessions()
        try:
            if self._dialect == "sqlite":
                begin_sqlite(session.connection(), writes=writes)
            elif writes:
                session.connection(execution_options=SERIALIZABLE)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def revision(self, name: str) -> int | None:
        """The current value of cache revision `name` (see `CacheRevision`); None when it is missing,
        in which case nothing of that area may be cached."""
        return self.revisions().get(name)

    def revisions(self, *, read_after: float | None = None) -> dict[str, int]:
        """Every cache revision's current value, in one read.

        With `read_after` (a `time.monotonic()` value), a read begun after that moment by any
        thread of this process may be reused: it saw every change committed before then. A request
        passes the moment its bytes were received, so that the requests received together share one
        read without any of them missing a change that was committed before it was sent.
        """
        if read_after is not None:
            begun, values = self._last_revisions
            if begun > read_after:
                return values
        begun = time.monotonic()
        values = self._read_revisions()
        if read_after is not None and begun > self._last_revisions[0]:
            self._last_revisions = (begun, values)  # one assignment: threads see old or new, whole
        return values

    def _read_revisions(self) -> dict[str, int]:
        if self._dialect == "sqlite" and self._sqlite_path not in (None, "", ":memory:"):
            connection = getattr(self._revision_readers, "connection", None)
            if connection is None:
                connection = self._open_revision_reader(self._sqlite_path)
            rows = connection.execute("SELECT name, value FROM cache_revisions").fetchall()
        else:
            with self._engine.connect() as sa_connection:
                rows = list(sa_connection.execute(text("SELECT name, value FROM cache_revisions")))
        return {str(name): int(value) for name, value in rows}

    def _open_revision_reader(self, path: str) -> sqlite3.Connection:
        # Autocommit: each read is its own snapshot, and no read transaction stays open between requests.
        connection = sqlite3.connect(
            path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        with self._revision_lock:
            self._revision_connections.append(connection)
        self._revision_readers.connection = connection
        return connection

    def migrate(self) -> None:
        """Bring the schema to the newest migration; safe when several nodes start at once."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with _ALEMBIC_LOCK, self._engine.begin() as connection:
                # Both databases' DDL is transactional: a node that waits here for another one's
                # migration then finds the schema at head and has nothing to do.
                if self._dialect == "postgresql":
                    # Held until this transaction ends.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                else:
                    # Take SQLite's write lock now, not at the first write (waits up to busy_timeout).
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise DatabaseError(f"migrating the {self._dialect} database failed: {type(exc).__name__}") from exc

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or in a child process after fork)."""
        self._engine.dispose()
        with self._revision_lock:
            connections, self._revision_connections = self._revision_connections, []
            self._revision_readers = threading.local()
        for connection in connections:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
