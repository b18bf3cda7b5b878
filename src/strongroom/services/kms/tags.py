"""Tags on keys: TagResource, UntagResource, ListResourceTags, and the rules CreateKey shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import note_key, page, resolve_key, transaction
from strongroom.services.kms.tables import KmsKey, KmsTag

MAX_TAGS_PER_KEY = 50


def check_tags(tags: list[dict[str, str]]) -> None:
    keys = [tag["TagKey"] for tag in tags]
    if any(key.lower().startswith("aws:") for key in keys):
        raise ServiceError("TagException", "Tags beginning with aws: are reserved")
    if len(set(keys)) != len(keys):
        raise ServiceError("TagException", "Duplicate tag keys")


def _tags_of(key: KmsKey) -> Any:
    return select(KmsTag).where(
        KmsTag.account_id == key.account_id, KmsTag.region == key.region, KmsTag.key_id == key.key_id
    )


def add_tags(session: Session, key: KmsKey, tags: list[dict[str, str]], *, creating: bool = False) -> None:
    """Add or overwrite tags, keeping at most 50 on the key. Too many are a LimitExceededException when
    tagging a key, and a TagException when creating one (CreateKey, ReplicateKey), as AWS answers."""
    check_tags(tags)
    existing = {row.tag_key: row for row in session.scalars(_tags_of(key))}
    added = {tag["TagKey"] for tag in tags} - set(existing)
    if len(existing) + len(added) > MAX_TAGS_PER_KEY:
        raise ServiceError("TagException" if creating else "LimitExceededException", "Too many tags")
    for tag in tags:
        row = existing.get(tag["TagKey"])
        if row is None:
            session.add(KmsTag(account_id=key.account_id, region=key.region, key_id=key.key_id,
                               tag_key=tag["TagKey"], tag_value=tag["TagValue"]))
        else:
            row.tag_value = tag["TagValue"]


def delete_tags(session: Session, account_id: str, region: str, key_id: str) -> None:
    session.execute(delete(KmsTag).where(
        KmsTag.account_id == account_id, KmsTag.region == region, KmsTag.key_id == key_id
    ))


@service.operation("TagResource", resources=key_resource())
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.MANAGE)
        add_tags(session, key, params["Tags"])
    return {}


@service.operation("UntagResource", resources=key_resource())
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.MANAGE)
        if any(name.lower().startswith("aws:") for name in params["TagKeys"]):
            raise ServiceError("TagException", "Tags beginning with aws: are reserved")
        session.execute(delete(KmsTag).where(
            KmsTag.account_id == key.account_id, KmsTag.region == key.region, KmsTag.key_id == key.key_id,
            KmsTag.tag_key.in_(params["TagKeys"]),
        ))
    return {}


@service.operation("ListResourceTags", resources=key_resource())
def list_resource_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        rows, paging = page(session, _tags_of(key), KmsTag.tag_key, params.get("Limit", 50), params.get("Marker"))
    return {"Tags": [{"TagKey": row.tag_key, "TagValue": row.tag_value} for row in rows], **paging}

