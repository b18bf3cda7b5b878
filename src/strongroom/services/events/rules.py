"""Rules: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule/DisableRule, ListRuleNamesByTarget,
and TestEventPattern, which answers with the same matcher rules use.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.schedule_expressions import InvalidSchedule
from strongroom.services.events.patterns import InvalidEventPattern, parse_event_pattern
from strongroom.services.events.plugin import (
    DEFAULT_BUS,
    bus_name_of,
    bus_resource,
    note_resource,
    paged,
    require_bus,
    rule_arn,
    rule_resource,
    runtime_of,
    service,
    transaction,
)
from strongroom.services.events.routing import ENABLED, rule_cache
from strongroom.services.events.schedules import INVALID, rule_schedule
from strongroom.services.events.tables import EventRule, EventTag, EventTarget
from strongroom.services.events.tags import add_tags

RULE_TYPE = "AWS::Events::Rule"
MAX_RULES_PER_BUS = 300
EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def rule_not_found(name: str, bus: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus}.")


def require_rule(ctx: RequestContext, session: Session, bus: str, name: str) -> EventRule:
    row = session.get(EventRule, (ctx.account_id, ctx.region, bus, name))
    if row is None:
        raise rule_not_found(name, bus)
    return row


def checked_pattern(text: str) -> None:
    try:
        parse_event_pattern(text)
    except InvalidEventPattern as exc:
        raise ServiceError("InvalidEventPatternException", str(exc)) from None


def describe_rule_row(row: EventRule) -> dict[str, Any]:
    described: dict[str, Any] = {"Name": row.name, "Arn": row.arn, "State": row.state, "EventBusName": row.bus_name}
    for member, value in (("EventPattern", row.event_pattern), ("ScheduleExpression", row.schedule_expression),
                          ("Description", row.description), ("RoleArn", row.role_arn)):
        if value:
            described[member] = value
    return described


@service.operation("PutRule", resources=rule_resource())
def put_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    pattern, schedule = params.get("EventPattern"), params.get("ScheduleExpression")
    if not pattern and not schedule:
        raise ServiceError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if pattern:
        checked_pattern(pattern)
    now = runtime_of(ctx).clock.now()
    next_fire = None
    if schedule:
        if bus != DEFAULT_BUS:
            raise ServiceError("ValidationException",
                               "ScheduleExpression is supported only on the default event bus.")
        try:
            next_fire = rule_schedule(schedule).next_after(now)
        except InvalidSchedule:
            raise ServiceError("ValidationException", INVALID) from None
    name = params["Name"]
    arn = rule_arn(ctx.region, ctx.account_id, bus, name)
    with transaction(ctx) as session:
        require_bus(session, ctx.account_id, ctx.region, bus)
        row = session.get(EventRule, (ctx.account_id, ctx.region, bus, name))
        if row is None:
            count = session.scalar(select(func.count()).select_from(EventRule).where(
                EventRule.account_id == ctx.account_id, EventRule.region == ctx.region, EventRule.bus_name == bus))
            if (count or 0) >= MAX_RULES_PER_BUS:
                raise ServiceError("LimitExceededException", "The requested resource exceeds the maximum number "
                                   "allowed.")
            row = EventRule(account_id=ctx.account_id, region=ctx.region, bus_name=bus, name=name, arn=arn,
                            created_by=ctx.account_id, created_at=now)
            session.add(row)
            tags = params.get("Tags", [])
        else:
            tags = []
        row.event_pattern = pattern or None
        row.schedule_expression = schedule or None
        row.state = params.get("State", ENABLED)
        row.description = params.get("Description")
        row.role_arn = params.get("RoleArn")
        row.next_fire_at = next_fire
        add_tags(session, arn, tags)
    rule_cache.forget(ctx.account_id, ctx.region, bus)
    note_resource(ctx, RULE_TYPE, arn)
    return {"RuleArn": arn}


@service.operation("DescribeRule", resources=rule_resource())
def describe_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        row = require_rule(ctx, session, bus, params["Name"])
        described = describe_rule_row(row)
    described["CreatedBy"] = row.created_by
    return described


@service.operation("ListRules", resources=bus_resource())
def list_rules(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        require_bus(session, ctx.account_id, ctx.region, bus)
        query = select(EventRule).where(EventRule.account_id == ctx.account_id, EventRule.region == ctx.region,
                                        EventRule.bus_name == bus)
        if "NamePrefix" in params:
            query = query.where(EventRule.name.startswith(params["NamePrefix"], autoescape=True))
        rows, more = paged(session, query, EventRule.name, params)
        return {"Rules": [describe_rule_row(row) for row in rows], **more}


@service.operation("DeleteRule", resources=rule_resource())
def delete_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        row = session.get(EventRule, (ctx.account_id, ctx.region, bus, params["Name"]))
        if row is None:
            return {}
        targets = session.scalar(select(func.count()).select_from(EventTarget).where(
            EventTarget.account_id == ctx.account_id, EventTarget.region == ctx.region,
            EventTarget.bus_name == bus, EventTarget.rule_name == row.name))
        if targets and not params.get("Force"):
            raise ServiceError("ValidationException", "Rule can't be deleted since it has targets.")
        session.execute(delete(EventTarget).where(
            EventTarget.account_id == ctx.account_id, EventTarget.region == ctx.region,
            EventTarget.bus_name == bus, EventTarget.rule_name == row.name))
        session.execute(delete(EventTag).where(EventTag.resource_arn == row.arn))
        session.delete(row)
    rule_cache.forget(ctx.account_id, ctx.region, bus)
    return {}


def _set_state(ctx: RequestContext, params: dict[str, Any], state: str) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        row = require_rule(ctx, session, bus, params["Name"])
        row.state = state
        if state == ENABLED and row.schedule_expression:
            now = runtime_of(ctx).clock.now()
            row.next_fire_at = rule_schedule(row.schedule_expression).next_after(now)
    rule_cache.forget(ctx.account_id, ctx.region, bus)
    return {}


@service.operation("EnableRule", resources=rule_resource())
def enable_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, params, ENABLED)


@service.operation("DisableRule", resources=rule_resource())
def disable_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, params, "DISABLED")


@service.operation("ListRuleNamesByTarget", resources=bus_resource())
def list_rule_names_by_target(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        query = select(EventTarget).where(
            EventTarget.account_id == ctx.account_id, EventTarget.region == ctx.region,
            EventTarget.bus_name == bus, EventTarget.arn == params["TargetArn"])
        rows, more = paged(session, query, EventTarget.rule_name, params)
        return {"RuleNames": [row.rule_name for row in rows], **more}


@service.operation("TestEventPattern")
def test_event_pattern(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        pattern = parse_event_pattern(params["EventPattern"])
    except InvalidEventPattern as exc:
        raise ServiceError("InvalidEventPatternException", str(exc)) from None
    try:
        event = json.loads(params["Event"])
    except ValueError:
        event = None
    if not isinstance(event, dict) or any(member not in event for member in EVENT_FIELDS):
        raise ServiceError("ValidationException", "Parameter Event is not valid.")
    return {"Result": pattern.matches(event)}
