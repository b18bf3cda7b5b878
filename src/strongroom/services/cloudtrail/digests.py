"""Log file integrity: hourly digest files per trail and region, chained and signed.

Each digest lists the log files delivered in its period (SHA-256 of each file's uncompressed content),
names the previous digest (its object, SHA-256 and signature), and is signed with the region's key
over `digestEndTime\\n<bucket>/<object>\\n<hex SHA-256 of the uncompressed digest>\\n<previous
signature or "null">`. Digests are written for hours without log files too. A digest's signature is
its S3 object metadata, kept beside it as `<object>.metadata.json` (see `buckets`).

A chain row is claimed by a write at the start of its transaction, so one worker writes each digest.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from strongroom.services.cloudtrail.buckets import METADATA_SUFFIX, object_key, put_object
from strongroom.services.cloudtrail.signing_keys import SIGNATURE_ALGORITHM, current_key, sign
from strongroom.services.cloudtrail.tables import (
    CloudTrailDelivery,
    CloudTrailDigestChain,
    CloudTrailLogFile,
    CloudTrailTrail,
)
from strongroom.services.cloudtrail.times import aware, date_folders, digest_file_stamp, iso_seconds

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.cloudtrail.digests")

DIGEST_PERIOD = timedelta(hours=1)
# A server that was down (or a clock moved far) catches up over several runs, not in one.
MAX_DIGESTS_PER_RUN = 100
# How long after StopLogging the final log file is delivered (see delivery.SETTLE).
FINAL_DELIVERY_DELAY = timedelta(seconds=15)


def digest_key(trail: CloudTrailTrail, region: str, end: datetime) -> str:
    account = trail.account_id
    return object_key(trail.s3_key_prefix, (
        f"AWSLogs/{account}/CloudTrail-Digest/{region}/{date_folders(end)}/"
        f"{account}_CloudTrail-Digest_{region}_{trail.name}_{trail.home_region}_{digest_file_stamp(end)}.json.gz"))


def string_to_sign(end_time: str, bucket: str, key: str, digest_hash: str, previous_signature: str | None) -> bytes:
    return f"{end_time}\n{bucket}/{key}\n{digest_hash}\n{previous_signature or 'null'}".encode()


def ensure_chain(session: Session, trail: CloudTrailTrail, region: str, start: datetime) -> None:
    if session.get(CloudTrailDigestChain, (trail.arn, region)) is None:
        session.add(CloudTrailDigestChain(trail_arn=trail.arn, region=region, next_start=start, claims=0))


def start_chains(session: Session, trail: CloudTrailTrail, now: datetime) -> None:
    """Logging (re)starts with validation on: periods count from now; the chain itself continues."""
    session.flush()
    chains = list(session.scalars(select(CloudTrailDigestChain).where(CloudTrailDigestChain.trail_arn == trail.arn)))
    for chain in chains:
        chain.next_start = max(aware(chain.next_start), now)
    if not any(chain.region == trail.home_region for chain in chains):
        session.add(CloudTrailDigestChain(trail_arn=trail.arn, region=trail.home_region, next_start=now, claims=0))


def _periods_due(trail: CloudTrailTrail, position: CloudTrailDelivery | None, start: datetime,
                 now: datetime) -> list[tuple[datetime, datetime]]:
    """The digest periods to write now: whole hours while logging, then a last one up to the final delivery."""
    limit = now
    if not trail.is_logging:
        if trail.stopped_logging_at is None or position is None or position.last_attempt_at is None:
            return []
        final = aware(position.last_attempt_at)
        if final < aware(trail.stopped_logging_at) + FINAL_DELIVERY_DELAY:
            return []  # the last log file is not out yet
        limit = final
    periods: list[tuple[datetime, datetime]] = []
    while len(periods) < MAX_DIGESTS_PER_RUN:
        end = start + DIGEST_PERIOD
        if end > limit:
            if trail.is_logging or start >= limit:
                break
            end = limit
        periods.append((start, end))
        start = end
    return periods


def write_digest(runtime: Runtime, session: Session, trail: CloudTrailTrail, chain: CloudTrailDigestChain,
                 start: datetime, end: datetime, now: datetime) -> list[Path]:
    files = list(session.scalars(select(CloudTrailLogFile).where(
        CloudTrailLogFile.trail_arn == trail.arn, CloudTrailLogFile.region == chain.region,
        CloudTrailLogFile.digest_object.is_(None), CloudTrailLogFile.delivered_at < end,
    ).order_by(CloudTrailLogFile.delivered_at, CloudTrailLogFile.s3_object)))
    key = digest_key(trail, chain.region, end)
    signing_key = current_key(runtime, session, chain.region, now)
    digest: dict[str, Any] = {
        "awsAccountId": trail.account_id,
        "digestStartTime": iso_seconds(start),
        "digestEndTime": iso_seconds(end),
        "digestS3Bucket": trail.s3_bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": signing_key.fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        "newestEventTime": iso_seconds(max(aware(f.newest_event_time) for f in files)) if files else None,
        "oldestEventTime": iso_seconds(min(aware(f.oldest_event_time) for f in files)) if files else None,
        "previousDigestS3Bucket": chain.previous_bucket,
        "previousDigestS3Object": chain.previous_object,
        "previousDigestHashValue": chain.previous_hash,
        "previousDigestHashAlgorithm": "SHA-256" if chain.previous_hash else None,
        "previousDigestSignature": chain.previous_signature,
        "logFiles": [{
            "s3Bucket": f.s3_bucket, "s3Object": f.s3_object, "hashValue": f.hash_value, "hashAlgorithm": "SHA-256",
            "newestEventTime": iso_seconds(f.newest_event_time), "oldestEventTime": iso_seconds(f.oldest_event_time),
        } for f in files],
    }
    body = orjson.dumps(digest)
    digest_hash = hashlib.sha256(body).hexdigest()
    signature = sign(runtime.barrier, signing_key, string_to_sign(
        digest["digestEndTime"], trail.s3_bucket, key, digest_hash, chain.previous_signature)).hex()
    metadata = orjson.dumps({"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM})
    data_dir = runtime.settings.data_dir
    written = [put_object(data_dir, trail.s3_bucket, key, gzip.compress(body))]
    try:
        written.append(put_object(data_dir, trail.s3_bucket, key + METADATA_SUFFIX, metadata))
    except BaseException:
        written[0].unlink(missing_ok=True)
        raise
    for log_file in files:
        log_file.digest_object = key
    chain.previous_bucket, chain.previous_object = trail.s3_bucket, key
    chain.previous_hash, chain.previous_signature = digest_hash, signature
    chain.next_start = end
    # Delivered as of its end, to the second, as its name and digestEndTime say (GetTrailStatus's
    # LatestDigestDeliveryTime): validate-logs finds the newest digest by it.
    chain.last_delivery_at = end.replace(microsecond=0)
    return written


def deliver_digest_files(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.database.session() as session:
        chains = session.execute(
            select(CloudTrailDigestChain.trail_arn, CloudTrailDigestChain.region)
            .join(CloudTrailTrail, CloudTrailTrail.arn == CloudTrailDigestChain.trail_arn)
            .where(CloudTrailTrail.log_file_validation.is_(True))
        ).all()
    for trail_arn, region in chains:
        try:
            _deliver_chain(runtime, trail_arn, region, now)
        except Exception:
            log.exception("digest delivery for trail %s in %s failed", trail_arn, region)


def _deliver_chain(runtime: Runtime, trail_arn: str, region: str, now: datetime) -> None:
    written: list[Path] = []
    try:
        with runtime.database.session() as session:
            session.execute(update(CloudTrailDigestChain).where(
                CloudTrailDigestChain.trail_arn == trail_arn, CloudTrailDigestChain.region == region,
            ).values(claims=CloudTrailDigestChain.claims + 1))
            chain = session.scalar(select(CloudTrailDigestChain).where(
                CloudTrailDigestChain.trail_arn == trail_arn, CloudTrailDigestChain.region == region,
            ).execution_options(populate_existing=True))
            trail = session.scalar(select(CloudTrailTrail).where(CloudTrailTrail.arn == trail_arn))
            if chain is None or trail is None or not trail.log_file_validation:
                return
            position = session.get(CloudTrailDelivery, trail_arn)
            for start, end in _periods_due(trail, position, aware(chain.next_start), now):
                written += write_digest(runtime, session, trail, chain, start, end, now)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
