"""The group-commit audit writer against a real SQLite database (WAL, synchronous=FULL)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, create_engine, event, func, insert, select

from strongroom.audit import writer as writer_module
from strongroom.audit.record import row_for
from strongroom.audit.writer import AuditWriteError, AuditWriter, Companion
from strongroom.store.tables import AuditEvent, Base


@dataclass
class ObservedDatabase:
    """Just the `engine` the writer uses (a SQLite file with the server's durability settings, or
    PostgreSQL), and the commits observed on it."""

    engine: Engine
    commits: list[int]
    statements: list[str] = field(default_factory=list)  # SQLite: every statement run, in order


@pytest.fixture
def database(tmp_path: Path) -> Iterator[ObservedDatabase]:
    engine = create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    commits: list[int] = []
    statements: list[str] = []

    @event.listens_for(engine, "connect")
    def durable(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

        # Commits as SQLite sees them: an explicit COMMIT, or a write run outside any transaction,
        # which commits by itself (the writer's one-statement batches).
        def observe(statement: str) -> None:
            statements.append(statement)
            if statement == "COMMIT" or (statement.startswith("INSERT") and not dbapi_connection.in_transaction):
                commits.append(1)

        dbapi_connection.set_trace_callback(observe)

    Base.metadata.create_all(engine)
    commits.clear()
    yield ObservedDatabase(engine, commits, statements)
    engine.dispose()


def make_record(number: int, *, event_id: str | None = None, error_code: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::111122223333:user/Alice",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLE",
            "userName": "Alice",
        },
        "eventTime": f"2025-05-20T20:{number // 60 % 60:02d}:{number % 60:02d}Z",
        "eventSource": "kms.amazonaws.com",
        "eventName": "Encrypt",
        "awsRegion": "us-west-2",
        "requestParameters": {"keyId": f"alias/k{number}"},
        "responseElements": None,
        "requestID": f"req-{number}",
        "eventID": event_id or f"00000000-0000-4000-8000-{number:012d}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }
    if error_code is not None:
        record["errorCode"] = error_code
    return record


def stored_rows(database: ObservedDatabase) -> list[AuditEvent]:
    with database.engine.connect() as connection:
        return list(connection.execute(select(AuditEvent).order_by(AuditEvent.seq)).all())  # type: ignore[arg-type]


def count_rows(database: ObservedDatabase) -> int:
    with database.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_concurrent_writes_share_commits(database: ObservedDatabase) -> None:
    records = [make_record(number, error_code="Boom" if number % 7 == 0 else None) for number in range(500)]

    async def scenario() -> None:
        writer = AuditWriter(database, max_batch=512)
        writer.start()
        await asyncio.gather(*(writer.write(record) for record in records))
        await writer.aclose()

    asyncio.run(scenario())
    assert 1 <= len(database.commits) <= 10, len(database.commits)
    rows = {row.event_id: row for row in stored_rows(database)}
    assert len(rows) == 500
    for record in records:
        row = rows[record["eventID"]]
        expected_time = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert row.event_time.replace(tzinfo=UTC) == expected_time  # SQLite hands back naive UTC
        assert (row.account_id, row.region, row.event_source, row.event_name) == (
            "111122223333",
            "us-west-2",
            "kms.amazonaws.com",
            "Encrypt",
        )
        assert row.read_only is True
        assert (row.username, row.access_key_id, row.error_code) == ("Alice", "AKIAEXAMPLE", record.get("errorCode"))
        assert orjson.loads(row.record) == record


def test_max_batch_bounds_each_transaction(database: ObservedDatabase) -> None:
    async def scenario() -> None:
        writer = AuditWriter(database, max_batch=10)
        await asyncio.gather(*(writer.write(make_record(number)) for number in range(95)))
        await writer.aclose()

    asyncio.run(scenario())
    assert count_rows(database) == 95
    assert len(database.commits) >= 10  # 95 records, at most 10 per commit


def test_failed_batch_raises_to_each_of_its_waiters_and_later_batches_work(database: ObservedDatabase) -> None:
    taken = make_record(0)
    AuditWriter(database).write_blocking(taken)

    async def scenario() -> list[BaseException | None]:
        writer = AuditWriter(database)
        # Queued together, so they form one batch; the duplicate event id makes its commit fail.
        batch = [make_record(1), make_record(2, event_id=taken["eventID"]), make_record(3)]
        outcomes = await asyncio.gather(*(writer.write(record) for record in batch), return_exceptions=True)
        await writer.write(make_record(4))
        await asyncio.gather(*(writer.write(make_record(number)) for number in range(5, 9)))
        await writer.aclose()
        return outcomes

    outcomes = asyncio.run(scenario())
    assert all(isinstance(outcome, AuditWriteError) for outcome in outcomes), outcomes
    for outcome in outcomes:
        # The driver's error, not SQLAlchemy's wrapper whose text would list the batch's rows.
        assert isinstance(outcome, BaseException) and isinstance(outcome.__cause__, sqlite3.IntegrityError)
        assert "alias/k" not in str(outcome) and "alias/k" not in str(outcome.__cause__)
    stored = [row.event_id for row in stored_rows(database)]
    # The failed batch left nothing behind; the records before and after it are all there.
    assert stored == [make_record(number)["eventID"] for number in (0, 4, 5, 6, 7, 8)]


def _note_companion(text: str) -> Companion:
    """A companion write: a row in a table of its own, in the batch's transaction."""
    def write(connection: Any) -> None:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
        connection.exec_driver_sql("INSERT INTO notes (text) VALUES (?)", (text,))
    return Companion(("notes", text), write)


def _notes(database: ObservedDatabase) -> list[str]:
    with database.engine.connect() as connection:
        if not connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'notes'").all():
            return []
        return [row[0] for row in connection.exec_driver_sql("SELECT text FROM notes ORDER BY rowid")]


def test_companions_commit_or_fail_with_their_batch(database: ObservedDatabase) -> None:
    taken = make_record(0)
    AuditWriter(database).write_blocking(taken)

    async def scenario() -> list[BaseException | None]:
        writer = AuditWriter(database)
        # One batch with a companion and a duplicate event id: nothing of it may stay.
        failed = await asyncio.gather(
            writer.write(make_record(1), [_note_companion("lost")]),
            writer.write(make_record(2, event_id=taken["eventID"])),
            return_exceptions=True,
        )
        # The next batch commits its records and its companions together.
        await asyncio.gather(
            writer.write(make_record(3), [_note_companion("kept")]),
            *(writer.write(make_record(number)) for number in range(4, 40)),
        )
        await writer.aclose()
        return failed

    failed = asyncio.run(scenario())
    assert all(isinstance(outcome, AuditWriteError) for outcome in failed), failed
    assert _notes(database) == ["kept"]
    assert [row.event_id for row in stored_rows(database)] == [make_record(n)["eventID"] for n in (0, *range(3, 40))]


def test_the_batch_connection_never_goes_back_to_the_pool(database: ObservedDatabase) -> None:
    """It commits without syncing (the writer syncs the WAL itself) and never checkpoints: no other
    user of the pool may get a connection set up that way."""
    async def scenario() -> None:
        writer = AuditWriter(database)
        await asyncio.gather(*(writer.write(make_record(number)) for number in range(20)))
        await writer.aclose()

    asyncio.run(scenario())
    connections = [database.engine.connect() for _ in range(8)]  # every idle one, and then some
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    finally:
        for connection in connections:
            connection.close()
    assert count_rows(database) == 20


def test_a_batch_runs_its_companions_in_row_order(database: ObservedDatabase) -> None:
    """Batches of several workers then take their row locks in one order and cannot deadlock."""
    async def scenario() -> None:
        writer = AuditWriter(database)
        await asyncio.gather(*(writer.write(make_record(number), [_note_companion(text)])
                               for number, text in enumerate(["k3", "k1", "k2"])))
        await writer.aclose()

    asyncio.run(scenario())
    assert _notes(database) == ["k1", "k2", "k3"]


def test_a_companion_that_raises_before_writing_does_not_fail_its_batch(database: ObservedDatabase) -> None:
    def broken(_connection: Any) -> None:
        raise TypeError("a bug in a companion")

    async def scenario() -> None:
        writer = AuditWriter(database)
        await asyncio.gather(writer.write(make_record(1), [Companion(("a",), broken)]),
                             writer.write(make_record(2), [_note_companion("after")]))
        await writer.aclose()

    asyncio.run(scenario())
    assert count_rows(database) == 2
    assert _notes(database) == ["after"]


def test_connections_go_back_to_the_pool_transactional(database: ObservedDatabase) -> None:
    """A batch may commit by itself on the writer's connection; a connection taken from the pool
    afterwards still runs statements inside transactions that roll back."""
    database.engine.pool.dispose()
    writer = AuditWriter(database)
    writer.write_blocking(make_record(1))  # takes the pool's only idle connection, then returns it
    with pytest.raises(RuntimeError, match="undone"), database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), row_for(make_record(2)))
        raise RuntimeError("undone")
    assert [row.event_id for row in stored_rows(database)] == [make_record(1)["eventID"]]


def test_aclose_flushes_queued_records(database: ObservedDatabase) -> None:
    async def scenario() -> list[asyncio.Task[None]]:
        writer = AuditWriter(database)
        writer.start()
        tasks = [asyncio.create_task(writer.write(make_record(number))) for number in range(50)]
        await asyncio.sleep(0)  # let the writes queue, none awaited yet
        await writer.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await writer.write(make_record(99))
        return tasks

    tasks = asyncio.run(scenario())
    assert all(task.done() and task.exception() is None for task in tasks)
    assert count_rows(database) == 50


def test_cancelled_waiter_does_not_disturb_its_batch(database: ObservedDatabase) -> None:
    async def scenario() -> None:
        writer = AuditWriter(database)
        first = asyncio.create_task(writer.write(make_record(1)))
        second = asyncio.create_task(writer.write(make_record(2)))
        await asyncio.sleep(0)
        first.cancel()
        await second
        await writer.aclose()

    asyncio.run(scenario())
    # The cancelled request's record may or may not be stored; the other one must be.
    assert make_record(2)["eventID"] in {row.event_id for row in stored_rows(database)}


def test_write_blocking_commits_or_raises(database: ObservedDatabase) -> None:
    writer = AuditWriter(database)
    record = make_record(42)
    writer.write_blocking(record)
    assert [row.event_id for row in stored_rows(database)] == [record["eventID"]]
    assert stored_rows(database)[0].record == row_for(record)["record"]
    with pytest.raises(AuditWriteError):
        writer.write_blocking(record)


def test_writer_serves_a_later_event_loop(database: ObservedDatabase) -> None:
    writer = AuditWriter(database)

    async def one(number: int) -> None:
        await writer.write(make_record(number))

    # The first loop ends without aclose (its drainer dies with it); the next loop gets a new one.
    asyncio.run(one(1))
    asyncio.run(one(2))
    assert count_rows(database) == 2


@pytest.mark.postgres
def test_group_commit_on_postgresql(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine)
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    database = ObservedDatabase(engine, commits)
    taken = make_record(0)

    async def scenario() -> list[BaseException | None]:
        writer = AuditWriter(database)
        await writer.write(taken)
        await asyncio.gather(*(writer.write(make_record(number)) for number in range(1, 301)))
        failed = await asyncio.gather(writer.write(make_record(301)), writer.write(taken), return_exceptions=True)
        await writer.aclose()
        return failed

    try:
        failed = asyncio.run(scenario())
        assert all(isinstance(outcome, AuditWriteError) for outcome in failed)
        assert count_rows(database) == 301
        assert len(commits) <= 10
        row = next(row for row in stored_rows(database) if row.event_id == make_record(7)["eventID"])
        assert row.event_time == datetime(2025, 5, 20, 20, 0, 7, tzinfo=UTC)  # timestamptz comes back aware
    finally:
        engine.dispose()


def test_sqlite_rows_are_stored_as_sqlalchemy_stores_them(database: ObservedDatabase) -> None:
    """The writer binds SQLite's values itself; lookups compare them with what SQLAlchemy binds."""
    async def scenario() -> None:
        writer = AuditWriter(database)
        await writer.write(make_record(1, error_code="Boom"))
        await writer.aclose()

    asyncio.run(scenario())
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(make_record(2, error_code="Boom"))])
        raw = connection.exec_driver_sql(
            "SELECT event_time, typeof(event_time), read_only, typeof(read_only), account_id, region, event_source,"
            " event_name, username, access_key_id, error_code FROM audit_events ORDER BY seq"
        ).all()
    written, reference = raw
    assert written[1:] == reference[1:]
    assert (written[0], reference[0]) == ("2025-05-20 20:00:01.000000", "2025-05-20 20:00:02.000000")


def test_sqlite_rows_of_every_kind_are_stored_as_sqlalchemy_stores_them(database: ObservedDatabase) -> None:
    """Times of one second and of the next, other time forms, writes and failures, callers without an
    identity: byte for byte what SQLAlchemy's insert stores."""
    def variants(offset: int) -> list[dict[str, Any]]:
        records = [make_record(offset + n) for n in range(7)]
        write, anonymous = records[5], records[6]
        # The first two share a second; the fourth and fifth are forms format_time does not make.
        times = ["2025-05-20T20:00:00Z", "2025-05-20T20:00:00Z", "2025-05-20T20:01:41Z",
                 "2025-05-20T20:00:01.250000Z", "2025-05-20T22:00:01+02:00", "2025-05-20T20:00:03Z",
                 "2025-05-20T20:00:04Z"]
        for record, event_time in zip(records, times, strict=True):
            record["eventTime"] = event_time
        write["readOnly"], write["errorCode"] = False, "Boom"
        anonymous["userIdentity"] = None
        return records

    async def scenario() -> None:
        writer = AuditWriter(database)
        for record in variants(0):
            await writer.write(record)
        await writer.aclose()

    asyncio.run(scenario())
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(record) for record in variants(1000)])
        raw = connection.exec_driver_sql(
            "SELECT event_time, typeof(event_time), read_only, typeof(read_only), account_id, region, event_source,"
            " event_name, username, typeof(username), access_key_id, error_code, typeof(error_code), typeof(record)"
            " FROM audit_events ORDER BY seq"
        ).all()
    written, reference = raw[:7], raw[7:]
    assert written == reference
    assert [row[0] for row in written[:5]] == [
        "2025-05-20 20:00:00.000000", "2025-05-20 20:00:00.000000", "2025-05-20 20:01:41.000000",
        "2025-05-20 20:00:01.250000", "2025-05-20 22:00:01.000000",
    ]


def test_checkpoints_run_between_batches(database: ObservedDatabase, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer's commits never checkpoint; it copies the WAL into the database file itself, after
    the batch's waiters have their answer."""
    monkeypatch.setattr(writer_module, "CHECKPOINT_EVERY", 20)

    async def scenario() -> None:
        writer = AuditWriter(database)
        for start in range(0, 100, 10):
            await asyncio.gather(*(writer.write(make_record(number)) for number in range(start, start + 10)))
        await writer.aclose()

    asyncio.run(scenario())
    # The database file alone, without its WAL, already holds the checkpointed records.
    database.engine.dispose()
    main_file = Path(str(database.engine.url.database))
    alone = tmp_path / "main-only.db"
    alone.write_bytes(main_file.read_bytes())
    connection = sqlite3.connect(alone)
    try:
        stored = connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    finally:
        connection.close()
    assert stored >= 80


def test_the_writer_makes_the_wal_start_over_now_and_then(
    database: ObservedDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under steady load the PASSIVE checkpoints never catch up with the writer and the WAL would grow
    without end: every RESTART_EVERY records the writer runs a RESTART checkpoint between batches."""
    monkeypatch.setattr(writer_module, "RESTART_EVERY", 100)

    async def scenario() -> None:
        writer = AuditWriter(database)
        for start in range(0, 450, 50):
            await asyncio.gather(*(writer.write(make_record(number)) for number in range(start, start + 50)))
        # The batch connection goes on as before: a batch with a companion is one transaction.
        await writer.write(make_record(450), [_note_companion("after")])
        await writer.aclose()

    asyncio.run(scenario())
    assert database.statements.count("PRAGMA wal_checkpoint(RESTART)") == 4
    assert count_rows(database) == 451
    assert _notes(database) == ["after"]
    with database.engine.connect() as connection:  # and it left the WAL started over, nothing lost
        busy, frames, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    assert busy == 0 and frames == copied


def test_records_orjson_cannot_write_as_they_are_are_stored(database: ObservedDatabase) -> None:
    """Both row makers (the SQLite raw insert's and `row_for`) store every value a request carries."""
    writer = AuditWriter(database)
    record = make_record(7)
    record["requestParameters"] = {"taskCount": 2**70, "blob": b"\x01", "keys": {3: float("nan")},
                                   "text": "a\ud800b"}
    writer.write_blocking(record)
    (row,) = stored_rows(database)
    expected = {"taskCount": str(2**70), "blob": "AQ==", "keys": {"3": None}, "text": "a\\ud800b"}
    assert orjson.loads(row.record)["requestParameters"] == expected
    assert row.record == row_for(record)["record"]
