"""Tags: TagResource and UntagResource; tags are kept in the order given, a key at most once."""

from __future__ import annotations

import json
from typing import Any

from strongroom.context import RequestContext
from strongroom.services.secretsmanager import replication
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.store import invalid_parameter, secret_for, tags_of, transaction

MAX_TAGS = 50


def checked_tags(tags: list[dict[str, Any]]) -> list[dict[str, str]]:
    merged: dict[str, str] = {}
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value", "")
        if not key:
            raise invalid_parameter("You must provide a tag key.")
        if key.lower().startswith("aws:"):
            raise invalid_parameter("Invalid tag key. Tag keys can't start with 'aws:'.")
        merged[key] = value or ""
    if len(merged) > MAX_TAGS:
        raise invalid_parameter(f"Number of tags exceeds the limit of {MAX_TAGS}.")
    return [{"Key": key, "Value": value} for key, value in merged.items()]


@service.operation("TagResource")
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        current = {tag["Key"]: tag["Value"] for tag in tags_of(secret)}
        added = checked_tags(params["Tags"])
        current.update({tag["Key"]: tag["Value"] for tag in added})
        secret.tags = json.dumps(checked_tags([{"Key": k, "Value": v} for k, v in current.items()]))
        secret_arn = secret.arn
    replication.sync(ctx, secret_arn)
    return {}


@service.operation("UntagResource")
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    removed = set(params["TagKeys"])
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        secret.tags = json.dumps([tag for tag in tags_of(secret) if tag["Key"] not in removed])
        secret_arn = secret.arn
    replication.sync(ctx, secret_arn)
    return {}
