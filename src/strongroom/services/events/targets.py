"""Targets of rules: PutTargets, RemoveTargets, ListTargetsByRule.

A target is kept as the Target structure PutTargets received; what it receives per event
(Input/InputPath/InputTransformer) is worked out when an event matches (see `transform`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.events.plugin import bus_arn, bus_name_of, paged, rule_resource, service, transaction
from strongroom.services.events.rules import require_rule
from strongroom.services.events.tables import EventTarget
from strongroom.services.events.transform import InvalidTransform, check_target_input

MAX_TARGETS_PER_RULE = 5


def _check_target(target: dict[str, Any], rule_bus_arn: str) -> None:
    try:
        check_target_input(target["Id"], target)
    except InvalidTransform as exc:
        raise ServiceError("ValidationException", str(exc)) from None
    if target["Arn"] == rule_bus_arn:
        raise ServiceError("ValidationException", "The target cannot be the event bus the rule is on.")
    retry = target.get("RetryPolicy") or {}
    if not 0 <= retry.get("MaximumRetryAttempts", 0) <= 185:
        raise ServiceError("ValidationException", "MaximumRetryAttempts must be between 0 and 185.")
    if not 60 <= retry.get("MaximumEventAgeInSeconds", 60) <= 86400:
        raise ServiceError("ValidationException", "MaximumEventAgeInSeconds must be between 60 and 86400.")


@service.operation("PutTargets", resources=rule_resource("Rule"))
def put_targets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    targets = params["Targets"]
    ids = [target["Id"] for target in targets]
    if len(set(ids)) != len(ids):
        raise ServiceError("ValidationException", "Target ids must be unique in one request.")
    for target in targets:
        _check_target(target, bus_arn(ctx.region, ctx.account_id, bus))
    with transaction(ctx) as session:
        rule = require_rule(ctx, session, bus, params["Rule"])
        existing = {row.target_id: row for row in session.scalars(select(EventTarget).where(
            EventTarget.account_id == ctx.account_id, EventTarget.region == ctx.region,
            EventTarget.bus_name == bus, EventTarget.rule_name == rule.name))}
        if len(existing.keys() | set(ids)) > MAX_TARGETS_PER_RULE:
            raise ServiceError("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
        for target in targets:
            row = existing.get(target["Id"])
            if row is None:
                row = EventTarget(account_id=ctx.account_id, region=ctx.region, bus_name=bus,
                                  rule_name=rule.name, target_id=target["Id"])
                session.add(row)
            row.arn = target["Arn"]
            row.spec = json.dumps(target)
    return {"FailedEntryCount": 0, "FailedEntries": []}


@service.operation("RemoveTargets", resources=rule_resource("Rule"))
def remove_targets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        rule = require_rule(ctx, session, bus, params["Rule"])
        session.execute(delete(EventTarget).where(
            EventTarget.account_id == ctx.account_id, EventTarget.region == ctx.region,
            EventTarget.bus_name == bus, EventTarget.rule_name == rule.name,
            EventTarget.target_id.in_(params["Ids"])))
    return {"FailedEntryCount": 0, "FailedEntries": []}


@service.operation("ListTargetsByRule", resources=rule_resource("Rule"))
def list_targets_by_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        rule = require_rule(ctx, session, bus, params["Rule"])
        query = select(EventTarget).where(
            EventTarget.account_id == ctx.account_id, EventTarget.region == ctx.region,
            EventTarget.bus_name == bus, EventTarget.rule_name == rule.name)
        rows, more = paged(session, query, EventTarget.target_id, params)
        return {"Targets": [json.loads(row.spec) for row in rows], **more}
