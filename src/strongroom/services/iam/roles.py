"""Roles: Create/Get/List/Update/DeleteRole, UpdateAssumeRolePolicy and the role's permissions boundary.

The users and roles a trust policy names must exist; they are bound to their unique ids when it is
saved, and it reads back with each one's ARN now, or its unique id once it is deleted
(strongroom.auth.policy.binding).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.auth.policy.binding import stored_bindings
from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.naming import ROLE_ID_PREFIX, name_key, new_id
from strongroom.services.iam.plugin import entity, listing, operation
from strongroom.services.iam.principal_ids import UnknownPrincipal, bind_principals, shown, shown_many
from strongroom.services.iam.queries import (
    add_tags,
    drop_tags,
    find_role,
    note_resource,
    page_of_account,
    refuse_delete_while_policies,
    require_boundary_policy,
    require_role,
    tags_of,
    transaction,
)
from strongroom.services.iam.shapes import role_arn, role_shape
from strongroom.services.iam.tables import IamRole

ROLE_TYPE = "AWS::IAM::Role"
DEFAULT_MAX_SESSION_DURATION = 3600


def _note(ctx: RequestContext, role: IamRole) -> None:
    note_resource(ctx, ROLE_TYPE, role_arn(role))


def checked_trust_policy(text: str) -> str:
    """A role's trust policy as given, once the policy engine accepts it as a trust policy."""
    try:
        PolicyDocument.parse(text, kind=PolicyKind.TRUST)
    except MalformedPolicy as problem:
        raise errors.malformed(problem) from None
    return text


def bound_trust_policy(session: Session, text: str) -> str | None:
    """The stored bindings of a checked trust policy's users and roles, which must exist."""
    try:
        return stored_bindings(bind_principals(session, text))
    except UnknownPrincipal as unknown:
        raise errors.invalid_principal(unknown.arn) from None


def _shape(session: Session, role: IamRole, tags: list[dict[str, str]]) -> dict[str, Any]:
    return role_shape(role, shown(session, role.trust_policy, role.trust_policy_principals), tags=tags, detail=True)


@operation("CreateRole", entity("role", creating=True))
def create_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    trust = checked_trust_policy(params["AssumeRolePolicyDocument"])
    with transaction(ctx) as session:
        if find_role(session, ctx.account_id, name) is not None:
            raise errors.already_exists(errors.ROLE, name)
        boundary = params.get("PermissionsBoundary")
        role = IamRole(
            role_id=new_id(ROLE_ID_PREFIX),
            account_id=ctx.account_id,
            role_name=name,
            name_key=name_key(name),
            path=params.get("Path") or "/",
            created_at=ctx.clock.now(),
            trust_policy=trust,
            trust_policy_principals=bound_trust_policy(session, trust),
            description=params.get("Description"),
            max_session_duration=params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_DURATION,
            permissions_boundary_arn=require_boundary_policy(session, ctx.account_id, boundary) if boundary else None,
        )
        session.add(role)
        session.flush()
        if params.get("Tags"):
            add_tags(session, ctx.account_id, "role", role.role_id, params["Tags"])
        shape = _shape(session, role, tags_of(session, role.role_id))
    _note(ctx, role)
    shape.pop("RoleLastUsed")  # CreateRole's answer has no last-use information
    return {"Role": shape}


@operation("GetRole", entity("role"))
def get_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        shape = _shape(session, role, tags_of(session, role.role_id))
    _note(ctx, role)
    return {"Role": shape}


@operation("ListRoles", listing("role"))
def list_roles(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        page, more = page_of_account(session, IamRole, ctx.account_id, params)
        trusts = shown_many(session, [(role.trust_policy, role.trust_policy_principals) for role in page])
    return {"Roles": [role_shape(role, trust) for role, trust in zip(page, trusts, strict=True)], **more}


@operation("UpdateRole", entity("role"))
def update_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        if params.get("Description") is not None:
            role.description = params["Description"]
        if params.get("MaxSessionDuration") is not None:
            role.max_session_duration = params["MaxSessionDuration"]
    _note(ctx, role)
    return {}


@operation("UpdateRoleDescription", entity("role"))
def update_role_description(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        role.description = params["Description"]
        shape = _shape(session, role, tags_of(session, role.role_id))
    _note(ctx, role)
    return {"Role": shape}


@operation("UpdateAssumeRolePolicy", entity("role"))
def update_assume_role_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    trust = checked_trust_policy(params["PolicyDocument"])
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        role.trust_policy, role.trust_policy_principals = trust, bound_trust_policy(session, trust)
    _note(ctx, role)
    return {}


@operation("DeleteRole", entity("role"))
def delete_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        refuse_delete_while_policies(session, role.role_id)
        drop_tags(session, role.role_id)
        session.delete(role)
    _note(ctx, role)
    return {}


@operation("PutRolePermissionsBoundary", entity("role"))
def put_role_permissions_boundary(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        role.permissions_boundary_arn = require_boundary_policy(session, ctx.account_id, params["PermissionsBoundary"])
    _note(ctx, role)
    return {}


@operation("DeleteRolePermissionsBoundary", entity("role"))
def delete_role_permissions_boundary(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        role.permissions_boundary_arn = None
    _note(ctx, role)
    return {}
