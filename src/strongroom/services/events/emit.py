"""How Strongroom's services put AWS events on an account's default bus.

`emit` puts one event (a KMS key scheduled for deletion, a secret's rotation outcome, ...) with
the `source` and `detail-type` AWS uses. `on_api_call` turns a call's audit record into the
"AWS API Call via CloudTrail" event; it costs nothing but a dictionary lookup while no rule on that
account and region's default bus could match (see `routing.RuleCache`). Neither raises: an event
that cannot be routed is logged, and the call that caused it is not failed for it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from strongroom.services.base import AuditListener
from strongroom.services.events.delivery import deliver_soon
from strongroom.services.events.plugin import DEFAULT_BUS
from strongroom.services.events.routing import ACTIVE_STATES, ALL_MANAGEMENT_EVENTS, new_event, route_event, rule_cache

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.events.emit")

API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"


def emit(runtime: Runtime, *, account_id: str, region: str, source: str, detail_type: str, detail: dict[str, Any],
         resources: list[str], time: datetime, session: Session | None = None) -> None:
    """Put an AWS event on the default bus; inside `session`'s transaction when one is given."""
    event = new_event(account_id=account_id, region=region, source=source, detail_type=detail_type, detail=detail,
                      resources=resources, time=time.astimezone(UTC))
    if session is not None:
        # Queued with the caller's change; the scheduled delivery task sends them after it commits.
        route_event(session, account_id, region, DEFAULT_BUS, event, runtime.clock.now())
        return
    _route_alone(runtime, account_id, region, event, ACTIVE_STATES)


def on_api_call(runtime: Runtime, record: dict[str, Any]) -> None:
    """Route the "AWS API Call via CloudTrail" event of an audited call, when any rule could want it.

    As EventBridge does, read-only calls only reach rules in state
    ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
    """
    account_id, region = record.get("recipientAccountId") or "", record.get("awsRegion") or ""
    if not account_id or not region:
        return
    try:
        known = rule_cache.known(account_id, region, DEFAULT_BUS)
        if known is None:
            # Looked up in a read of its own: most buses have no rules, and finding that out must not
            # take the store's write lock (which routing an event does).
            with runtime.database.session() as session:
                known = rule_cache.has_rules(account_id, region, DEFAULT_BUS, lambda: session)
        if not known:
            return
        source = "aws." + str(record.get("eventSource", "")).split(".", 1)[0]
        when = datetime.fromisoformat(str(record["eventTime"]))
        event = new_event(account_id=account_id, region=region, source=source, detail_type=API_CALL_DETAIL_TYPE,
                          detail=record, resources=[], time=when)
        states = (ALL_MANAGEMENT_EVENTS,) if record.get("readOnly") else ACTIVE_STATES
        _route_alone(runtime, account_id, region, event, states)
    except Exception:
        log.exception("the API call event of request %s could not be routed", record.get("requestID"))


def _route_alone(runtime: Runtime, account_id: str, region: str, event: dict[str, Any],
                 states: tuple[str, ...]) -> None:
    try:
        with runtime.database.session(writes=True) as session:
            queued = route_event(session, account_id, region, DEFAULT_BUS, event, runtime.clock.now(), states=states)
    except Exception:
        log.exception("event %s could not be routed", event["id"])
        return
    deliver_soon(runtime, queued)


class ApiCallEvents(AuditListener):
    """The pipeline's hook: every durable audit record may become an "AWS API Call via CloudTrail" event."""

    def wants(self, record: dict[str, Any]) -> bool:
        account_id, region = record.get("recipientAccountId"), record.get("awsRegion")
        # Only a bus known to have no pattern rules is skipped without looking.
        return bool(account_id and region) and rule_cache.known(str(account_id), str(region), DEFAULT_BUS) is not False

    def receive(self, runtime: Runtime, record: dict[str, Any]) -> None:
        on_api_call(runtime, record)
