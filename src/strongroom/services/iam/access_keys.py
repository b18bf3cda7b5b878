"""Access keys of IAM users: Create/List/Update/DeleteAccessKey and GetAccessKeyLastUsed.

Keys live in the foundation's access_keys table; their secrets are sealed by the barrier through the
credential store, and returned once, by CreateAccessKey. A key's row names the user by its unique id
(principal_id), and carries the user's ARN and name for authentication, so renaming a user rewrites
them and seals each secret again (it is sealed for whom the key authenticates as). Whenever a key
changes, the credential store is told to forget what it cached of it, so that an inactive or deleted
key stops authenticating at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.credentials import seal_secret, secret_locator
from strongroom.barrier import Barrier
from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.naming import aware
from strongroom.services.iam.plugin import entity, operation
from strongroom.services.iam.queries import caller_user, note_resource, require_user, transaction
from strongroom.services.iam.shapes import user_arn
from strongroom.services.iam.tables import IamUser
from strongroom.store.tables import AccessKey

MAX_KEYS_PER_USER = 2
USER_TYPE = "AWS::IAM::User"
IAM_USER = "IAMUser"


def keys_of(session: Session, user: IamUser) -> list[AccessKey]:
    return list(
        session.scalars(
            select(AccessKey)
            .where(AccessKey.principal_type == IAM_USER, AccessKey.principal_id == user.user_id)
            .order_by(AccessKey.created_at)
        )
    )


def forget_keys(ctx: RequestContext, access_key_ids: list[str]) -> None:
    """Make the credential store drop cached keys; called once the change is committed."""
    assert ctx.runtime is not None
    for access_key_id in access_key_ids:
        ctx.runtime.credentials.forget(access_key_id)


def rename_key_owner(session: Session, barrier: Barrier, user: IamUser, *, new_arn: str) -> list[str]:
    """After a rename, the user's keys authenticate under its new ARN and name: the ids of those keys."""
    keys = keys_of(session, user)
    for key in keys:
        secret = barrier.open(key.sealed_secret, secret_locator(key)).decode()
        key.principal_arn, key.user_name = new_arn, user.user_name
        seal_secret(barrier, key, secret)
    return [key.access_key_id for key in keys]


def _target_user(ctx: RequestContext, session: Session, params: dict[str, Any]) -> IamUser:
    """The user named in the request, or the calling IAM user when none is named."""
    if params.get("UserName") is not None:
        return require_user(session, ctx.account_id, params["UserName"])
    assert ctx.principal is not None
    if ctx.principal.is_root:
        # The root's own keys are the server's bootstrap credentials, managed outside IAM.
        raise errors.validation_error("Must specify userName when calling with non-User credentials")
    return caller_user(session, ctx)


def _metadata(key: AccessKey, user: IamUser) -> dict[str, Any]:
    return {
        "UserName": user.user_name,
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": aware(key.created_at),
    }


def _require_key(session: Session, user: IamUser, access_key_id: str) -> AccessKey:
    key = session.get(AccessKey, access_key_id)
    if key is None or key.principal_type != IAM_USER or key.principal_id != user.user_id:
        raise errors.no_such_entity(f"The Access Key with id {access_key_id} cannot be found.")
    return key


@operation("CreateAccessKey", entity("user"))
def create_access_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    assert ctx.runtime is not None
    now = ctx.clock.now()
    with transaction(ctx) as session:
        user = _target_user(ctx, session, params)
        if len(keys_of(session, user)) >= MAX_KEYS_PER_USER:
            raise errors.limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
        arn = user_arn(user)
        # The store seals the secret with the barrier; it leaves the server only in this answer.
        access_key_id, secret = ctx.runtime.credentials.create_access_key(
            session,
            account_id=ctx.account_id,
            principal_type=IAM_USER,
            principal_arn=arn,
            principal_id=user.user_id,
            user_name=user.user_name,
            now=now,
        )
    note_resource(ctx, USER_TYPE, arn)
    return {
        "AccessKey": {
            "UserName": user.user_name,
            "AccessKeyId": access_key_id,
            "Status": "Active",
            "SecretAccessKey": secret,
            "CreateDate": now,
        }
    }


@operation("ListAccessKeys", entity("user"))
def list_access_keys(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = _target_user(ctx, session, params)
        keys = keys_of(session, user)
    # A user has at most two keys: one page always holds them.
    return {"AccessKeyMetadata": [_metadata(key, user) for key in keys], "IsTruncated": False}


@operation("UpdateAccessKey", entity("user"))
def update_access_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = _target_user(ctx, session, params)
        key = _require_key(session, user, params["AccessKeyId"])
        key.status = params["Status"]
        arn = user_arn(user)
    forget_keys(ctx, [key.access_key_id])
    note_resource(ctx, USER_TYPE, arn)
    return {}


@operation("DeleteAccessKey", entity("user"))
def delete_access_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        user = _target_user(ctx, session, params)
        key = _require_key(session, user, params["AccessKeyId"])
        session.delete(key)
        arn = user_arn(user)
    forget_keys(ctx, [key.access_key_id])
    note_resource(ctx, USER_TYPE, arn)
    return {}


def _key_owner(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    with transaction(ctx) as session:
        key = session.get(AccessKey, params["AccessKeyId"])
    if key is None or key.account_id != ctx.account_id:
        return ["*"]
    return [key.principal_arn]


@operation("GetAccessKeyLastUsed", _key_owner)
def get_access_key_last_used(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    access_key_id = params["AccessKeyId"]
    with transaction(ctx) as session:
        key = session.get(AccessKey, access_key_id)
    if key is None or key.account_id != ctx.account_id:
        raise errors.no_such_entity(f"The Access Key with id {access_key_id} cannot be found.")
    # Strongroom does not record key use yet: IAM answers "N/A" for a key never used.
    answer: dict[str, Any] = {"AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
    if key.user_name is not None:
        answer["UserName"] = key.user_name
    return answer
