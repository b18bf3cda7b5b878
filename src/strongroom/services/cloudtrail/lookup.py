"""LookupEvents: the event history of the caller's account and region, newest first, last 90 days.

Each lookup attribute maps to an indexed column of `audit_events` (ResourceType and ResourceName to
the resource index). Pages are ordered by (event time, seq), both descending; NextToken carries the
last position and a digest of the query, sealed by the barrier so it is opaque and cannot be forged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

import orjson
from sqlalchemy import Select, false, select, tuple_
from sqlalchemy.orm import Session

from strongroom.barrier.errors import BarrierError
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.cloudtrail import resource_index
from strongroom.services.cloudtrail.plugin import runtime_of, service, transaction
from strongroom.services.cloudtrail.tables import CloudTrailEventResource
from strongroom.services.cloudtrail.times import aware
from strongroom.store.tables import AuditEvent

HISTORY = timedelta(days=90)
DEFAULT_MAX_RESULTS = 50
TOKEN_LOCATOR = "cloudtrail/lookup-events/next-token"  # noqa: S105 - a barrier locator, not a secret
_COLUMNS = {
    "EventId": AuditEvent.event_id,
    "EventName": AuditEvent.event_name,
    "Username": AuditEvent.username,
    "EventSource": AuditEvent.event_source,
    "AccessKeyId": AuditEvent.access_key_id,
}
_RESOURCE_COLUMNS = {
    "ResourceType": CloudTrailEventResource.resource_type,
    "ResourceName": CloudTrailEventResource.resource_name,
}

Position = tuple[datetime, int]
_Row = TypeVarTuple("_Row")


def _invalid_token() -> ServiceError:
    return ServiceError("InvalidNextTokenException", "Invalid NextToken")


def _query_digest(ctx: RequestContext, params: dict[str, Any]) -> str:
    """What a token belongs to: the same caller scope and the same filters."""
    scope = [ctx.account_id, ctx.region, params.get("LookupAttributes"), params.get("StartTime"),
             params.get("EndTime"), params.get("EventCategory")]
    return hashlib.sha256(orjson.dumps(scope, default=str)).hexdigest()[:32]


def _encode_token(ctx: RequestContext, params: dict[str, Any], position: Position) -> str:
    payload = orjson.dumps({"q": _query_digest(ctx, params), "t": aware(position[0]).isoformat(), "s": position[1]})
    return base64.urlsafe_b64encode(runtime_of(ctx).barrier.seal(payload, TOKEN_LOCATOR)).decode()


def _decode_token(ctx: RequestContext, params: dict[str, Any], token: str) -> Position:
    try:
        sealed = base64.urlsafe_b64decode(token.encode())
        payload = orjson.loads(runtime_of(ctx).barrier.open_token(sealed, TOKEN_LOCATOR))
        if payload["q"] != _query_digest(ctx, params):
            raise _invalid_token()
        return datetime.fromisoformat(payload["t"]), int(payload["s"])
    except (BarrierError, binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise _invalid_token() from None


def _time_range(ctx: RequestContext, params: dict[str, Any]) -> tuple[datetime, datetime]:
    now = runtime_of(ctx).clock.now()
    start = aware(params["StartTime"]) if params.get("StartTime") is not None else None
    end = aware(params["EndTime"]) if params.get("EndTime") is not None else None
    if start is not None and end is not None and start > end:
        raise ServiceError("InvalidTimeRangeException", "Start time must be before end time.")
    return max(start or now - HISTORY, now - HISTORY), min(end or now, now)


def _newest_first(query: Select[*_Row], time_column: Any, seq_column: Any, start: datetime, end: datetime,
                  after: Position | None, limit: int) -> Select[*_Row]:
    query = query.where(time_column >= start, time_column <= end)
    if after is not None:
        # The plain bound lets the index range narrow; the row comparison places ties exactly.
        query = query.where(time_column <= after[0], tuple_(time_column, seq_column) < tuple_(after[0], after[1]))
    return query.order_by(time_column.desc(), seq_column.desc()).limit(limit)


def _by_resource(session: Session, ctx: RequestContext, key: str, value: str, start: datetime, end: datetime,
                 after: Position | None, limit: int) -> list[int]:
    """Seqs of the page's events that name the resource: from the index, and from events not indexed yet."""
    indexed_up_to = resource_index.watermark(session)
    positions = _indexed(session, ctx, key, value, start, end, after, limit)
    positions.update(_not_indexed_yet(session, ctx, key, value, start, end, after, limit, indexed_up_to))
    ordered = sorted(positions.items(), key=lambda item: (item[1], item[0]), reverse=True)
    return [seq for seq, _when in ordered[:limit]]


def _indexed(session: Session, ctx: RequestContext, key: str, value: str, start: datetime, end: datetime,
             after: Position | None, limit: int) -> dict[int, datetime]:
    """The newest `limit` indexed events naming the resource, by seq. A name the index may store alike
    for another (see `resource_index.stored_name`) is checked against each event's record, page by page
    until `limit` are found or the index has no more."""
    column = _RESOURCE_COLUMNS[key]
    checked = resource_index.shares_stored_name(value)
    positions: dict[int, datetime] = {}
    while True:
        # An event is indexed once per name of each resource: distinct, so a page holds `limit` events.
        found = session.execute(_newest_first(
            select(CloudTrailEventResource.event_time, CloudTrailEventResource.seq).distinct().where(
                CloudTrailEventResource.account_id == ctx.account_id, CloudTrailEventResource.region == ctx.region,
                column == resource_index.stored_name(value)),
            CloudTrailEventResource.event_time, CloudTrailEventResource.seq, start, end, after, limit,
        )).all()
        page = {seq: aware(when) for when, seq in found}
        if not checked:
            return page
        records = session.execute(select(AuditEvent.seq, AuditEvent.record).where(AuditEvent.seq.in_(page))).all()
        positions.update((seq, page[seq]) for seq, record in records if _names(orjson.loads(record), key, value))
        if len(found) < limit or len(positions) >= limit:
            return positions
        after = min((when, seq) for seq, when in page.items())


def _not_indexed_yet(session: Session, ctx: RequestContext, key: str, value: str, start: datetime, end: datetime,
                     after: Position | None, limit: int, indexed_up_to: int) -> dict[int, datetime]:
    """The newest `limit` events above the index's watermark naming the resource, by seq. They are few
    while the indexer keeps up; however many they are, every one is read. The store hands over only
    records that hold the name as JSON writes it; the seq range is the only condition it can use an index
    for, so that it reads the tail by primary key and never an account's whole history."""
    query = select(AuditEvent.event_time, AuditEvent.seq, AuditEvent.account_id, AuditEvent.region,
                   AuditEvent.record).where(
        AuditEvent.seq > indexed_up_to,
        AuditEvent.record.contains(orjson.dumps(value).decode()[1:-1], autoescape=True),
    ).execution_options(yield_per=1000)
    newest: list[tuple[datetime, int]] = []
    for when, seq, account_id, region, record in session.execute(query):
        moment = aware(when)
        if (account_id != ctx.account_id or region != ctx.region or not start <= moment <= end
                or (after is not None and (moment, seq) >= after) or not _names(orjson.loads(record), key, value)):
            continue
        heapq.heappush(newest, (moment, seq))
        if len(newest) > limit:
            heapq.heappop(newest)
    return {seq: moment for moment, seq in newest}


def _names(record: dict[str, Any], key: str, value: str) -> bool:
    """Whether an event's record names a resource of this type (ResourceType) or name (ResourceName)."""
    index = 0 if key == "ResourceType" else 1
    return any(pair[index] == value for pair in resource_index.resources_of(record))


def _event_shape(row: AuditEvent) -> dict[str, Any]:
    record = orjson.loads(row.record)
    event: dict[str, Any] = {
        "EventId": row.event_id,
        "EventName": row.event_name,
        "ReadOnly": "true" if row.read_only else "false",
        "EventTime": aware(row.event_time),
        "EventSource": row.event_source,
        "Resources": [{"ResourceType": item.get("type"), "ResourceName": item.get("ARN")}
                      for item in record.get("resources") or []],
        "CloudTrailEvent": row.record,
    }
    if row.access_key_id:
        event["AccessKeyId"] = row.access_key_id
    if row.username:
        event["Username"] = row.username
    return event


@service.operation("LookupEvents")
def lookup_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise ServiceError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    start, end = _time_range(ctx, params)
    limit = params.get("MaxResults", DEFAULT_MAX_RESULTS)
    token = params.get("NextToken")
    after = _decode_token(ctx, params, token) if token else None
    if params.get("EventCategory") == "insight":
        return {"Events": []}  # no Insights events are recorded
    with transaction(ctx) as session:
        if attributes and attributes[0]["AttributeKey"] in _RESOURCE_COLUMNS:
            attribute = attributes[0]
            seqs = _by_resource(session, ctx, attribute["AttributeKey"], attribute["AttributeValue"],
                                start, end, after, limit + 1)
            rows = list(session.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs)))) if seqs else []
            rows.sort(key=lambda row: (aware(row.event_time), row.seq), reverse=True)
        else:
            query = select(AuditEvent).where(AuditEvent.account_id == ctx.account_id, AuditEvent.region == ctx.region)
            if attributes:
                key, value = attributes[0]["AttributeKey"], attributes[0]["AttributeValue"]
                query = query.where(_attribute_condition(key, value))
            rows = list(session.scalars(_newest_first(query, AuditEvent.event_time, AuditEvent.seq,
                                                      start, end, after, limit + 1)))
    answer: dict[str, Any] = {"Events": [_event_shape(row) for row in rows[:limit]]}
    if len(rows) > limit:
        last = rows[limit - 1]
        answer["NextToken"] = _encode_token(ctx, params, (aware(last.event_time), last.seq))
    return answer


def _attribute_condition(key: str, value: str) -> Any:
    if key == "ReadOnly":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            return false()
        return AuditEvent.read_only == (lowered == "true")
    return _COLUMNS[key] == value


