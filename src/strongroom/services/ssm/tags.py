"""Tags on parameters: AddTagsToResource, ListTagsForResource, RemoveTagsFromResource (ResourceType Parameter).

A parameter holds at most 50 tags; keys beginning with "aws:" are AWS's own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.ssm.names import parse_reference
from strongroom.services.ssm.plugin import note_parameter, service, tagged_resource
from strongroom.services.ssm.store import find_parameter, transaction
from strongroom.services.ssm.tables import SsmParameter, SsmParameterTag

MAX_TAGS = 50
RESERVED_TAG = "Tag keys can't start with aws:. The aws: prefix is reserved for AWS use."


def _tags_of(parameter: SsmParameter) -> Any:
    return select(SsmParameterTag).where(
        SsmParameterTag.account_id == parameter.account_id, SsmParameterTag.region == parameter.region,
        SsmParameterTag.name == parameter.name,
    )


def _check_keys(keys: list[str]) -> None:
    if any(key.lower().startswith("aws:") for key in keys):
        raise ServiceError("ValidationException", RESERVED_TAG)


def add_tags(session: Session, parameter: SsmParameter, tags: list[dict[str, str]]) -> None:
    """Add tags or replace their values, keeping at most 50 on the parameter."""
    _check_keys([tag["Key"] for tag in tags])
    wanted = {tag["Key"]: tag["Value"] for tag in tags}
    existing = {row.tag_key: row for row in session.scalars(_tags_of(parameter))}
    if len(set(existing) | set(wanted)) > MAX_TAGS:
        raise ServiceError("TooManyTagsError", None)
    for tag_key, tag_value in wanted.items():
        row = existing.get(tag_key)
        if row is None:
            session.add(SsmParameterTag(account_id=parameter.account_id, region=parameter.region,
                                        name=parameter.name, tag_key=tag_key, tag_value=tag_value))
        else:
            row.tag_value = tag_value


def tag_map(session: Session, parameter: SsmParameter) -> dict[str, str]:
    return {row.tag_key: row.tag_value for row in session.scalars(_tags_of(parameter))}


def _tagged(ctx: RequestContext, session: Session, params: dict[str, Any]) -> SsmParameter:
    reference = parse_reference(ctx, params["ResourceId"], selectors=False)
    parameter = find_parameter(session, reference.account_id, ctx.region, reference.key)
    if parameter is None:
        raise ServiceError("InvalidResourceId", None)
    return parameter


@service.operation("AddTagsToResource", resources=tagged_resource)
def add_tags_to_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    note_parameter(ctx, tagged_resource(ctx, params)[0])
    with transaction(ctx) as session:
        add_tags(session, _tagged(ctx, session, params), params["Tags"])
    return {}


@service.operation("RemoveTagsFromResource", resources=tagged_resource)
def remove_tags_from_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    note_parameter(ctx, tagged_resource(ctx, params)[0])
    _check_keys(params["TagKeys"])
    with transaction(ctx) as session:
        parameter = _tagged(ctx, session, params)
        session.execute(delete(SsmParameterTag).where(
            SsmParameterTag.account_id == parameter.account_id, SsmParameterTag.region == parameter.region,
            SsmParameterTag.name == parameter.name, SsmParameterTag.tag_key.in_(params["TagKeys"]),
        ))
    return {}


@service.operation("ListTagsForResource", resources=tagged_resource)
def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    note_parameter(ctx, tagged_resource(ctx, params)[0])
    with transaction(ctx) as session:
        tags = tag_map(session, _tagged(ctx, session, params))
    return {"TagList": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}
