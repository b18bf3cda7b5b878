"""Connections: how API destinations authenticate. CreateConnection, DescribeConnection, UpdateConnection,
DeleteConnection, ListConnections, DeauthorizeConnection.

The whole AuthParameters (API key, password, client secret, secret header/query/body values) is kept
only sealed by the barrier; DescribeConnection shows a copy without any secret value. OAuth
connections stay AUTHORIZING until a token is fetched from their authorization endpoint.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import arn
from strongroom.services.events.plugin import (
    add_named,
    aware,
    creating,
    named_resource,
    paged,
    runtime_of,
    service,
    transaction,
)
from strongroom.services.events.tables import EventConnection

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

AUTHORIZED = "AUTHORIZED"
AUTHORIZING = "AUTHORIZING"
DEAUTHORIZED = "DEAUTHORIZED"
_AUTH_MEMBER = {
    "API_KEY": "ApiKeyAuthParameters",
    "BASIC": "BasicAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}
# Members whose values are secrets, wherever they appear in AuthParameters.
_SECRET_MEMBERS = ("ApiKeyValue", "Password", "ClientSecret")


def secrets_locator(connection_arn: str) -> str:
    return f"events/connection/{connection_arn}"


def not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Failed to describe the connection(s). Connection '{name}' "
                        "does not exist.")


def public_view(auth: Any) -> Any:
    """AuthParameters without secret values (parameters marked IsValueSecret keep only their key)."""
    if isinstance(auth, dict):
        shown: dict[str, Any] = {}
        for member, value in auth.items():
            if member in _SECRET_MEMBERS:
                continue
            shown[member] = public_view(value)
        if shown.get("IsValueSecret"):
            shown.pop("Value", None)
        return shown
    if isinstance(auth, list):
        return [public_view(item) for item in auth]
    return auth


def _check_auth(authorization_type: str, auth: dict[str, Any]) -> None:
    member = _AUTH_MEMBER[authorization_type]
    given = [name for name in _AUTH_MEMBER.values() if name in auth]
    if given != [member]:
        raise ServiceError("ValidationException",
                           f"{member} must be specified, and only it, for authorization type {authorization_type}.")
    parameters = auth[member]
    required = {"ApiKeyAuthParameters": ("ApiKeyName", "ApiKeyValue"), "BasicAuthParameters": ("Username", "Password"),
                "OAuthParameters": ("ClientParameters", "AuthorizationEndpoint", "HttpMethod")}[member]
    missing = [name for name in required if name not in parameters]
    if member == "OAuthParameters" and "ClientParameters" in parameters:
        missing += [name for name in ("ClientID", "ClientSecret") if name not in parameters["ClientParameters"]]
    if missing:
        raise ServiceError("ValidationException", f"{member} is missing {', '.join(missing)}.")


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(old)
    for member, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(member), dict):
            merged[member] = _merged(merged[member], value)
        else:
            merged[member] = value
    return merged


def open_auth(runtime: Runtime, row: EventConnection) -> dict[str, Any] | None:
    """The connection's whole AuthParameters, or None once deauthorized."""
    if row.sealed_secrets is None:
        return None
    result: dict[str, Any] = json.loads(runtime.barrier.open(row.sealed_secrets, secrets_locator(row.arn)))
    return result


def _summary(row: EventConnection) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "ConnectionArn": row.arn, "ConnectionState": row.state,
        "CreationTime": aware(row.created_at), "LastModifiedTime": aware(row.modified_at),
    }
    if row.authorized_at is not None:
        summary["LastAuthorizedTime"] = aware(row.authorized_at)
    return summary


def _require(ctx: RequestContext, session: Session, name: str) -> EventConnection:
    row = session.get(EventConnection, (ctx.account_id, ctx.region, name))
    if row is None:
        raise not_found(name)
    return row


def _initial_state(authorization_type: str) -> str:
    return AUTHORIZING if authorization_type == "OAUTH_CLIENT_CREDENTIALS" else AUTHORIZED


@service.operation("CreateConnection", resources=named_resource("connection"))
def create_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    authorization_type, auth = params["AuthorizationType"], params["AuthParameters"]
    _check_auth(authorization_type, auth)
    now = runtime.clock.now()
    name = params["Name"]
    connection_arn = arn("events", ctx.region, ctx.account_id, f"connection/{name}/{uuid.uuid4()}")
    state = _initial_state(authorization_type)
    row = EventConnection(
        account_id=ctx.account_id, region=ctx.region, name=name, arn=connection_arn,
        description=params.get("Description"), authorization_type=authorization_type, state=state,
        state_reason=None, auth_public=json.dumps(public_view(auth)),
        sealed_secrets=runtime.barrier.seal(json.dumps(auth).encode(), secrets_locator(connection_arn)),
        sealed_token=None, token_expires_at=None, created_at=now, modified_at=now,
        authorized_at=now if state == AUTHORIZED else None,
    )
    exists = ServiceError("ResourceAlreadyExistsException", f"Connection {name} already exists.")
    with creating(ctx, exists) as session:
        add_named(ctx, session, row, exists)
    return _summary(row)


@service.operation("DescribeConnection", resources=named_resource("connection"))
def describe_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        row = _require(ctx, session, params["Name"])
    described = {**_summary(row), "Name": row.name, "AuthorizationType": row.authorization_type,
                 "AuthParameters": json.loads(row.auth_public)}
    if row.description:
        described["Description"] = row.description
    if row.state_reason:
        described["StateReason"] = row.state_reason
    return described


@service.operation("UpdateConnection", resources=named_resource("connection"))
def update_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    with transaction(ctx) as session:
        row = _require(ctx, session, params["Name"])
        authorization_type = params.get("AuthorizationType", row.authorization_type)
        if "AuthParameters" in params or authorization_type != row.authorization_type:
            current = open_auth(runtime, row) or {}
            if authorization_type != row.authorization_type:
                current = {}
            auth = _merged(current, params.get("AuthParameters", {}))
            _check_auth(authorization_type, auth)
            row.authorization_type = authorization_type
            row.auth_public = json.dumps(public_view(auth))
            row.sealed_secrets = runtime.barrier.seal(json.dumps(auth).encode(), secrets_locator(row.arn))
            row.sealed_token, row.token_expires_at, row.state_reason = None, None, None
            row.state = _initial_state(authorization_type)
            row.authorized_at = runtime.clock.now() if row.state == AUTHORIZED else row.authorized_at
        if "Description" in params:
            row.description = params["Description"]
        row.modified_at = runtime.clock.now()
    return _summary(row)


@service.operation("DeauthorizeConnection", resources=named_resource("connection"))
def deauthorize_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        row = _require(ctx, session, params["Name"])
        row.sealed_secrets, row.sealed_token, row.token_expires_at = None, None, None
        row.state = DEAUTHORIZED
        row.modified_at = runtime_of(ctx).clock.now()
    return _summary(row)


@service.operation("DeleteConnection", resources=named_resource("connection"))
def delete_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        row = _require(ctx, session, params["Name"])
        session.delete(row)
    summary = _summary(row)
    summary["ConnectionState"] = "DELETING"
    return summary


@service.operation("ListConnections")
def list_connections(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        query = select(EventConnection).where(EventConnection.account_id == ctx.account_id,
                                              EventConnection.region == ctx.region)
        if "NamePrefix" in params:
            query = query.where(EventConnection.name.startswith(params["NamePrefix"], autoescape=True))
        if "ConnectionState" in params:
            query = query.where(EventConnection.state == params["ConnectionState"])
        rows, more = paged(session, query, EventConnection.name, params)
    listed = [{**_summary(row), "Name": row.name, "AuthorizationType": row.authorization_type} for row in rows]
    return {"Connections": listed, **more}
