"""Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policies."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.iam import errors
from strongroom.services.iam.plugin import entity, operation
from strongroom.services.iam.queries import (
    note_resource,
    paginate,
    require_group,
    require_role,
    require_user,
    transaction,
)
from strongroom.services.iam.shapes import encoded, group_arn, role_arn, user_arn
from strongroom.services.iam.tables import IamInlinePolicy


@dataclass(frozen=True)
class Owner:
    """What inline policies need to know of the entity kind that holds them."""

    kind: str  # user | group | role
    title: str  # User | Group | Role, as operation and member names spell it
    require: Callable[[Session, str, str], Any]
    owner_id: Callable[[Any], str]
    arn: Callable[[Any], str]
    # IAM's quota on the aggregate size of one entity's inline policies, whitespace not counted.
    aggregate_limit: int


OWNERS = (
    Owner("user", "User", require_user, lambda row: row.user_id, user_arn, 2048),
    Owner("group", "Group", require_group, lambda row: row.group_id, group_arn, 5120),
    Owner("role", "Role", require_role, lambda row: row.role_id, role_arn, 10240),
)
_WHITESPACE = re.compile(r"\s")


def policy_size(document: str) -> int:
    """A policy's size as IAM's quotas count it: its characters, whitespace left out."""
    return len(_WHITESPACE.sub("", document))


def _check_aggregate(session: Session, owner: Owner, holder: Any, policy_name: str, document: str) -> None:
    """LimitExceeded when `document`, put as `policy_name`, takes the holder's inline policies past the quota."""
    others = session.scalars(
        select(IamInlinePolicy.document).where(
            IamInlinePolicy.owner_id == owner.owner_id(holder), IamInlinePolicy.policy_name != policy_name
        )
    )
    if policy_size(document) + sum(map(policy_size, others)) > owner.aggregate_limit:
        name = getattr(holder, f"{owner.kind}_name")
        limit = owner.aggregate_limit
        raise errors.limit_exceeded(f"Maximum policy size of {limit} bytes exceeded for {owner.kind} {name}")


def new_revision() -> int:
    """Random rather than counted, so that a policy deleted and put again never reuses a cached revision."""
    return secrets.randbits(31)


def checked_identity_policy(text: str) -> str:
    try:
        PolicyDocument.parse(text, kind=PolicyKind.IDENTITY)
    except MalformedPolicy as problem:
        raise errors.malformed(problem) from None
    return text


def _missing(owner: Owner, policy_name: str) -> ServiceError:
    return errors.no_such_entity(f"The {owner.kind} policy with name {policy_name} cannot be found.")


def _register(owner: Owner) -> None:
    name_member = f"{owner.title}Name"
    resource = entity(owner.kind)

    def find(session: Session, ctx: RequestContext, params: dict[str, Any]) -> tuple[Any, IamInlinePolicy | None]:
        holder = owner.require(session, ctx.account_id, params[name_member])
        note_resource(ctx, f"AWS::IAM::{owner.title}", owner.arn(holder))
        row = session.get(IamInlinePolicy, (owner.owner_id(holder), params["PolicyName"]))
        return holder, row

    @operation(f"Put{owner.title}Policy", resource)
    def put_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        document = checked_identity_policy(params["PolicyDocument"])
        with transaction(ctx) as session:
            holder, row = find(session, ctx, params)
            _check_aggregate(session, owner, holder, params["PolicyName"], document)
            if row is None:
                session.add(
                    IamInlinePolicy(
                        owner_id=owner.owner_id(holder),
                        policy_name=params["PolicyName"],
                        account_id=ctx.account_id,
                        owner_kind=owner.kind,
                        document=document,
                        revision=new_revision(),
                    )
                )
            else:
                row.document, row.revision = document, new_revision()
        return {}

    @operation(f"Get{owner.title}Policy", resource)
    def get_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            holder, row = find(session, ctx, params)
        if row is None:
            raise _missing(owner, params["PolicyName"])
        return {
            name_member: getattr(holder, f"{owner.kind}_name"),
            "PolicyName": row.policy_name,
            "PolicyDocument": encoded(row.document),
        }

    @operation(f"Delete{owner.title}Policy", resource)
    def delete_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            _holder, row = find(session, ctx, params)
            if row is None:
                raise _missing(owner, params["PolicyName"])
            session.delete(row)
        return {}

    @operation(f"List{owner.title}Policies", resource)
    def list_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            holder = owner.require(session, ctx.account_id, params[name_member])
            names = session.scalars(
                select(IamInlinePolicy.policy_name).where(IamInlinePolicy.owner_id == owner.owner_id(holder))
            ).all()
        page, more = paginate(sorted(names), params, str)
        return {"PolicyNames": page, **more}


for _owner in OWNERS:
    _register(_owner)
