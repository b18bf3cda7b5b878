"""EventBridge's scheduled tasks, in the order they run: fire scheduled rules, drain the outboxes other
services write events to, authorize OAuth connections, then deliver whatever is due.

Each is safe on several workers or nodes: a rule's firing and an outbox row are claimed by a
conditional update or delete, deliveries by a lease (see `delivery`).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, Table, delete, inspect, select, update

from strongroom.schedule_expressions import InvalidSchedule
from strongroom.services.events.api_calls import bearer_token
from strongroom.services.events.connections import AUTHORIZING, open_auth
from strongroom.services.events.delivery import deliver_due
from strongroom.services.events.plugin import DEFAULT_BUS, aware, service
from strongroom.services.events.routing import ENABLED, event_time_text, new_event, queue_for_rule, route_event
from strongroom.services.events.schedules import rule_schedule
from strongroom.services.events.tables import EventConnection, EventRule

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.events.tasks")

BATCH = 100
OUTBOXES = ("ssm_event_outbox",)
_outbox_tables: dict[tuple[int, str], Table] = {}


@service.task("schedules")
def fire_schedules(runtime: Runtime) -> None:
    """Every enabled scheduled rule that is due fires once (missed firings are not made up)."""
    now = runtime.clock.now()
    with runtime.database.session() as session:
        due = list(session.scalars(select(EventRule).where(
            EventRule.next_fire_at <= now, EventRule.state == ENABLED,
            EventRule.schedule_expression.is_not(None)).limit(BATCH)))
    for rule in due:
        assert rule.next_fire_at is not None and rule.schedule_expression is not None
        fired_at = aware(rule.next_fire_at)
        try:
            following = rule_schedule(rule.schedule_expression).next_after(now, fired_at)
        except InvalidSchedule:
            following = None
        with runtime.database.session() as session:
            claimed = session.connection().execute(update(EventRule).where(
                EventRule.account_id == rule.account_id, EventRule.region == rule.region,
                EventRule.bus_name == rule.bus_name, EventRule.name == rule.name,
                EventRule.next_fire_at == rule.next_fire_at,
            ).values(next_fire_at=following)).rowcount
            if claimed != 1:
                continue
            event = new_event(account_id=rule.account_id, region=rule.region, source="aws.events",
                              detail_type="Scheduled Event", detail={}, resources=[rule.arn], time=fired_at)
            event["time"] = event_time_text(fired_at)
            queue_for_rule(session, rule, event, now)


def _outbox(runtime: Runtime, name: str) -> Table | None:
    key = (id(runtime), name)
    if key not in _outbox_tables:
        engine = runtime.database.engine
        if not inspect(engine).has_table(name):
            return None
        _outbox_tables[key] = Table(name, MetaData(), autoload_with=engine)
    return _outbox_tables[key]


@service.task("outboxes")
def drain_outboxes(runtime: Runtime) -> None:
    """Events other services wrote to their outbox tables, put on the default bus in order, once each."""
    for name in OUTBOXES:
        table = _outbox(runtime, name)
        if table is not None:
            _drain(runtime, table)


def _drain(runtime: Runtime, table: Table) -> None:
    with runtime.database.session() as session:
        rows = list(session.execute(select(table).order_by(table.c.seq).limit(BATCH)).mappings())
    for row in rows:
        with runtime.database.session() as session:
            if session.connection().execute(delete(table).where(table.c.seq == row["seq"])).rowcount != 1:
                continue  # another worker took it
            event = _outbox_event(row)
            route_event(session, event["account"], event["region"], DEFAULT_BUS, event, runtime.clock.now())


def _outbox_event(row: Any) -> dict[str, Any]:
    event = new_event(account_id=row["account_id"], region=row["region"], source=row["source"],
                      detail_type=row["detail_type"], detail=json.loads(row["detail"]),
                      resources=json.loads(row["resources"]), time=aware(row["time"]))
    event["id"] = row["event_id"]
    return event


@service.task("oauth")
def authorize_connections(runtime: Runtime) -> None:
    """OAuth connections still AUTHORIZING get their first token."""
    with runtime.database.session() as session:
        pending = list(session.scalars(select(EventConnection).where(
            EventConnection.state == AUTHORIZING).limit(BATCH)))
    for connection in pending:
        auth = open_auth(runtime, connection)
        if auth is not None:
            bearer_token(runtime, connection, auth)


@service.task("deliveries")
def deliver(runtime: Runtime) -> None:
    deliver_due(runtime)
