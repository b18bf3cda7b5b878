"""Groups and membership: Create/Get/List/Update/DeleteGroup, Add/RemoveUserToGroup, ListGroupsForUser."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.naming import GROUP_ID_PREFIX, name_key, new_id
from strongroom.services.iam.plugin import entity, listing, operation
from strongroom.services.iam.queries import (
    find_group,
    note_resource,
    page_by_name,
    page_of_account,
    refuse_delete_while_policies,
    require_group,
    require_user,
    transaction,
)
from strongroom.services.iam.shapes import group_arn, group_shape, user_shape
from strongroom.services.iam.tables import IamGroup, IamGroupMember, IamUser

GROUP_TYPE = "AWS::IAM::Group"


def _note(ctx: RequestContext, group: IamGroup) -> None:
    note_resource(ctx, GROUP_TYPE, group_arn(group))


@operation("CreateGroup", entity("group", creating=True))
def create_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["GroupName"]
    with transaction(ctx) as session:
        if find_group(session, ctx.account_id, name) is not None:
            raise errors.already_exists(errors.GROUP, name)
        group = IamGroup(
            group_id=new_id(GROUP_ID_PREFIX),
            account_id=ctx.account_id,
            group_name=name,
            name_key=name_key(name),
            path=params.get("Path") or "/",
            created_at=ctx.clock.now(),
        )
        session.add(group)
    _note(ctx, group)
    return {"Group": group_shape(group)}


@operation("GetGroup", entity("group"))
def get_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        group = require_group(session, ctx.account_id, params["GroupName"])
        members = session.scalars(
            select(IamUser)
            .join(IamGroupMember, IamGroupMember.user_id == IamUser.user_id)
            .where(IamGroupMember.group_id == group.group_id)
        ).all()
    page, more = page_by_name(members, params)
    _note(ctx, group)
    return {"Group": group_shape(group), "Users": [user_shape(user) for user in page], **more}


@operation("ListGroups", listing("group"))
def list_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        page, more = page_of_account(session, IamGroup, ctx.account_id, params)
    return {"Groups": [group_shape(group) for group in page], **more}


@operation("UpdateGroup", entity("group"))
def update_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["GroupName"]
    with transaction(ctx) as session:
        group = require_group(session, ctx.account_id, name)
        new_name = params.get("NewGroupName")
        if (
            new_name is not None
            and name_key(new_name) != group.name_key
            and find_group(session, ctx.account_id, new_name) is not None
        ):
            raise errors.already_exists(errors.GROUP, new_name)
        if new_name is not None:
            group.group_name, group.name_key = new_name, name_key(new_name)
        if params.get("NewPath") is not None:
            group.path = params["NewPath"]
    _note(ctx, group)
    return {}


@operation("DeleteGroup", entity("group"))
def delete_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        group = require_group(session, ctx.account_id, params["GroupName"])
        if session.scalar(select(IamGroupMember.user_id).where(IamGroupMember.group_id == group.group_id)):
            raise errors.delete_conflict("Cannot delete entity, must remove users from group first.")
        refuse_delete_while_policies(session, group.group_id)
        session.delete(group)
    _note(ctx, group)
    return {}


@operation("AddUserToGroup", entity("group"))
def add_user_to_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        group = require_group(session, ctx.account_id, params["GroupName"])
        user = require_user(session, ctx.account_id, params["UserName"])
        # Adding a member twice is not an error in IAM.
        if session.get(IamGroupMember, (group.group_id, user.user_id)) is None:
            session.add(IamGroupMember(group_id=group.group_id, user_id=user.user_id, account_id=ctx.account_id))
    _note(ctx, group)
    return {}


@operation("RemoveUserFromGroup", entity("group"))
def remove_user_from_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        group = require_group(session, ctx.account_id, params["GroupName"])
        user = require_user(session, ctx.account_id, params["UserName"])
        removed = session.execute(
            delete(IamGroupMember).where(
                IamGroupMember.group_id == group.group_id, IamGroupMember.user_id == user.user_id
            )
        )
        if removed.rowcount == 0:  # type: ignore[attr-defined]
            raise errors.no_such(errors.USER, params["UserName"])
    _note(ctx, group)
    return {}


@operation("ListGroupsForUser", entity("user"))
def list_groups_for_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = require_user(session, ctx.account_id, params["UserName"])
        groups = session.scalars(
            select(IamGroup)
            .join(IamGroupMember, IamGroupMember.group_id == IamGroup.group_id)
            .where(IamGroupMember.user_id == user.user_id)
        ).all()
    page, more = page_by_name(groups, params)
    return {"Groups": [group_shape(group) for group in page], **more}
