"""The resources of audit events, indexed for LookupEvents by ResourceType and ResourceName.

Records are written by the request path, not here, so a background pass copies each event's
resources into `cloudtrail_event_resources` in `seq` order, up to its watermark. It takes an event only
once settled (older than `SETTLE`), so an insert still committing with a lower `seq` is never passed
over; lookups read the events above the watermark directly.

Records are read by the store's JSON functions, except those holding an escaped NUL (`\\u0000`), which
PostgreSQL's jsonb refuses and SQLite's cuts short: those are parsed here. Neither store's text holds a
NUL, so the index stores names with NUL as U+FFFD (`stored_name`); a lookup whose name may share that
form with another checks the records themselves. If the store refuses a batch anyway, it is parsed
here: no record can stop the index.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import CursorResult, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from strongroom.services.cloudtrail.tables import CloudTrailEventResource, CloudTrailWatermark
from strongroom.store import multirow
from strongroom.store.db import Database
from strongroom.store.tables import AuditEvent

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.cloudtrail.resource_index")

WATERMARK = "event-resources"
SETTLE = timedelta(seconds=15)
# Events per pass. Each pass writes in one short transaction: on SQLite it holds the store's single
# write lock, which every audit commit then waits for, so it stays small.
BATCH = 500
MAX_BATCHES_PER_RUN = 400
# The index's column widths.
TYPE_LENGTH, NAME_LENGTH = 128, 2048
# An escaped NUL as a record's JSON text holds it (the store's JSON functions cannot read it).
ESCAPED_NUL = r"\u0000"
NUL, NUL_STORED_AS = "\x00", "\ufffd"


def stored_name(name: str, length: int = NAME_LENGTH) -> str:
    """A resource type or name as the index stores it: NUL as U+FFFD (no store's text holds a NUL)."""
    return name.replace(NUL, NUL_STORED_AS)[:length]


def shares_stored_name(name: str) -> bool:
    """Whether another name may be stored as `name` is (then only the record tells them apart)."""
    return NUL in name or NUL_STORED_AS in name


def resources_of(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(type, name) pairs for an event: each resource by ARN and by its short name (a key id, a user name)."""
    pairs: list[tuple[str, str]] = []
    resources = record.get("resources")
    for resource in resources if isinstance(resources, list) else ():
        if isinstance(resource, dict):  # as the index reads records: other entries name nothing
            _add_names(pairs, resource.get("type"), resource.get("ARN"))
    return pairs


def _add_names(pairs: list[tuple[str, str]], kind: object, resource_arn: object) -> None:
    """Add a resource's (type, ARN) and (type, short name) to `pairs`, unless there already."""
    kind, resource_arn = _text(kind), _text(resource_arn)
    if not kind or not resource_arn:
        return
    short = resource_arn.rsplit("/", 1)[-1] if "/" in resource_arn else resource_arn.rsplit(":", 1)[-1]
    for name in (resource_arn, short):
        if name and (kind, name) not in pairs:
            pairs.append((kind, name))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def watermark(session: Session) -> int:
    row = session.get(CloudTrailWatermark, WATERMARK)
    return row.seq if row is not None else 0


def _advance(session: Session, seen: int, seq: int) -> bool:
    """Move the watermark from `seen` to `seq`; False when another pass moved it first (a write, so
    that pass's rows and this one's can never both be stored)."""
    # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed for the general case.
    moved = cast(CursorResult[Any], session.execute(update(CloudTrailWatermark).where(
        CloudTrailWatermark.name == WATERMARK, CloudTrailWatermark.seq == seen).values(seq=seq))).rowcount
    if moved:
        return True
    if seen:
        return False
    try:
        with session.begin_nested():
            session.add(CloudTrailWatermark(name=WATERMARK, seq=seq))
    except IntegrityError:  # another pass made it meanwhile
        return False
    return True


def index_batch(database: Database, cutoff: datetime) -> bool:
    """Index one batch of settled events; True if more may be waiting.

    The batch's bounds and its events' resources are read outside any write transaction, the
    resources taken out of each record by the store's own JSON functions (C code that lets other
    threads run, where parsing records here held the interpreter ~20 µs per event). The rows and the
    new watermark are then written together in a transaction of their own, which claims the batch by
    moving the watermark from where it was read (so the store's write lock is held only for the two
    statements)."""
    with database.session() as session:
        seen = watermark(session)
        settled = session.execute(
            select(AuditEvent.seq, AuditEvent.event_time <= cutoff)
            .where(AuditEvent.seq > seen).order_by(AuditEvent.seq).limit(BATCH)
        ).all()
        last_seq, more = seen, len(settled) == BATCH
        for seq, is_settled in settled:
            if not is_settled:
                more = False
                break
            last_seq = seq
        if last_seq == seen:
            return False
        try:
            rows = _resources(session, seen, last_seq)
        except (DBAPIError, sqlite3.Error):  # SQLite's is read through the driver itself
            # On PostgreSQL the refused statement ended the transaction: read on in a new one.
            session.rollback()
            log.warning("the store could not read the resources of events %d to %d; parsing them here",
                        seen + 1, last_seq, exc_info=True)
            rows = _parsed_resources(session, seen, last_seq, every=True)
    with database.session() as session:
        if not _advance(session, seen, last_seq):
            return True  # another pass took this batch: look again
        if rows:
            _insert(session, rows)
    return more


# Each resource of the events with seq in (after, upto], in order: (seq, type, ARN, account, region,
# event time); the event time as stored, so that it is written back unchanged.
_SQLITE_RESOURCES = (
    "SELECT e.seq, json_extract(r.value, '$.type'), json_extract(r.value, '$.ARN'), e.account_id, e.region,"
    " e.event_time FROM audit_events AS e, json_each(e.record, '$.resources') AS r"
    " WHERE e.seq > ? AND e.seq <= ? AND instr(e.record, ?) = 0 AND r.type = 'object'"
    " ORDER BY e.seq, r.id"
)
# Each record is parsed once (the lateral `listed`), as json_each does on SQLite; one holding an escaped
# NUL is not cast at all (jsonb refuses it, failing the whole statement).
_POSTGRES_RESOURCES = text(
    "SELECT e.seq, r.value ->> 'type', r.value ->> 'ARN', e.account_id, e.region, e.event_time"
    " FROM audit_events AS e CROSS JOIN LATERAL (SELECT CASE WHEN strpos(e.record, :nul) = 0"
    " THEN e.record::jsonb -> 'resources' END AS list) AS listed"
    " CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(listed.list) = 'array' THEN listed.list"
    " ELSE '[]'::jsonb END) WITH ORDINALITY AS r(value, position)"
    " WHERE e.seq > :after AND e.seq <= :upto AND jsonb_typeof(r.value) = 'object' ORDER BY e.seq, r.position"
)


def _resources(session: Session, after: int, upto: int) -> list[tuple[Any, ...]]:
    """The index rows of the events with seq in (after, upto], as `resources_of` names them."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection)
        cursor = driver.execute(_SQLITE_RESOURCES, (after, upto, ESCAPED_NUL))
        found = cursor.fetchall()
        cursor.close()
    else:
        found = connection.execute(_POSTGRES_RESOURCES, {"after": after, "upto": upto, "nul": ESCAPED_NUL}).all()
    events: list[tuple[Any, list[tuple[str, str]], Any, Any, Any]] = []
    for seq, kind, resource_arn, account_id, region, event_time in found:
        if not events or events[-1][0] != seq:
            events.append((seq, [], account_id, region, event_time))
        _add_names(events[-1][1], kind, resource_arn)
    return _index_rows(events) + _parsed_resources(session, after, upto, every=False)


# The events with seq in (after, upto] (with the third parameter, only records holding it), event times
# as stored.
_SQLITE_RECORDS = "SELECT seq, record, account_id, region, event_time FROM audit_events WHERE seq > ? AND seq <= ?"


def _parsed_resources(session: Session, after: int, upto: int, *, every: bool) -> list[tuple[Any, ...]]:
    """The index rows of the events with seq in (after, upto], each record parsed here: those holding an
    escaped NUL, or `every` one."""
    connection = session.connection()
    found: list[Any]
    if connection.dialect.name == "sqlite":
        driver = connection.connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection)
        statement, values = _SQLITE_RECORDS, (after, upto)
        if not every:
            statement, values = f"{statement} AND instr(record, ?) > 0", (after, upto, ESCAPED_NUL)
        cursor = driver.execute(statement, values)
        found = cursor.fetchall()
        cursor.close()
    else:
        query = select(AuditEvent.seq, AuditEvent.record, AuditEvent.account_id, AuditEvent.region,
                       AuditEvent.event_time).where(AuditEvent.seq > after, AuditEvent.seq <= upto)
        if not every:
            query = query.where(func.strpos(AuditEvent.record, ESCAPED_NUL) > 0)
        found = list(session.execute(query))
    events: list[tuple[Any, list[tuple[str, str]], Any, Any, Any]] = []
    for seq, record, account_id, region, event_time in found:
        try:
            pairs = resources_of(orjson.loads(record))
        except orjson.JSONDecodeError:
            log.error("the audit record of event %d is not JSON: it cannot be found by resource", seq)
            continue
        events.append((seq, pairs, account_id, region, event_time))
    return _index_rows(events)


def _index_rows(events: list[tuple[Any, list[tuple[str, str]], Any, Any, Any]]) -> list[tuple[Any, ...]]:
    """(seq, type, name, account, region, event time) rows of (seq, pairs, account, region, time) events,
    names as stored; once each (two names may be stored alike)."""
    rows: dict[tuple[Any, str, str], tuple[Any, ...]] = {}
    for seq, pairs, account_id, region, event_time in events:
        for resource_type, name in pairs:
            row = (seq, stored_name(resource_type, TYPE_LENGTH), stored_name(name), account_id, region, event_time)
            rows.setdefault(row[:3], row)
    return list(rows.values())


# The order of `_resources`' rows.
_COLUMNS = ("seq", "resource_type", "resource_name", "account_id", "region", "event_time")
_INSERT = f"INSERT INTO cloudtrail_event_resources ({', '.join(_COLUMNS)}) VALUES "  # noqa: S608 (constants)


def _insert(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """The batch's rows; on SQLite in one statement through the driver (see `strongroom.store.multirow`),
    their event times as read, so that the store's write lock is held briefly."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(insert(CloudTrailEventResource), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
        return
    driver = connection.connection.dbapi_connection
    assert isinstance(driver, sqlite3.Connection)
    for statement, values in multirow.statements(driver, _INSERT, len(_COLUMNS), rows):
        driver.execute(statement, values).close()


def index_events(runtime: Runtime) -> None:
    cutoff = runtime.clock.now() - SETTLE
    for _ in range(MAX_BATCHES_PER_RUN):
        if not index_batch(runtime.database, cutoff):
            return
