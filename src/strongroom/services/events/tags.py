"""Tags on rules and event buses: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.events.plugin import DEFAULT_BUS, bus_arn, service, transaction
from strongroom.services.events.tables import EventBus, EventRule, EventTag

MAX_TAGS = 50


def _arn_resource(_ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [params["ResourceARN"]]


def add_tags(session: Session, resource_arn: str, tags: list[dict[str, str]]) -> None:
    """Add or overwrite tags, at most 50 on a resource."""
    if any(tag["Key"].lower().startswith("aws:") for tag in tags):
        raise ServiceError("ValidationException", "Tag keys beginning with aws: are reserved.")
    existing = {row.tag_key: row for row in session.scalars(select(EventTag).where(
        EventTag.resource_arn == resource_arn))}
    if len(existing.keys() | {tag["Key"] for tag in tags}) > MAX_TAGS:
        raise ServiceError("LimitExceededException", "The request failed because it would exceed 50 tags.")
    for tag in tags:
        row = existing.get(tag["Key"])
        if row is None:
            row = EventTag(resource_arn=resource_arn, tag_key=tag["Key"], tag_value=tag["Value"])
            session.add(row)
            existing[tag["Key"]] = row
        else:
            row.tag_value = tag["Value"]


def _require_taggable(ctx: RequestContext, session: Session, resource_arn: str) -> None:
    """ResourceNotFoundException unless the ARN is one of the caller's rules or buses."""
    if session.scalar(select(EventRule.name).where(EventRule.arn == resource_arn)) is not None:
        return
    if session.scalar(select(EventBus.name).where(EventBus.arn == resource_arn)) is not None:
        return
    if resource_arn == bus_arn(ctx.region, ctx.account_id, DEFAULT_BUS):
        return
    name = resource_arn.rsplit("/", 1)[-1]
    if ":rule/" in resource_arn:
        bus = resource_arn.split(":rule/", 1)[1].rsplit("/", 1)[0] if resource_arn.count("/") > 1 else "default"
        raise ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus}.")
    raise ServiceError("ResourceNotFoundException", f"Resource {resource_arn} does not exist.")


@service.operation("TagResource", resources=_arn_resource)
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        _require_taggable(ctx, session, params["ResourceARN"])
        add_tags(session, params["ResourceARN"], params["Tags"])
    return {}


@service.operation("UntagResource", resources=_arn_resource)
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        _require_taggable(ctx, session, params["ResourceARN"])
        session.execute(delete(EventTag).where(
            EventTag.resource_arn == params["ResourceARN"], EventTag.tag_key.in_(params["TagKeys"])))
    return {}


@service.operation("ListTagsForResource", resources=_arn_resource)
def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        _require_taggable(ctx, session, params["ResourceARN"])
        rows = session.scalars(select(EventTag).where(EventTag.resource_arn == params["ResourceARN"])
                               .order_by(EventTag.tag_key))
        return {"Tags": [{"Key": row.tag_key, "Value": row.tag_value} for row in rows]}
