"""Log file delivery: each logging trail's records since its last delivery, as gzipped
`{"Records": [...]}` files, one per region, about every five minutes (and once more after StopLogging).

Exactly once per record per trail: a trail's position (the highest audit `seq` it has considered) is
claimed by a write to its `cloudtrail_deliveries` row at the start of the delivering transaction,
which holds off any other worker or node until it commits; files are written before the commit and
removed if it fails. Records are taken in `seq` order only once settled (older than `SETTLE`), so an
insert still committing with a lower `seq` is never skipped.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import string
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from strongroom.services.cloudtrail import digests
from strongroom.services.cloudtrail.buckets import object_key, put_object
from strongroom.services.cloudtrail.selectors import TrailFilter
from strongroom.services.cloudtrail.tables import CloudTrailDelivery, CloudTrailLogFile, CloudTrailTrail
from strongroom.services.cloudtrail.times import aware, date_folders, log_file_stamp
from strongroom.store.tables import AuditEvent

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.cloudtrail.delivery")

DELIVERY_PERIOD = timedelta(minutes=5)
SETTLE = timedelta(seconds=15)
BATCH = 5000
_UNIQUE_ALPHABET = string.ascii_letters + string.digits


@dataclass
class _RegionBatch:
    records: list[bytes] = field(default_factory=list)
    oldest: datetime | None = None
    newest: datetime | None = None

    def add(self, record: str, when: datetime) -> None:
        self.records.append(record.encode())
        self.oldest = when if self.oldest is None or when < self.oldest else self.oldest
        self.newest = when if self.newest is None or when > self.newest else self.newest


def log_file_key(account_id: str, region: str, when: datetime) -> str:
    unique = "".join(secrets.choice(_UNIQUE_ALPHABET) for _ in range(16))
    return (f"AWSLogs/{account_id}/CloudTrail/{region}/{date_folders(when)}/"
            f"{account_id}_CloudTrail_{region}_{log_file_stamp(when)}_{unique}.json.gz")


def claim(session: Session, trail_arn: str) -> CloudTrailDelivery | None:
    """Take the trail's delivery position for this transaction (a write, so it is exclusive)."""
    session.execute(update(CloudTrailDelivery).where(CloudTrailDelivery.trail_arn == trail_arn)
                    .values(claims=CloudTrailDelivery.claims + 1))
    return session.scalar(select(CloudTrailDelivery).where(CloudTrailDelivery.trail_arn == trail_arn)
                          .execution_options(populate_existing=True))


def _window(trail: CloudTrailTrail) -> tuple[datetime, datetime | None] | None:
    """The event times the trail logs: from its start to its stop (open while logging); None if never started."""
    if trail.started_logging_at is None:
        return None
    stop = None if trail.is_logging or trail.stopped_logging_at is None else aware(trail.stopped_logging_at)
    # Event times have whole seconds: an event of the starting second is in.
    return aware(trail.started_logging_at).replace(microsecond=0), stop


def deliver(runtime: Runtime, session: Session, trail: CloudTrailTrail, position: CloudTrailDelivery,
            now: datetime, cutoff: datetime) -> list[Path]:
    """Deliver the trail's records settled by `cutoff` and advance its position; the files written."""
    window = _window(trail)
    selector = TrailFilter(trail)
    batches: dict[str, _RegionBatch] = defaultdict(_RegionBatch)
    last_seq = position.delivered_seq
    while True:
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.event_time, AuditEvent.region, AuditEvent.record)
            .where(AuditEvent.seq > last_seq, AuditEvent.account_id == trail.account_id)
            .order_by(AuditEvent.seq).limit(BATCH)
        ).all()
        settled = True
        for seq, event_time, region, record in rows:
            when = aware(event_time)
            if when > cutoff:
                settled = False
                break
            if window is None or (window[1] is not None and when > window[1] + SETTLE):
                # Past the end of logging: nothing later can be in the window, skip to the newest event.
                last_seq = max(last_seq, session.scalar(select(func.max(AuditEvent.seq))) or 0)
                break
            last_seq = seq
            if when < window[0] or (window[1] is not None and when > window[1]):
                continue
            if selector.in_scope(region) and selector.logs(orjson.loads(record)):
                batches[region].add(record, when)
        if not settled or len(rows) < BATCH or last_seq != rows[-1][0]:
            break
    written = _write_files(runtime, session, trail, batches, now)
    position.delivered_seq = last_seq
    position.last_attempt_at = now
    position.last_error = None
    if written:
        position.last_delivery_at = now
    return written


def _write_files(runtime: Runtime, session: Session, trail: CloudTrailTrail,
                 batches: dict[str, _RegionBatch], now: datetime) -> list[Path]:
    written: list[Path] = []
    try:
        for region, batch in sorted(batches.items()):
            assert batch.oldest is not None and batch.newest is not None
            body = b'{"Records":[' + b",".join(batch.records) + b"]}"
            key = object_key(trail.s3_key_prefix, log_file_key(trail.account_id, region, now))
            written.append(put_object(runtime.settings.data_dir, trail.s3_bucket, key, gzip.compress(body)))
            session.add(CloudTrailLogFile(
                trail_arn=trail.arn, s3_object=key, region=region, s3_bucket=trail.s3_bucket,
                hash_value=hashlib.sha256(body).hexdigest(), oldest_event_time=batch.oldest,
                newest_event_time=batch.newest, delivered_at=now,
            ))
            if trail.log_file_validation:
                digests.ensure_chain(session, trail, region, now)
        session.flush()
    except BaseException:
        remove(written)
        raise
    return written


def remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def settle(runtime: Runtime, session: Session, trail: CloudTrailTrail, now: datetime) -> list[Path]:
    """Deliver all that is committed now (before logging starts again, so a stop's tail is not lost).

    The caller removes the files returned (`remove`) if its transaction does not commit.
    """
    position = claim(session, trail.arn)
    if position is None:
        position = CloudTrailDelivery(trail_arn=trail.arn, delivered_seq=0, claims=1)
        session.add(position)
    return deliver(runtime, session, trail, position, now, now)


def _is_due(trail: CloudTrailTrail, position: CloudTrailDelivery, now: datetime) -> bool:
    last = aware(position.last_attempt_at) if position.last_attempt_at else None
    if trail.is_logging:
        anchor = last or (aware(trail.started_logging_at) if trail.started_logging_at else now)
        return now >= anchor + DELIVERY_PERIOD
    if trail.stopped_logging_at is None:
        return False
    final_cutoff = aware(trail.stopped_logging_at) + SETTLE
    return now >= final_cutoff and (last is None or last < final_cutoff)


def deliver_log_files(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.database.session() as session:
        candidates = session.execute(
            select(CloudTrailTrail.arn).where(CloudTrailTrail.started_logging_at.is_not(None))
        ).scalars().all()
    for arn_text in candidates:
        try:
            _deliver_one(runtime, arn_text, now)
        except Exception:
            log.exception("log delivery for trail %s failed", arn_text)


def _deliver_one(runtime: Runtime, arn_text: str, now: datetime) -> None:
    written: list[Path] = []
    try:
        with runtime.database.session(writes=True) as session:
            position = claim(session, arn_text)
            trail = session.scalar(select(CloudTrailTrail).where(CloudTrailTrail.arn == arn_text))
            if position is None or trail is None or not _is_due(trail, position, now):
                return
            written = deliver(runtime, session, trail, position, now, now - SETTLE)
    except BaseException:
        remove(written)
        raise
