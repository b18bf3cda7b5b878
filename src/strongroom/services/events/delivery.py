"""Delivery of queued events to targets, off the request path, with retries and dead letters.

A worker claims a due delivery with a short lease (so several workers or nodes never attempt the same
delivery at once), attempts it, then deletes it (delivered), reschedules it with exponential backoff
on the server clock, or moves it to `events_dead_letters` once the target's RetryPolicy is spent
(MaximumRetryAttempts, MaximumEventAgeInSeconds) or the failure cannot be retried.
Targets: API destinations (HTTP), and event buses in this or another account (whose bus policy must
allow the sending account to put events).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from strongroom.auth.policy import AuthorizationRequest, evaluate
from strongroom.services.events.api_calls import DELIVERED, Outcome, call_api_destination
from strongroom.services.events.plugin import aware, bus_policy_document, find_bus, parse_bus_arn
from strongroom.services.events.routing import route_event
from strongroom.services.events.tables import EventDeadLetter, EventDelivery

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.events.delivery")

LEASE_SECONDS = 60
BATCH = 100
FIRST_RETRY_SECONDS = 30
MAX_BACKOFF_SECONDS = 900




def backoff(attempts: int) -> timedelta:
    """Exponential: 30 s after the first failure, doubling, at most 15 minutes."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


def _real_now() -> datetime:
    # Leases guard against concurrent workers in real time, whatever tests do to business time.
    return datetime.now(UTC)


def deliver_due(runtime: Runtime) -> int:
    """Attempt every delivery due now; how many were attempted."""
    now = runtime.clock.now()
    with runtime.database.session() as session:
        ids = list(session.scalars(select(EventDelivery.delivery_id).where(
            EventDelivery.next_attempt_at <= now,
            or_(EventDelivery.leased_until.is_(None), EventDelivery.leased_until < _real_now()),
        ).order_by(EventDelivery.next_attempt_at).limit(BATCH)))
    return sum(1 for delivery_id in ids if deliver_one(runtime, delivery_id))


def deliver_soon(runtime: Runtime, delivery_ids: list[str]) -> None:
    """Attempt just-queued deliveries on a background thread, after the request that queued them committed."""
    if not delivery_ids:
        return

    def run() -> None:
        for delivery_id in delivery_ids:
            try:
                deliver_one(runtime, delivery_id)
            except Exception:
                log.exception("delivery %s failed unexpectedly; the scheduled task will retry it", delivery_id)

    threading.Thread(target=run, name="events-delivery", daemon=True).start()


def _claim(runtime: Runtime, delivery_id: str) -> EventDelivery | None:
    now = runtime.clock.now()
    with runtime.database.session() as session:
        claimed = session.connection().execute(update(EventDelivery).where(
            EventDelivery.delivery_id == delivery_id, EventDelivery.next_attempt_at <= now,
            or_(EventDelivery.leased_until.is_(None), EventDelivery.leased_until < _real_now()),
        ).values(leased_until=_real_now() + timedelta(seconds=LEASE_SECONDS))).rowcount
        if claimed != 1:
            return None
        return session.get(EventDelivery, delivery_id)


def deliver_one(runtime: Runtime, delivery_id: str) -> bool:
    """Attempt one delivery if it is due and nobody else holds it; True if it was attempted."""
    delivery = _claim(runtime, delivery_id)
    if delivery is None:
        return False
    now = runtime.clock.now()
    if now > aware(delivery.expires_at):
        with runtime.database.session() as session:
            row = session.get(EventDelivery, delivery_id)
            if row is not None:
                _dead_letter(session, row, now, "EVENT_EXPIRED",
                             "The event is older than the target's MaximumEventAgeInSeconds.")
        return True
    if parse_bus_arn(delivery.target_arn) is not None:
        with runtime.database.session() as session:
            row = session.get(EventDelivery, delivery_id)
            if row is None:
                return False
            outcome = _to_bus(session, row, now)
            _settle(session, row, outcome, now)
        return True
    if ":api-destination/" in delivery.target_arn:
        outcome = call_api_destination(runtime, delivery)
    else:
        outcome = Outcome(code="SDK_CLIENT_ERROR",
                          message=f"Strongroom does not deliver to targets like {delivery.target_arn}.")
    with runtime.database.session() as session:
        row = session.get(EventDelivery, delivery_id)
        if row is not None:
            # Backoff counts from when the attempt began: a clock moved while it was in flight must not
            # postpone the retry.
            _settle(session, row, outcome, now)
    return True


def _settle(session: Session, row: EventDelivery, outcome: Outcome, now: datetime) -> None:
    if outcome.delivered:
        session.delete(row)
        return
    row.leased_until = None
    if outcome.deferred:
        row.next_attempt_at = now + timedelta(seconds=1)
        return
    row.attempts += 1
    row.last_error = f"{outcome.code}: {outcome.message}"
    retry_at = now + backoff(row.attempts)
    if not outcome.retryable:
        _dead_letter(session, row, now, outcome.code, outcome.message)
    elif row.attempts > row.max_retries or retry_at > aware(row.expires_at):
        _dead_letter(session, row, now, "RETRIES_EXHAUSTED",
                     f"Gave up after {row.attempts} attempts; the last failed with {outcome.code}: {outcome.message}")
    else:
        row.next_attempt_at = retry_at


def _dead_letter(session: Session, row: EventDelivery, now: datetime, code: str, message: str) -> None:
    options = json.loads(row.options)
    session.add(EventDeadLetter(
        delivery_id=row.delivery_id, account_id=row.account_id, region=row.region, rule_arn=row.rule_arn,
        target_id=row.target_id, target_arn=row.target_arn,
        dead_letter_arn=(options.get("DeadLetterConfig") or {}).get("Arn"), event_id=row.event_id,
        payload=row.payload, attempts=row.attempts, error_code=code, error_message=message, created_at=now,
    ))
    session.delete(row)
    log.warning("event %s to target %s of %s dead-lettered: %s", row.event_id, row.target_id, row.rule_arn, code)


def _to_bus(session: Session, row: EventDelivery, now: datetime) -> Outcome:
    """Put the event on another bus, in this transaction: its rules' deliveries are queued with it."""
    parsed = parse_bus_arn(row.target_arn)
    assert parsed is not None
    region, account, name = parsed
    event: dict[str, Any] = json.loads(row.event)
    bus = find_bus(session, account, region, name)
    if bus is None:
        return Outcome(code="NO_RESOURCE", message=f"Event bus {name} does not exist.")
    if account != row.account_id:
        if event.get("account") not in (row.account_id, account):
            return Outcome(code="THIRD_ACCOUNT_HOP_DETECTED",
                           message="An event may cross one account boundary only.")
        request = AuthorizationRequest(
            principal_arn=f"arn:aws:iam::{row.account_id}:root", principal_account=row.account_id,
            action="events:PutEvents", resource=bus.arn, principal_is_root=True, resource_account=account)
        decision = evaluate(request, resource_policy=bus_policy_document(bus))
        if not decision.allowed:
            return Outcome(code="NO_PERMISSIONS", message=f"Account {row.account_id} may not put events on {bus.arn}.")
    route_event(session, account, region, name, event, now)
    return DELIVERED
