"""Stored IAM entities as boto3-shaped output structures."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from strongroom.services.iam.naming import aware, entity_arn
from strongroom.services.iam.tables import IamGroup, IamManagedPolicy, IamPolicyVersion, IamRole, IamUser


def encoded(document: str) -> str:
    """Policy documents leave IAM URL-encoded (boto3 decodes them)."""
    return quote(document, safe="")


def _boundary(arn: str | None) -> dict[str, Any]:
    if arn is None:
        return {}
    return {
        "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    }


def user_arn(user: IamUser) -> str:
    return entity_arn(user.account_id, "user", user.path, user.user_name)


def group_arn(group: IamGroup) -> str:
    return entity_arn(group.account_id, "group", group.path, group.group_name)


def role_arn(role: IamRole) -> str:
    return entity_arn(role.account_id, "role", role.path, role.role_name)


def user_shape(user: IamUser, *, tags: list[dict[str, str]] | None = None, detail: bool = False) -> dict[str, Any]:
    """A User; `detail` (GetUser, CreateUser) adds the boundary, and tags when there are any."""
    shape: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.user_name,
        "UserId": user.user_id,
        "Arn": user_arn(user),
        "CreateDate": aware(user.created_at),
    }
    if detail:
        shape.update(_boundary(user.permissions_boundary_arn))
        if tags:
            shape["Tags"] = tags
    return shape


def group_shape(group: IamGroup) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.group_name,
        "GroupId": group.group_id,
        "Arn": group_arn(group),
        "CreateDate": aware(group.created_at),
    }


def role_shape(
    role: IamRole, trust_policy: str, *, tags: list[dict[str, str]] | None = None, detail: bool = False
) -> dict[str, Any]:
    """A Role, with its trust policy as read back (see principal_ids.shown); AWS returns the policy
    URL-encoded (boto3 decodes it back to a dict)."""
    shape: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.role_name,
        "RoleId": role.role_id,
        "Arn": role_arn(role),
        "CreateDate": aware(role.created_at),
        "AssumeRolePolicyDocument": encoded(trust_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        shape["Description"] = role.description
    if detail:
        shape.update(_boundary(role.permissions_boundary_arn))
        if tags:
            shape["Tags"] = tags
        shape["RoleLastUsed"] = {}
    return shape


def policy_shape(
    policy: IamManagedPolicy,
    *,
    attachments: int,
    boundary_uses: int,
    tags: list[dict[str, str]] | None = None,
    detail: bool = True,
) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "PolicyName": policy.policy_name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": boundary_uses,
        "IsAttachable": True,
        "CreateDate": aware(policy.created_at),
        "UpdateDate": aware(policy.updated_at),
    }
    if detail and policy.description is not None:
        shape["Description"] = policy.description
    if tags:
        shape["Tags"] = tags
    return shape


def version_shape(version: IamPolicyVersion, default_version_id: str, *, document: bool = True) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == default_version_id,
        "CreateDate": aware(version.created_at),
    }
    if document:
        shape["Document"] = encoded(version.document)
    return shape
