"""Event buses: Create/Delete/Describe/List/UpdateEventBus, and PutPermission/RemovePermission, which
edit the bus's resource policy (who in other accounts may put events on it). The users and roles a
policy names must exist; they are bound to their unique ids when it is saved
(strongroom.auth.policy.binding).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.auth.policy.binding import kept_bindings, loaded_bindings, stored_bindings
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.events.plugin import (
    DEFAULT_BUS,
    add_named,
    after_token,
    aware,
    bus_arn,
    bus_name_of,
    bus_resource,
    creating,
    existing_buses,
    find_bus,
    note_resource,
    page_token,
    require_bus,
    runtime_of,
    service,
    transaction,
)
from strongroom.services.events.tables import EventBus, EventRule, EventTag
from strongroom.services.events.tags import add_tags
from strongroom.services.iam.principal_ids import UnknownPrincipal, bind_principals, shown, shown_many

MAX_POLICY_LENGTH = 10240
BUS_TYPE = "AWS::Events::EventBus"


def _describe(row: EventBus, policy: str | None) -> dict[str, Any]:
    """The bus, with its policy as read back (see principal_ids.shown)."""
    described: dict[str, Any] = {"Name": row.name, "Arn": row.arn}
    if row.description:
        described["Description"] = row.description
    if policy:
        described["Policy"] = policy
    if row.name != DEFAULT_BUS or row.created_at.year > 1970:
        described["CreationTime"] = aware(row.created_at)
        described["LastModifiedTime"] = aware(row.modified_at)
    return described


@service.operation("CreateEventBus", resources=bus_resource("Name"))
def create_event_bus(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    if "EventSourceName" in params:
        raise ServiceError("ResourceNotFoundException", f"Event source {params['EventSourceName']} does not exist.")
    if name == DEFAULT_BUS or "/" in name:
        if name == DEFAULT_BUS:
            raise ServiceError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
        raise ServiceError("ValidationException", "Event bus name must not contain '/'.")
    now = runtime_of(ctx).clock.now()
    row = EventBus(account_id=ctx.account_id, region=ctx.region, name=name,
                   arn=bus_arn(ctx.region, ctx.account_id, name), description=params.get("Description"),
                   policy=None, created_at=now, modified_at=now)
    exists = ServiceError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    with creating(ctx, exists) as session:
        add_named(ctx, session, row, exists)
        session.flush()
        add_tags(session, row.arn, params.get("Tags", []))
    note_resource(ctx, BUS_TYPE, row.arn)
    output: dict[str, Any] = {"EventBusArn": row.arn}
    if row.description:
        output["Description"] = row.description
    return output


@service.operation("DescribeEventBus", resources=bus_resource("Name"))
def describe_event_bus(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = bus_name_of(ctx, params.get("Name"))
    with transaction(ctx) as session:
        row = require_bus(session, ctx.account_id, ctx.region, name)
        policy = shown(session, row.policy, row.policy_principals) if row.policy else None
    return _describe(row, policy)


@service.operation("UpdateEventBus", resources=bus_resource("Name"))
def update_event_bus(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = bus_name_of(ctx, params.get("Name"))
    with transaction(ctx) as session:
        row = _stored_bus(ctx, session, name)
        if "Description" in params:
            row.description = params["Description"]
            row.modified_at = runtime_of(ctx).clock.now()
        output: dict[str, Any] = {"Arn": row.arn, "Name": row.name}
        if row.description:
            output["Description"] = row.description
    return output


@service.operation("DeleteEventBus", resources=bus_resource("Name"))
def delete_event_bus(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    if name == DEFAULT_BUS:
        raise ServiceError("ValidationException", "Cannot delete event bus default.")
    with transaction(ctx) as session:
        row = session.get(EventBus, (ctx.account_id, ctx.region, name))
        if row is None:
            return {}
        rules = session.scalar(select(func.count()).select_from(EventRule).where(
            EventRule.account_id == ctx.account_id, EventRule.region == ctx.region, EventRule.bus_name == name))
        if rules:
            raise ServiceError("ValidationException", f"Event bus {name} still has rules; delete them first.")
        session.execute(delete(EventTag).where(EventTag.resource_arn == row.arn))
        session.delete(row)
    return {}


@service.operation("ListEventBuses")
def list_event_buses(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = params.get("NamePrefix", "")
    after = after_token(params.get("NextToken"))
    limit = params.get("Limit") or 100
    with transaction(ctx) as session:
        query = existing_buses(session, ctx.account_id, ctx.region)
        rows = {row.name: row for row in session.scalars(query)}
        if DEFAULT_BUS not in rows:
            default = find_bus(session, ctx.account_id, ctx.region, DEFAULT_BUS)
            assert default is not None
            rows[DEFAULT_BUS] = default
        names = sorted(name for name in rows if name.startswith(prefix) and (after is None or name > after))
        listed = [rows[name] for name in names[:limit]]
        policies = shown_many(session, [(row.policy or "", row.policy_principals) for row in listed])
    described = [_describe(row, policy) for row, policy in zip(listed, policies, strict=True)]
    output: dict[str, Any] = {"EventBuses": described}
    if len(names) > limit:
        output["NextToken"] = page_token(names[limit - 1])
    return output


def _stored_bus(ctx: RequestContext, session: Any, name: str) -> EventBus:
    """The bus's row, storing the implicit default bus's row on first use."""
    row = require_bus(session, ctx.account_id, ctx.region, name)
    if name == DEFAULT_BUS and session.get(EventBus, (ctx.account_id, ctx.region, name)) is None:
        now = runtime_of(ctx).clock.now()
        row.created_at = row.modified_at = now
        session.add(row)
        session.flush()
    return row


def _statements(policy: str | None) -> list[dict[str, Any]]:
    if not policy:
        return []
    statements = json.loads(policy).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _permission_statement(ctx: RequestContext, params: dict[str, Any], resource: str) -> dict[str, Any]:
    missing = [member for member in ("Action", "Principal", "StatementId") if member not in params]
    if missing:
        raise ServiceError("ValidationException", f"Parameter(s) {', '.join(missing)} must be specified.")
    if params["Action"] != "events:PutEvents":
        raise ServiceError("ValidationException", "Provided value in parameter 'action' is not supported.")
    principal = params["Principal"]
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": "events:PutEvents",
        "Resource": resource,
    }
    condition = params.get("Condition")
    if condition is not None:
        statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
    return statement


def _bound(session: Session, policy: str) -> str | None:
    """The stored bindings of a checked policy's users and roles, which must exist."""
    try:
        return stored_bindings(bind_principals(session, policy))
    except UnknownPrincipal as unknown:
        # EventBridge's wording for a principal that does not exist is not documented: its words for
        # a policy it cannot accept, naming the principal as IAM does.
        raise ServiceError("ValidationException",
                           f'The policy is not valid: Invalid principal in policy: "AWS":"{unknown.arn}"') from None


@service.operation("PutPermission", resources=bus_resource())
def put_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        row = _stored_bus(ctx, session, name)
        if "Policy" in params:
            policy = params["Policy"]
        else:
            statement = _permission_statement(ctx, params, row.arn)
            kept = [item for item in _statements(row.policy) if item.get("Sid") != statement["Sid"]]
            policy = json.dumps({"Version": "2012-10-17", "Statement": [*kept, statement]})
        if len(policy) > MAX_POLICY_LENGTH:
            raise ServiceError("PolicyLengthExceededException", "The event bus policy is too long.")
        try:
            PolicyDocument.parse(policy, kind=PolicyKind.RESOURCE)
        except MalformedPolicy as exc:
            raise ServiceError("ValidationException", f"The policy is not valid: {exc}") from None
        if "Policy" in params:
            principals = _bound(session, policy)
        else:
            # The statement added names an account or everyone: the others keep their bindings.
            principals = kept_bindings(loaded_bindings(row.policy_principals), policy)
        row.policy, row.policy_principals = policy, principals
        row.modified_at = runtime_of(ctx).clock.now()
    note_resource(ctx, BUS_TYPE, row.arn)
    return {}


@service.operation("RemovePermission", resources=bus_resource())
def remove_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = bus_name_of(ctx, params.get("EventBusName"))
    with transaction(ctx) as session:
        row = require_bus(session, ctx.account_id, ctx.region, name)
        statements = _statements(row.policy)
        if params.get("RemoveAllPermissions"):
            if row.policy is None:
                raise ServiceError("ResourceNotFoundException", "EventBus does not have a policy.")
            kept: list[dict[str, Any]] = []
        else:
            sid = params.get("StatementId")
            if sid is None:
                raise ServiceError("ValidationException", "Parameter StatementId must be specified.")
            kept = [item for item in statements if item.get("Sid") != sid]
            if len(kept) == len(statements):
                raise ServiceError("ResourceNotFoundException", "Statement with the provided id does not exist.")
        row.policy = json.dumps({"Version": "2012-10-17", "Statement": kept}) if kept else None
        row.policy_principals = kept_bindings(loaded_bindings(row.policy_principals), row.policy)
        row.modified_at = runtime_of(ctx).clock.now()
    return {}
