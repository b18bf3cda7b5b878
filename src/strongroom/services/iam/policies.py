"""Customer managed policies and their versions.

A managed policy keeps up to five versions; exactly one is the default, the one that takes effect.
Version ids (v1, v2, ...) are never reused. AWS managed policies are not stored here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.inline import checked_identity_policy
from strongroom.services.iam.naming import POLICY_ID_PREFIX, entity_arn, name_key, new_id
from strongroom.services.iam.plugin import created_policy, listing, operation, policy_arn
from strongroom.services.iam.queries import (
    add_tags,
    drop_tags,
    note_resource,
    paginate,
    require_policy,
    tags_of,
    transaction,
    under_path,
)
from strongroom.services.iam.shapes import policy_shape, version_shape
from strongroom.services.iam.tables import IamManagedPolicy, IamPolicyAttachment, IamPolicyVersion, IamRole, IamUser

POLICY_TYPE = "AWS::IAM::Policy"
MAX_VERSIONS = 5


def attachment_count(session: Session, policy_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(IamPolicyAttachment).where(IamPolicyAttachment.policy_id == policy_id)
        )
        or 0
    )


def boundary_use_count(session: Session, arn: str) -> int:
    users = session.scalar(select(func.count()).select_from(IamUser).where(IamUser.permissions_boundary_arn == arn))
    roles = session.scalar(select(func.count()).select_from(IamRole).where(IamRole.permissions_boundary_arn == arn))
    return int(users or 0) + int(roles or 0)


def _shape(session: Session, policy: IamManagedPolicy, *, detail: bool = True) -> dict[str, Any]:
    return policy_shape(
        policy,
        attachments=attachment_count(session, policy.policy_id),
        boundary_uses=boundary_use_count(session, policy.arn),
        tags=tags_of(session, policy.policy_id) if detail else None,
        detail=detail,
    )


def _versions(session: Session, policy: IamManagedPolicy) -> list[IamPolicyVersion]:
    rows = session.scalars(select(IamPolicyVersion).where(IamPolicyVersion.policy_id == policy.policy_id)).all()
    return sorted(rows, key=_version_number, reverse=True)


def _version_number(version: IamPolicyVersion) -> int:
    return int(version.version_id[1:].split(".")[0])


def _require_version(session: Session, policy: IamManagedPolicy, version_id: str) -> IamPolicyVersion:
    version = session.get(IamPolicyVersion, (policy.policy_id, version_id))
    if version is None:
        raise errors.no_such_entity(f"Policy {policy.arn} version {version_id} does not exist or is not attachable.")
    return version


@operation("CreatePolicy", created_policy)
def create_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["PolicyName"]
    document = checked_identity_policy(params["PolicyDocument"])
    now = ctx.clock.now()
    with transaction(ctx) as session:
        taken = session.scalar(
            select(IamManagedPolicy.policy_id).where(
                IamManagedPolicy.account_id == ctx.account_id, IamManagedPolicy.name_key == name_key(name)
            )
        )
        if taken is not None:
            raise errors.policy_exists(name)
        path = params.get("Path") or "/"
        policy = IamManagedPolicy(
            policy_id=new_id(POLICY_ID_PREFIX),
            account_id=ctx.account_id,
            policy_name=name,
            name_key=name_key(name),
            path=path,
            arn=entity_arn(ctx.account_id, "policy", path, name),
            description=params.get("Description"),
            default_version_id="v1",
            next_version=2,
            created_at=now,
            updated_at=now,
        )
        session.add(policy)
        session.add(
            IamPolicyVersion(
                policy_id=policy.policy_id,
                version_id="v1",
                account_id=ctx.account_id,
                document=document,
                created_at=now,
            )
        )
        session.flush()
        if params.get("Tags"):
            add_tags(session, ctx.account_id, "policy", policy.policy_id, params["Tags"])
        shape = _shape(session, policy)
    shape.pop("Description", None)  # CreatePolicy does not echo the description
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {"Policy": shape}


@operation("GetPolicy", policy_arn())
def get_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        shape = _shape(session, policy)
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {"Policy": shape}


@operation("ListPolicies", listing("policy"))
def list_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("Scope") == "AWS":
        return {"Policies": [], "IsTruncated": False}
    usage = params.get("PolicyUsageFilter")
    with transaction(ctx) as session:
        stored = session.scalars(select(IamManagedPolicy).where(IamManagedPolicy.account_id == ctx.account_id)).all()
        shapes = []
        for policy in sorted(stored, key=lambda row: row.name_key):
            if not under_path(policy.path, params.get("PathPrefix")):
                continue
            shape = _shape(session, policy, detail=False)
            in_use = {
                "PermissionsPolicy": shape["AttachmentCount"] > 0,
                "PermissionsBoundary": shape["PermissionsBoundaryUsageCount"] > 0,
            }
            if params.get("OnlyAttached") and not (in_use[usage] if usage else any(in_use.values())):
                continue
            shapes.append(shape)
    page, more = paginate(shapes, params, lambda shape: shape["PolicyName"].lower())
    return {"Policies": page, **more}


@operation("DeletePolicy", policy_arn())
def delete_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        if attachment_count(session, policy.policy_id) or boundary_use_count(session, policy.arn):
            raise errors.delete_conflict("Cannot delete a policy attached to entities.")
        versions = _versions(session, policy)
        if len(versions) > 1:
            raise errors.delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's "
                "versions. The default version is deleted with the policy."
            )
        for version in versions:
            session.delete(version)
        drop_tags(session, policy.policy_id)
        session.delete(policy)
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {}


@operation("CreatePolicyVersion", policy_arn())
def create_policy_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    document = checked_identity_policy(params["PolicyDocument"])
    now = ctx.clock.now()
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        if len(_versions(session, policy)) >= MAX_VERSIONS:
            raise errors.limit_exceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
                "existing version."
            )
        version = IamPolicyVersion(
            policy_id=policy.policy_id,
            version_id=f"v{policy.next_version}",
            account_id=ctx.account_id,
            document=document,
            created_at=now,
        )
        session.add(version)
        policy.next_version += 1
        if params.get("SetAsDefault"):
            policy.default_version_id, policy.updated_at = version.version_id, now
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {"PolicyVersion": version_shape(version, policy.default_version_id, document=False)}


@operation("GetPolicyVersion", policy_arn())
def get_policy_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        version = _require_version(session, policy, params["VersionId"])
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {"PolicyVersion": version_shape(version, policy.default_version_id)}


@operation("ListPolicyVersions", policy_arn())
def list_policy_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        versions = _versions(session, policy)
    # Newest first; a zero-padded key keeps that order for the page markers.
    page, more = paginate(versions, params, lambda version: f"{10**9 - _version_number(version):010d}")
    return {"Versions": [version_shape(version, policy.default_version_id, document=False) for version in page], **more}


@operation("DeletePolicyVersion", policy_arn())
def delete_policy_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        version = _require_version(session, policy, params["VersionId"])
        if version.version_id == policy.default_version_id:
            raise errors.delete_conflict("Cannot delete the default version of a policy.")
        session.delete(version)
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {}


@operation("SetDefaultPolicyVersion", policy_arn())
def set_default_policy_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        policy = require_policy(session, ctx.account_id, params["PolicyArn"])
        version = _require_version(session, policy, params["VersionId"])
        policy.default_version_id, policy.updated_at = version.version_id, ctx.clock.now()
    note_resource(ctx, POLICY_TYPE, policy.arn)
    return {}
