"""The resources of audit events, indexed for LookupEvents by ResourceType and ResourceName.

Records are written by the request path, not here, so a background pass copies each event's
resources into `cloudtrail_event_resources` in `seq` order, up to its watermark. It takes an event only
once settled (older than `SETTLE`), so an insert still committing with a lower `seq` is never passed
over; lookups read the events above the watermark directly (`tail`).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Select, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.services.cloudtrail.tables import CloudTrailEventResource, CloudTrailWatermark
from strongroom.store import multirow
from strongroom.store.db import Database
from strongroom.store.tables import AuditEvent

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

WATERMARK = "event-resources"
SETTLE = timedelta(seconds=15)
# Events per pass. Each pass writes in one short transaction: on SQLite it holds the store's single
# write lock, which every audit commit then waits for, so it stays small.
BATCH = 500
MAX_BATCHES_PER_RUN = 400


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
        rows = _resources(session, seen, last_seq)
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
    " WHERE e.seq > ? AND e.seq <= ? AND r.type = 'object' ORDER BY e.seq, r.id"
)
# Each record is parsed once (the lateral `listed`), as json_each does on SQLite.
_POSTGRES_RESOURCES = text(
    "SELECT e.seq, r.value ->> 'type', r.value ->> 'ARN', e.account_id, e.region, e.event_time"
    " FROM audit_events AS e CROSS JOIN LATERAL (SELECT e.record::jsonb -> 'resources' AS list) AS listed"
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
        cursor = driver.execute(_SQLITE_RESOURCES, (after, upto))
        found = cursor.fetchall()
        cursor.close()
    else:
        found = connection.execute(_POSTGRES_RESOURCES, {"after": after, "upto": upto}).all()
    rows: list[tuple[Any, ...]] = []
    pairs: list[tuple[str, str]] = []
    current = None
    for seq, kind, resource_arn, account_id, region, event_time in found:
        if seq != current:
            current, pairs = seq, []
        start = len(pairs)
        _add_names(pairs, kind, resource_arn)
        rows.extend((seq, resource_type[:128], name[:2048], account_id, region, event_time)
                    for resource_type, name in pairs[start:])
    return rows


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


def tail(query: Select[Any], after_seq: int) -> Select[Any]:
    """Restrict an audit_events query to the events the index does not hold yet."""
    return query.where(AuditEvent.seq > after_seq)
