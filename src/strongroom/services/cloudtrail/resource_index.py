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

import orjson
from sqlalchemy import CursorResult, Select, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.services.cloudtrail.tables import CloudTrailEventResource, CloudTrailWatermark
from strongroom.services.cloudtrail.times import aware
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
    for resource in record.get("resources") or []:
        kind, resource_arn = str(resource.get("type", "")), str(resource.get("ARN", ""))
        if not kind or not resource_arn:
            continue
        short = resource_arn.rsplit("/", 1)[-1] if "/" in resource_arn else resource_arn.rsplit(":", 1)[-1]
        for name in dict.fromkeys((resource_arn, short)):
            if name and (kind, name) not in pairs:
                pairs.append((kind, name))
    return pairs


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

    The events are read and their resources worked out in a read-only transaction; the rows and the
    new watermark are then written together in a transaction of their own, which claims the batch
    by moving the watermark from where it was read (so the store's write lock is held only for the
    two statements)."""
    with database.session() as session:
        last_seq = seen = watermark(session)
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.event_time, AuditEvent.account_id, AuditEvent.region, AuditEvent.record)
            .where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(BATCH)
        ).all()
    entries = []
    more = len(rows) == BATCH
    for seq, event_time, account_id, region, record in rows:
        if aware(event_time) > cutoff:
            more = False
            break
        last_seq = seq
        if '"resources"' not in record:
            continue
        for kind, name in resources_of(orjson.loads(record)):
            entries.append({"seq": seq, "resource_type": kind[:128], "resource_name": name[:2048],
                            "account_id": account_id, "region": region, "event_time": event_time})
    if last_seq == seen:
        return False
    with database.session() as session:
        if not _advance(session, seen, last_seq):
            return True  # another pass took this batch: look again
        if entries:
            _insert(session, entries)
    return more


_INSERT = ("INSERT INTO cloudtrail_event_resources (seq, resource_type, resource_name, account_id, region,"
           " event_time) VALUES ")
_COLUMNS = ("seq", "resource_type", "resource_name", "account_id", "region", "event_time")


def _insert(session: Session, entries: list[dict[str, Any]]) -> None:
    """The batch's rows; on SQLite in one statement through the driver (see `strongroom.store.multirow`),
    their values bound as SQLAlchemy binds them, so that the store's write lock is held briefly."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        session.execute(insert(CloudTrailEventResource), entries)
        return
    bind_time = CloudTrailEventResource.__table__.c.event_time.type.dialect_impl(dialect).bind_processor(dialect)
    rows = [[entry[column] for column in _COLUMNS] for entry in entries]
    if bind_time is not None:
        for row in rows:
            row[-1] = bind_time(row[-1])
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
