"""The resources of audit events, indexed for LookupEvents by ResourceType and ResourceName.

Records are written by the request path, not here, so a background pass copies each event's
resources into `cloudtrail_event_resources` in `seq` order, up to its watermark. It takes an event only
once settled (older than `SETTLE`), so an insert still committing with a lower `seq` is never passed
over; lookups read the few events above the watermark directly (`tail`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import CursorResult, Select, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.services.cloudtrail.tables import CloudTrailEventResource, CloudTrailWatermark
from strongroom.services.cloudtrail.times import aware
from strongroom.store.tables import AuditEvent

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

WATERMARK = "event-resources"
SETTLE = timedelta(seconds=15)
BATCH = 5000
MAX_BATCHES_PER_RUN = 40


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


def _claim(session: Session) -> int:
    """Take the indexer's watermark for this transaction (a write, so one indexer runs at a time)."""
    # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed for the general case.
    claimed = cast(CursorResult[Any], session.execute(update(CloudTrailWatermark).where(
        CloudTrailWatermark.name == WATERMARK).values(seq=CloudTrailWatermark.seq))).rowcount
    if not claimed:
        try:
            with session.begin_nested():
                session.add(CloudTrailWatermark(name=WATERMARK, seq=0))
        except IntegrityError:
            session.execute(update(CloudTrailWatermark).where(CloudTrailWatermark.name == WATERMARK)
                            .values(seq=CloudTrailWatermark.seq))
    return int(session.scalar(select(CloudTrailWatermark.seq).where(CloudTrailWatermark.name == WATERMARK)
                              .execution_options(populate_existing=True)) or 0)


def index_batch(session: Session, cutoff: datetime) -> bool:
    """Index one batch of settled events; True if more may be waiting."""
    last_seq = _claim(session)
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
    if entries:
        session.execute(insert(CloudTrailEventResource), entries)
    session.execute(update(CloudTrailWatermark).where(CloudTrailWatermark.name == WATERMARK).values(seq=last_seq))
    return more


def index_events(runtime: Runtime) -> None:
    cutoff = runtime.clock.now() - SETTLE
    for _ in range(MAX_BATCHES_PER_RUN):
        with runtime.database.session() as session:
            if not index_batch(session, cutoff):
                return


def tail(query: Select[Any], after_seq: int) -> Select[Any]:
    """Restrict an audit_events query to the events the index does not hold yet."""
    return query.where(AuditEvent.seq > after_seq)
