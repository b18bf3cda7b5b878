"""Managed policies attached to users, groups and roles: Attach/Detach/ListAttached{User,Group,Role}Policies
and ListEntitiesForPolicy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.inline import OWNERS, Owner
from strongroom.services.iam.plugin import entity, operation, policy_arn
from strongroom.services.iam.queries import (
    find_policy,
    note_resource,
    page_under_path,
    paginate,
    require_policy,
    transaction,
    under_path,
)
from strongroom.services.iam.tables import (
    IamGroup,
    IamManagedPolicy,
    IamPolicyAttachment,
    IamRole,
    IamUser,
)

MAX_ATTACHED = 10  # IAM's default quota of managed policies per user, group and role


def _register(owner: Owner) -> None:
    name_member = f"{owner.title}Name"
    resource = entity(owner.kind)

    @operation(f"Attach{owner.title}Policy", resource)
    def attach(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["PolicyArn"]
        with transaction(ctx) as session:
            holder = owner.require(session, ctx.account_id, params[name_member])
            note_resource(ctx, f"AWS::IAM::{owner.title}", owner.arn(holder))
            policy = find_policy(session, ctx.account_id, arn)
            if policy is None:
                raise errors.not_attachable(arn)
            holder_id = owner.owner_id(holder)
            if session.get(IamPolicyAttachment, (holder_id, policy.policy_id)) is not None:
                return {}  # attaching again changes nothing
            attached = session.scalar(
                select(func.count()).select_from(IamPolicyAttachment).where(IamPolicyAttachment.owner_id == holder_id)
            )
            if (attached or 0) >= MAX_ATTACHED:
                raise errors.limit_exceeded(f"Cannot exceed quota for PoliciesPer{owner.title}: {MAX_ATTACHED}")
            session.add(
                IamPolicyAttachment(
                    owner_id=holder_id, policy_id=policy.policy_id, account_id=ctx.account_id, owner_kind=owner.kind
                )
            )
        return {}

    @operation(f"Detach{owner.title}Policy", resource)
    def detach(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["PolicyArn"]
        with transaction(ctx) as session:
            holder = owner.require(session, ctx.account_id, params[name_member])
            note_resource(ctx, f"AWS::IAM::{owner.title}", owner.arn(holder))
            policy = find_policy(session, ctx.account_id, arn)
            link = (
                None if policy is None else session.get(IamPolicyAttachment, (owner.owner_id(holder), policy.policy_id))
            )
            if link is None:
                raise errors.no_such_policy(arn)
            session.delete(link)
        return {}

    @operation(f"ListAttached{owner.title}Policies", resource)
    def list_attached(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with transaction(ctx) as session:
            holder = owner.require(session, ctx.account_id, params[name_member])
            policies = session.scalars(
                select(IamManagedPolicy)
                .join(IamPolicyAttachment, IamPolicyAttachment.policy_id == IamManagedPolicy.policy_id)
                .where(IamPolicyAttachment.owner_id == owner.owner_id(holder))
            ).all()
        page, more = page_under_path(policies, params)
        return {"AttachedPolicies": [{"PolicyName": p.policy_name, "PolicyArn": p.arn} for p in page], **more}


for _owner in OWNERS:
    _register(_owner)


def _user_entry(user: IamUser) -> tuple[str, str, str, dict[str, str]]:
    return "u" + user.name_key, user.path, "PolicyUsers", {"UserName": user.user_name, "UserId": user.user_id}


def _group_entry(group: IamGroup) -> tuple[str, str, str, dict[str, str]]:
    return "g" + group.name_key, group.path, "PolicyGroups", {"GroupName": group.group_name, "GroupId": group.group_id}


def _role_entry(role: IamRole) -> tuple[str, str, str, dict[str, str]]:
    return "r" + role.name_key, role.path, "PolicyRoles", {"RoleName": role.role_name, "RoleId": role.role_id}


@operation("ListEntitiesForPolicy", policy_arn())
def list_entities_for_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params.get("EntityFilter")
    usage = params.get("PolicyUsageFilter")
    # (sort key, path, output member, entry) for every entity that uses the policy as asked.
    found: list[tuple[str, str, str, dict[str, str]]] = []
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        note_resource(ctx, "AWS::IAM::Policy", policy.arn)
        if usage in (None, "PermissionsPolicy"):
            holders = select(IamPolicyAttachment.owner_id).where(IamPolicyAttachment.policy_id == policy.policy_id)
            if wanted in (None, "User"):
                found += map(_user_entry, session.scalars(select(IamUser).where(IamUser.user_id.in_(holders))))
            if wanted in (None, "Group"):
                found += map(_group_entry, session.scalars(select(IamGroup).where(IamGroup.group_id.in_(holders))))
            if wanted in (None, "Role"):
                found += map(_role_entry, session.scalars(select(IamRole).where(IamRole.role_id.in_(holders))))
        if usage in (None, "PermissionsBoundary"):
            if wanted in (None, "User"):
                bounded_users = select(IamUser).where(IamUser.permissions_boundary_arn == policy.arn)
                found += map(_user_entry, session.scalars(bounded_users))
            if wanted in (None, "Role"):
                bounded_roles = select(IamRole).where(IamRole.permissions_boundary_arn == policy.arn)
                found += map(_role_entry, session.scalars(bounded_roles))
    prefix = params.get("PathPrefix")
    chosen = {key: (member, entry) for key, path, member, entry in found if under_path(path, prefix)}
    page, more = paginate(sorted(chosen), params, str)
    answer: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], **more}
    for key in page:
        member, entry = chosen[key]
        answer[member].append(entry)
    return answer
