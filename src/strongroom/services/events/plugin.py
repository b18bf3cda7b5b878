"""The EventBridge plugin object and what its operation modules share: scope, ARNs, lookups, paging.

Buses, rules, connections and API destinations are named per (account, region); an `EventBusName`
may be a name or a bus ARN. Authorization is by the resource ARNs each operation declares, and for
a bus in another account (PutEvents to it) also by that bus's resource policy.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.auth.authorize import account_of, authorize
from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.auth.policy.binding import loaded_bindings
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import arn
from strongroom.services.base import Operation, ResourceResolver, Service
from strongroom.services.events.tables import EventApiDestination, EventBus, EventConnection

# Re-exported: the service's modules take the request's runtime and transaction from here.
from strongroom.services.request_store import runtime_of as runtime_of
from strongroom.services.request_store import transaction as transaction

DEFAULT_BUS = "default"
_BUS_ARN = re.compile(r"arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus/(.+)")


def authorize_events(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    """Own resources by the caller's policies; another account's bus also by its resource policy."""
    resources = operation.resources(ctx, params)
    own = [resource for resource in resources if account_of(resource) in (None, ctx.account_id)]
    authorize(ctx, operation.action, own)
    for resource in resources:
        owner = account_of(resource)
        if owner in (None, ctx.account_id):
            continue
        authorize(ctx, operation.action, [resource], resource_policy=foreign_bus_policy(ctx, resource),
                  resource_account=owner)


service = Service("events", authorizer=authorize_events)


@contextlib.contextmanager
def creating(ctx: RequestContext, exists: ServiceError) -> Iterator[Session]:
    """A transaction that adds a named bus, connection or API destination (see `add_named`). `exists`
    also answers when a concurrent request took the name first and the store's uniqueness refuses the row."""
    try:
        with transaction(ctx) as session:
            yield session
    except IntegrityError:
        raise exists from None


def add_named(
    ctx: RequestContext, session: Session, row: EventBus | EventConnection | EventApiDestination, exists: ServiceError
) -> None:
    """Add `row`, keyed by account, Region and name, unless the name is taken (then `exists`)."""
    if session.get(type(row), (ctx.account_id, ctx.region, row.name)) is not None:
        raise exists
    session.add(row)


def aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def bus_arn(region: str, account_id: str, name: str) -> str:
    return arn("events", region, account_id, f"event-bus/{name}")


def rule_arn(region: str, account_id: str, bus_name: str, name: str) -> str:
    path = f"rule/{name}" if bus_name == DEFAULT_BUS else f"rule/{bus_name}/{name}"
    return arn("events", region, account_id, path)


def parse_bus_arn(text: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an event bus ARN; None for anything else."""
    found = _BUS_ARN.fullmatch(text)
    return (found.group(1), found.group(2), found.group(3)) if found else None


def bus_name_of(ctx: RequestContext, reference: str | None) -> str:
    """The caller's own bus named by `reference` (a name or an ARN in its account and region)."""
    if reference is None:
        return DEFAULT_BUS
    parsed = parse_bus_arn(reference)
    if parsed is None:
        return reference
    region, account, name = parsed
    if account != ctx.account_id or region != ctx.region:
        raise ServiceError("ResourceNotFoundException", f"Event bus {name} does not exist.")
    return name


def bus_target_of(ctx: RequestContext, reference: str | None) -> tuple[str, str, str]:
    """(region, account, name) of the bus a PutEvents entry names, in any account."""
    parsed = parse_bus_arn(reference) if reference else None
    if parsed is not None:
        return parsed
    return ctx.region, ctx.account_id, reference or DEFAULT_BUS


def find_bus(session: Session, account_id: str, region: str, name: str) -> EventBus | None:
    """The bus, or None; the default bus always exists (a transient row until something is stored)."""
    row = session.get(EventBus, (account_id, region, name))
    if row is None and name == DEFAULT_BUS:
        row = EventBus(account_id=account_id, region=region, name=DEFAULT_BUS,
                       arn=bus_arn(region, account_id, DEFAULT_BUS), description=None, policy=None,
                       created_at=datetime(1970, 1, 1, tzinfo=UTC), modified_at=datetime(1970, 1, 1, tzinfo=UTC))
    return row


def require_bus(session: Session, account_id: str, region: str, name: str) -> EventBus:
    row = find_bus(session, account_id, region, name)
    if row is None:
        raise ServiceError("ResourceNotFoundException", f"Event bus {name} does not exist.")
    return row


def bus_policy_document(bus: EventBus | None) -> PolicyDocument | None:
    """The bus's resource policy as evaluation weighs it, its principals bound as they were saved."""
    if bus is None or not bus.policy:
        return None
    try:
        return PolicyDocument.parse(bus.policy, kind=PolicyKind.RESOURCE,
                                    bindings=loaded_bindings(bus.policy_principals))
    except MalformedPolicy:
        return None


def foreign_bus_policy(ctx: RequestContext, resource: str) -> PolicyDocument | None:
    parsed = parse_bus_arn(resource)
    if parsed is None:
        return None
    region, account, name = parsed
    with transaction(ctx) as session:
        return bus_policy_document(session.get(EventBus, (account, region, name)))


def note_resource(ctx: RequestContext, kind: str, resource_arn: str) -> None:
    """Record a resource in the request's audit record (once)."""
    entry = {"accountId": account_of(resource_arn) or ctx.account_id, "type": kind, "ARN": resource_arn}
    if entry not in ctx.resources:
        ctx.resources.append(entry)


# --- resources each operation declares for authorization ---

def bus_resource(member: str = "EventBusName") -> ResourceResolver:
    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        reference = params.get(member)
        parsed = parse_bus_arn(reference) if reference else None
        if parsed is not None:
            return [reference]  # type: ignore[list-item]
        return [bus_arn(ctx.region, ctx.account_id, reference or DEFAULT_BUS)]

    return resolve


def rule_resource(member: str = "Name") -> ResourceResolver:
    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        bus = bus_name_of(ctx, params.get("EventBusName"))
        return [rule_arn(ctx.region, ctx.account_id, bus, params[member])]

    return resolve


def named_resource(kind: str) -> ResourceResolver:
    """Connections and API destinations: their ARNs end in a generated id, so authorize on `name/*`."""

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        return [arn("events", ctx.region, ctx.account_id, f"{kind}/{params['Name']}/*")]

    return resolve


def put_events_resources(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    buses = []
    for entry in params.get("Entries", []):
        region, account, name = bus_target_of(ctx, entry.get("EventBusName"))
        resource = bus_arn(region, account, name)
        if resource not in buses:
            buses.append(resource)
    return buses


# --- paging over names ---

def page_token(last_name: str) -> str:
    return base64.urlsafe_b64encode(last_name.encode()).decode()


def after_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ServiceError("ValidationException", "The NextToken provided is invalid.") from None


def paged(session: Session, query: Any, column: Any, params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Rows of `query` by `column` after NextToken, at most Limit (default 100), and the NextToken member."""
    limit = params.get("Limit") or 100
    after = after_token(params.get("NextToken"))
    if after is not None:
        query = query.where(column > after)
    rows = list(session.scalars(query.order_by(column).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, {}
    rows = rows[:limit]
    return rows, {"NextToken": page_token(getattr(rows[-1], column.key))}


def existing_buses(session: Session, account_id: str, region: str) -> Any:
    return select(EventBus).where(EventBus.account_id == account_id, EventBus.region == region)
