"""Tags on trails: AddTags, RemoveTags, ListTags (by trail ARN), and the rules CreateTrail shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.cloudtrail.plugin import find_trail, service, target_arn, transaction
from strongroom.services.cloudtrail.tables import CloudTrailTag, CloudTrailTrail

MAX_TAGS_PER_TRAIL = 50


def _check_arn(ctx: RequestContext, resource_id: str) -> str:
    if not resource_id.startswith("arn:"):
        raise ServiceError("CloudTrailARNInvalidException",
                           f"Invalid ARN: {resource_id}. The ARN must be a trail, event data store or channel ARN.")
    return target_arn(ctx, resource_id)


def _resource(member: str) -> Any:
    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        value = params.get(member)
        return [_check_arn(ctx, value)] if isinstance(value, str) else ["*"]
    return resolve


def _tagged_trail(ctx: RequestContext, session: Session, resource_id: str, *, change: bool) -> CloudTrailTrail:
    """The trail a tag operation names; the tag operations answer ResourceNotFoundException for none."""
    try:
        return find_trail(ctx, session, resource_id, change=change)
    except ServiceError as error:
        if error.code != "TrailNotFoundException":
            raise
        raise ServiceError("ResourceNotFoundException", f"Resource not found: {resource_id}") from None


def _check_tags(tags: list[dict[str, Any]]) -> None:
    for tag in tags:
        key = tag.get("Key", "")
        if key.lower().startswith("aws:"):
            raise ServiceError("InvalidTagParameterException",
                               "Tag keys beginning with aws: are reserved for AWS use.")


def add_tags(session: Session, arn_text: str, tags: list[dict[str, Any]]) -> None:
    _check_tags(tags)
    existing = {row.tag_key: row for row in session.scalars(select(CloudTrailTag).where(
        CloudTrailTag.trail_arn == arn_text))}
    added = {tag["Key"] for tag in tags} - set(existing)
    if len(existing) + len(added) > MAX_TAGS_PER_TRAIL:
        raise ServiceError("TagsLimitExceededException",
                           f"The number of tags on the resource exceeds the limit of {MAX_TAGS_PER_TRAIL}.")
    for tag in tags:
        row = existing.get(tag["Key"])
        if row is None:
            row = CloudTrailTag(trail_arn=arn_text, tag_key=tag["Key"], tag_value=tag.get("Value"))
            session.add(row)
            existing[tag["Key"]] = row
        else:
            row.tag_value = tag.get("Value")


@service.operation("AddTags", resources=_resource("ResourceId"))
def add_tags_operation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_arn(ctx, params["ResourceId"])
    with transaction(ctx) as session:
        trail = _tagged_trail(ctx, session, params["ResourceId"], change=True)
        add_tags(session, trail.arn, params["TagsList"])
    return {}


@service.operation("RemoveTags", resources=_resource("ResourceId"))
def remove_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_arn(ctx, params["ResourceId"])
    with transaction(ctx) as session:
        trail = _tagged_trail(ctx, session, params["ResourceId"], change=True)
        _check_tags(params["TagsList"])
        for tag in params["TagsList"]:
            condition = [CloudTrailTag.trail_arn == trail.arn, CloudTrailTag.tag_key == tag["Key"]]
            if tag.get("Value") is not None:
                condition.append(CloudTrailTag.tag_value == tag["Value"])
            session.execute(delete(CloudTrailTag).where(*condition))
    return {}


@service.operation("ListTags")
def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arns = [_check_arn(ctx, item) for item in params["ResourceIdList"]]
    answer = []
    with transaction(ctx) as session:
        for item in arns:
            trail = _tagged_trail(ctx, session, item, change=False)
            rows = session.scalars(select(CloudTrailTag).where(CloudTrailTag.trail_arn == trail.arn)
                                   .order_by(CloudTrailTag.tag_key))
            answer.append({"ResourceId": trail.arn, "TagsList": [
                {"Key": row.tag_key, **({"Value": row.tag_value} if row.tag_value is not None else {})}
                for row in rows
            ]})
    return {"ResourceTagList": answer}
