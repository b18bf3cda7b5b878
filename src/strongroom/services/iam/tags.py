"""Tags on users, roles and managed policies: Tag/Untag/List{User,Role,Policy}Tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.services.base import ResourceResolver
from strongroom.services.iam.plugin import entity, operation, policy_arn
from strongroom.services.iam.queries import (
    add_tags,
    note_resource,
    paginate,
    remove_tags,
    require_policy,
    require_role,
    require_user,
    tags_of,
    transaction,
)
from strongroom.services.iam.shapes import role_arn, user_arn

# (title, kind, request member naming the entity, resolver, lookup -> (owner id, ARN))
Lookup = Callable[[Session, str, str], tuple[str, str]]


def _user(session: Session, account_id: str, name: str) -> tuple[str, str]:
    user = require_user(session, account_id, name)
    return user.user_id, user_arn(user)


def _role(session: Session, account_id: str, name: str) -> tuple[str, str]:
    role = require_role(session, account_id, name)
    return role.role_id, role_arn(role)


def _policy(session: Session, account_id: str, arn: str) -> tuple[str, str]:
    return require_policy(session, account_id, arn).policy_id, arn


_TAGGABLE: tuple[tuple[str, str, str, ResourceResolver, Lookup], ...] = (
    ("User", "user", "UserName", entity("user"), _user),
    ("Role", "role", "RoleName", entity("role"), _role),
    ("Policy", "policy", "PolicyArn", policy_arn(), _policy),
)


def _register(title: str, kind: str, member: str, resource: ResourceResolver, lookup: Lookup) -> None:
    audit_type = f"AWS::IAM::{title}"

    @operation(f"Tag{title}", resource)
    def tag(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            owner_id, arn = lookup(session, ctx.account_id, params[member])
            add_tags(session, ctx.account_id, kind, owner_id, params["Tags"])
        note_resource(ctx, audit_type, arn)
        return {}

    @operation(f"Untag{title}", resource)
    def untag(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            owner_id, arn = lookup(session, ctx.account_id, params[member])
            remove_tags(session, owner_id, params["TagKeys"])
        note_resource(ctx, audit_type, arn)
        return {}

    @operation(f"List{title}Tags", resource)
    def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            owner_id, _arn = lookup(session, ctx.account_id, params[member])
            tags = tags_of(session, owner_id)
        page, more = paginate(tags, params, lambda tag: tag["Key"].lower())
        return {"Tags": page, **more}


for _taggable in _TAGGABLE:
    _register(*_taggable)
