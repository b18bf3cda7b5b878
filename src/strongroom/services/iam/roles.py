"""Roles: Create/Get/List/Update/DeleteRole, UpdateAssumeRolePolicy and the role's permissions boundary."""

from __future__ import annotations

from typing import Any

from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.naming import ROLE_ID_PREFIX, name_key, new_id
from strongroom.services.iam.plugin import entity, listing, operation
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
            description=params.get("Description"),
            max_session_duration=params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_DURATION,
            permissions_boundary_arn=require_boundary_policy(session, ctx.account_id, boundary) if boundary else None,
        )
        session.add(role)
        session.flush()
        if params.get("Tags"):
            add_tags(session, ctx.account_id, "role", role.role_id, params["Tags"])
        tags = tags_of(session, role.role_id)
    _note(ctx, role)
    shape = role_shape(role, tags=tags, detail=True)
    shape.pop("RoleLastUsed")  # CreateRole's answer has no last-use information
    return {"Role": shape}


@operation("GetRole", entity("role"))
def get_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        tags = tags_of(session, role.role_id)
    _note(ctx, role)
    return {"Role": role_shape(role, tags=tags, detail=True)}


@operation("ListRoles", listing("role"))
def list_roles(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        page, more = page_of_account(session, IamRole, ctx.account_id, params)
    return {"Roles": [role_shape(role) for role in page], **more}


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
        tags = tags_of(session, role.role_id)
    _note(ctx, role)
    return {"Role": role_shape(role, tags=tags, detail=True)}


@operation("UpdateAssumeRolePolicy", entity("role"))
def update_assume_role_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    trust = checked_trust_policy(params["PolicyDocument"])
    with transaction(ctx) as session:
        role = require_role(session, ctx.account_id, params["RoleName"])
        role.trust_policy = trust
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
