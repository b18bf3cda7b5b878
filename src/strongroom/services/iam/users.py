"""Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser and the user's permissions boundary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.access_keys import forget_keys, keys_of, rename_key_owner
from strongroom.services.iam.naming import USER_ID_PREFIX, name_key, new_id
from strongroom.services.iam.plugin import entity, listing, operation
from strongroom.services.iam.queries import (
    add_tags,
    caller_user,
    drop_tags,
    find_user,
    note_resource,
    page_of_account,
    refuse_delete_while_policies,
    require_boundary_policy,
    require_user,
    tags_of,
    transaction,
)
from strongroom.services.iam.shapes import user_arn, user_shape
from strongroom.services.iam.tables import IamGroupMember, IamUser
from strongroom.store.tables import Account

USER_TYPE = "AWS::IAM::User"


def _note(ctx: RequestContext, user: IamUser) -> None:
    note_resource(ctx, USER_TYPE, user_arn(user))


@operation("CreateUser", entity("user", creating=True))
def create_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with transaction(ctx) as session:
        if find_user(session, ctx.account_id, name) is not None:
            raise errors.already_exists(errors.USER, name)
        boundary = params.get("PermissionsBoundary")
        user = IamUser(
            user_id=new_id(USER_ID_PREFIX),
            account_id=ctx.account_id,
            user_name=name,
            name_key=name_key(name),
            path=params.get("Path") or "/",
            created_at=ctx.clock.now(),
            permissions_boundary_arn=require_boundary_policy(session, ctx.account_id, boundary) if boundary else None,
        )
        session.add(user)
        session.flush()
        if params.get("Tags"):
            add_tags(session, ctx.account_id, "user", user.user_id, params["Tags"])
        tags = tags_of(session, user.user_id)
    _note(ctx, user)
    return {"User": user_shape(user, tags=tags, detail=True)}


def _root_user(session: Session, ctx: RequestContext) -> dict[str, Any]:
    """GetUser by the account's root: IAM describes the root, which has no user name or path."""
    account = session.get(Account, ctx.account_id)
    created = account.created_at if account is not None else ctx.received_at
    return {"UserId": ctx.account_id, "Arn": f"arn:aws:iam::{ctx.account_id}:root", "CreateDate": created}


@operation("GetUser", entity("user"))
def get_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        if params.get("UserName") is None:
            assert ctx.principal is not None
            if ctx.principal.is_root:
                return {"User": _root_user(session, ctx)}
            user = caller_user(session, ctx)
        else:
            user = require_user(session, ctx.account_id, params["UserName"])
        tags = tags_of(session, user.user_id)
    _note(ctx, user)
    return {"User": user_shape(user, tags=tags, detail=True)}


@operation("ListUsers", listing("user"))
def list_users(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        page, more = page_of_account(session, IamUser, ctx.account_id, params)
    return {"Users": [user_shape(user) for user in page], **more}


@operation("UpdateUser", entity("user"))
def update_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with transaction(ctx) as session:
        user = require_user(session, ctx.account_id, name)
        new_name = params.get("NewUserName")
        if (
            new_name is not None
            and name_key(new_name) != user.name_key
            and find_user(session, ctx.account_id, new_name) is not None
        ):
            raise errors.already_exists(errors.USER, new_name)
        if new_name is not None:
            user.user_name, user.name_key = new_name, name_key(new_name)
        if params.get("NewPath") is not None:
            user.path = params["NewPath"]
        # Access keys carry the user's ARN and name: they must authenticate as the renamed user.
        assert ctx.runtime is not None
        renamed_keys = rename_key_owner(session, ctx.runtime.barrier, user, new_arn=user_arn(user))
    forget_keys(ctx, renamed_keys)
    _note(ctx, user)
    return {}


@operation("DeleteUser", entity("user"))
def delete_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = require_user(session, ctx.account_id, params["UserName"])
        if keys_of(session, user):
            raise errors.delete_conflict("Cannot delete entity, must delete access keys first.")
        refuse_delete_while_policies(session, user.user_id)
        if session.scalar(select(IamGroupMember.group_id).where(IamGroupMember.user_id == user.user_id)):
            raise errors.delete_conflict("Cannot delete entity, must remove user from all groups first.")
        drop_tags(session, user.user_id)
        session.delete(user)
    _note(ctx, user)
    return {}


@operation("PutUserPermissionsBoundary", entity("user"))
def put_user_permissions_boundary(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = require_user(session, ctx.account_id, params["UserName"])
        user.permissions_boundary_arn = require_boundary_policy(session, ctx.account_id, params["PermissionsBoundary"])
    _note(ctx, user)
    return {}


@operation("DeleteUserPermissionsBoundary", entity("user"))
def delete_user_permissions_boundary(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = require_user(session, ctx.account_id, params["UserName"])
        user.permissions_boundary_arn = None
    _note(ctx, user)
    return {}
