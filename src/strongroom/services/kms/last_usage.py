"""GetKeyLastUsage, and the recording of each key's last successful cryptographic operation.

Recording wraps the handlers of the tracked operations: once a handler has returned (the operation
succeeded), every key the call touched gets its last use written, in the transaction that stores the
call's audit record. To stay cheap under load, a worker
skips the write when it wrote the same operation for that key less than a minute before, so the
stored timestamp may lag by up to a minute while the operation is unchanged. The CloudTrail event id
is looked up in the audit store when asked for: it is created after the handler returns.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Executable, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from strongroom.audit.writer import COMPANIONS, Companion
from strongroom.context import RequestContext
from strongroom.lru import LRUCache
from strongroom.services.base import Handler

# The modules whose handlers are wrapped must have registered them first.
from strongroom.services.kms import crypto_ops, encapsulation_ops, signing_ops  # noqa: F401
from strongroom.services.kms.metadata import aware
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.rotation_tables import KmsKeyLastUsage
from strongroom.services.kms.store import note_key, resolve_key, transaction
from strongroom.store.tables import AuditEvent

TRACKED_OPERATIONS = tuple(service.model.shape_for("KeyLastUsageTrackingOperation").enum)
REWRITE_AFTER = timedelta(minutes=1)
KEY_RESOURCE = "AWS::KMS::Key"


class _RecentWrites:
    """What this worker last wrote per key, to skip repeated writes of the same operation."""

    def __init__(self, capacity: int = 10_000) -> None:
        # Per key: the operation last written, and until when the same operation is not written again.
        self._entries: LRUCache[tuple[str, str, str], tuple[str, datetime]] = LRUCache(capacity)
        self._lock = threading.Lock()  # a key's entry is read, then written

    def due(self, name: tuple[str, str, str], operation: str, now: datetime) -> bool:
        # Most calls find a recent write: they only read, and a read of the dict needs no lock.
        last = self._entries.get(name)
        if last is not None and last[0] == operation and now < last[1]:
            return False
        with self._lock:
            last = self._entries.get(name)
            if last is not None and last[0] == operation and now < last[1]:
                return False
            self._entries.put(name, (operation, now + REWRITE_AFTER))
            return True


_recent = _RecentWrites()


@functools.lru_cache(maxsize=4096)
def _key_scope(arn: str) -> tuple[str, str, str] | None:
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("key/"):
        return None
    return parts[4], parts[3], parts[5][len("key/") :]


def _upsert_statement(dialect: str) -> Executable:
    """The last-use upsert for `dialect`, its values bound at execution: one statement object per
    dialect, so SQLAlchemy compiles it once instead of building and compiling one per write."""
    statement = _upserts.get(dialect)
    if statement is None:
        inserting = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(KmsKeyLastUsage)
        new = inserting.excluded
        statement = inserting.on_conflict_do_update(
            index_elements=["account_id", "region", "key_id"],
            set_={"operation": new.operation, "used_at": new.used_at, "request_id": new.request_id},
        )
        _upserts[dialect] = statement
    return statement


_upserts: dict[str, Executable] = {}


def _upsert(scope: tuple[str, str, str], operation: str, when: datetime, request_id: str) -> Companion:
    """The last-use write, as a companion of the call's audit record (see `AuditWriter`)."""
    row = {
        "account_id": scope[0], "region": scope[1], "key_id": scope[2],
        "operation": operation, "used_at": when, "request_id": request_id,
    }

    def write(connection: Connection) -> None:
        connection.execute(_upsert_statement(connection.dialect.name), row)

    return Companion((KmsKeyLastUsage.__tablename__, *scope), write)


def record_use(ctx: RequestContext, operation: str) -> None:
    """Note `operation` as the last use of every key the request touched.

    The write goes with the call's audit record, in the same transaction, so it is durable when the
    answer leaves and the request never waits for the store's write lock itself."""
    when = ctx.received_at
    for resource in ctx.resources:
        if resource.get("type") != KEY_RESOURCE:
            continue
        scope = _key_scope(resource["ARN"])
        if scope is None or not _recent.due(scope, operation, when):
            continue
        ctx.extra.setdefault(COMPANIONS, []).append(_upsert(scope, operation, when, ctx.request_id))


def _tracked(operation: str, handler: Handler) -> Handler:
    def handle(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        answer = handler(ctx, params)
        record_use(ctx, operation)
        return answer

    return handle


for _name in TRACKED_OPERATIONS:
    _operation = service.operations.get(_name)
    if _operation is not None:
        service.operations[_name] = dataclasses.replace(_operation, handler=_tracked(_name, _operation.handler))


def _event_id(session: Session, usage: KmsKeyLastUsage, account_id: str) -> str | None:
    """The audit event of the recorded request: found by account, region, name and second, then request id."""
    second = aware(usage.used_at).replace(microsecond=0)
    candidates = session.scalars(
        select(AuditEvent).where(
            AuditEvent.account_id == account_id,
            AuditEvent.region == usage.region,
            AuditEvent.event_name == usage.operation,
            AuditEvent.event_time >= second,
            AuditEvent.event_time < second + timedelta(seconds=1),
        )
    )
    for event in candidates:
        if orjson.loads(event.record).get("requestID") == usage.request_id:
            return event.event_id
    return None


@service.operation("GetKeyLastUsage", resources=key_resource(aliases=True))
def get_key_last_usage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"], aliases=True)
        note_key(ctx, key)
        usage = session.get(KmsKeyLastUsage, (key.account_id, key.region, key.key_id))
        last: dict[str, Any] = {}
        if usage is not None:
            last = {"Operation": usage.operation, "Timestamp": aware(usage.used_at), "KmsRequestId": usage.request_id}
            event_id = _event_id(session, usage, ctx.account_id)
            if event_id is not None:
                last["CloudTrailEventId"] = event_id
        created = aware(key.created_at)
    # Tracking has run for as long as this server has served the key.
    return {"KeyId": key.arn, "KeyLastUsage": last, "TrackingStartDate": created, "KeyCreationDate": created}
