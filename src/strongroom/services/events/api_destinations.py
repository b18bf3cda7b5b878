"""API destinations: an HTTP endpoint, a method, a rate limit and the connection that authenticates
calls to it. CreateApiDestination, DescribeApiDestination, UpdateApiDestination, DeleteApiDestination,
ListApiDestinations.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

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
from strongroom.services.events.tables import EventApiDestination, EventConnection

ACTIVE = "ACTIVE"
DEFAULT_RATE_LIMIT = 300


def not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Failed to describe the api-destination(s). An api-destination "
                        f"'{name}' does not exist.")


def _check_endpoint(endpoint: str) -> None:
    # Strongroom also accepts http:// so that endpoints on a private network or localhost can be used.
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ServiceError("ValidationException", "InvocationEndpoint must be an HTTPS URL.")


def _check_connection(ctx: RequestContext, session: Session, connection_arn: str) -> None:
    found = session.scalar(select(EventConnection.name).where(
        EventConnection.account_id == ctx.account_id, EventConnection.region == ctx.region,
        EventConnection.arn == connection_arn))
    if found is None:
        name = connection_arn.split("connection/", 1)[-1].split("/", 1)[0]
        raise ServiceError("ResourceNotFoundException", f"Connection '{name}' does not exist.")


def _summary(row: EventApiDestination) -> dict[str, Any]:
    return {"ApiDestinationArn": row.arn, "ApiDestinationState": row.state,
            "CreationTime": aware(row.created_at), "LastModifiedTime": aware(row.modified_at)}


def _described(row: EventApiDestination) -> dict[str, Any]:
    described = {**_summary(row), "Name": row.name, "ConnectionArn": row.connection_arn,
                 "InvocationEndpoint": row.endpoint, "HttpMethod": row.http_method}
    if row.rate_limit is not None:
        described["InvocationRateLimitPerSecond"] = row.rate_limit
    if row.description:
        described["Description"] = row.description
    return described


def _require(ctx: RequestContext, session: Session, name: str) -> EventApiDestination:
    row = session.get(EventApiDestination, (ctx.account_id, ctx.region, name))
    if row is None:
        raise not_found(name)
    return row


@service.operation("CreateApiDestination", resources=named_resource("api-destination"))
def create_api_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_endpoint(params["InvocationEndpoint"])
    name = params["Name"]
    now = runtime_of(ctx).clock.now()
    row = EventApiDestination(
        account_id=ctx.account_id, region=ctx.region, name=name,
        arn=arn("events", ctx.region, ctx.account_id, f"api-destination/{name}/{uuid.uuid4()}"),
        description=params.get("Description"), connection_arn=params["ConnectionArn"],
        endpoint=params["InvocationEndpoint"], http_method=params["HttpMethod"],
        rate_limit=params.get("InvocationRateLimitPerSecond", DEFAULT_RATE_LIMIT), state=ACTIVE,
        created_at=now, modified_at=now,
    )
    exists = ServiceError("ResourceAlreadyExistsException", f"An api-destination '{name}' already exists.")
    with creating(ctx, exists) as session:
        _check_connection(ctx, session, row.connection_arn)
        add_named(ctx, session, row, exists)
    return _summary(row)


@service.operation("DescribeApiDestination", resources=named_resource("api-destination"))
def describe_api_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        return _described(_require(ctx, session, params["Name"]))


@service.operation("UpdateApiDestination", resources=named_resource("api-destination"))
def update_api_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if "InvocationEndpoint" in params:
        _check_endpoint(params["InvocationEndpoint"])
    with transaction(ctx) as session:
        row = _require(ctx, session, params["Name"])
        if "ConnectionArn" in params:
            _check_connection(ctx, session, params["ConnectionArn"])
            row.connection_arn = params["ConnectionArn"]
        for member, column in (("InvocationEndpoint", "endpoint"), ("HttpMethod", "http_method"),
                               ("InvocationRateLimitPerSecond", "rate_limit"), ("Description", "description")):
            if member in params:
                setattr(row, column, params[member])
        row.modified_at = runtime_of(ctx).clock.now()
        return _summary(row)


@service.operation("DeleteApiDestination", resources=named_resource("api-destination"))
def delete_api_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        session.delete(_require(ctx, session, params["Name"]))
    return {}


@service.operation("ListApiDestinations")
def list_api_destinations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        query = select(EventApiDestination).where(EventApiDestination.account_id == ctx.account_id,
                                                  EventApiDestination.region == ctx.region)
        if "NamePrefix" in params:
            query = query.where(EventApiDestination.name.startswith(params["NamePrefix"], autoescape=True))
        if "ConnectionArn" in params:
            query = query.where(EventApiDestination.connection_arn == params["ConnectionArn"])
        rows, more = paged(session, query, EventApiDestination.name, params)
        listed = []
        for row in rows:
            item = _described(row)
            item.pop("Description", None)
            listed.append(item)
    return {"ApiDestinations": listed, **more}
