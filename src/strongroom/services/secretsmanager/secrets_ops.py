"""Secrets and their lifecycle: CreateSecret, DescribeSecret, UpdateSecret, DeleteSecret, RestoreSecret,
and the scheduled task that destroys secrets whose recovery window has ended on the server clock.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.secretsmanager import replication
from strongroom.services.secretsmanager.envelope import check_key, seal_value
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.shapes import describe, replicas_of
from strongroom.services.secretsmanager.store import (
    CURRENT,
    invalid_parameter,
    invalid_request,
    new_secret_arn,
    note_secret,
    now,
    secret_for,
    transaction,
)
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion
from strongroom.services.secretsmanager.tags import checked_tags
from strongroom.services.secretsmanager.versions import (
    TOKEN_EXISTS_TEXT,
    SecretValue,
    add_version,
    new_token,
    read_version,
    value_from,
)

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]+")
NAME_TEXT = (
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
)
SCHEDULED_NAME_TEXT = "You can't create this secret because a secret with this name is already scheduled for deletion."
RECOVERY_WINDOW = range(7, 31)


def _name_taken(name: str) -> ServiceError:
    return ServiceError("ResourceExistsException", f"The operation failed because the secret {name} already exists.")


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ServiceError("ValidationException", NAME_TEXT)


def _existing(ctx: RequestContext, name: str, token: str, value: SecretValue | None) -> dict[str, Any]:
    """CreateSecret for a name already taken: a retry of the same request, or AWS's error."""
    with transaction(ctx) as session:
        secret = session.get(SmSecret, (ctx.account_id, ctx.region, name))
        if secret is None:
            raise _name_taken(name)
        if secret.deleted_at is not None:
            raise invalid_request(SCHEDULED_NAME_TEXT)
        version = session.get(SmSecretVersion, (secret.arn, token))
        session.expunge_all()
    if version is None:
        raise _name_taken(name)
    if value is None or read_version(ctx, secret, version) != value:
        raise ServiceError("ResourceExistsException", TOKEN_EXISTS_TEXT)
    return {"ARN": secret.arn, "Name": secret.name, "VersionId": token}


@service.operation("CreateSecret")
def create_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    check_name(name)
    if params.get("CrossAccountPrimaryARN"):
        raise invalid_request("Cross-account replicas are not supported by this server.")
    value = value_from(params)
    tags = checked_tags(params.get("Tags") or [])
    token = new_token(params)
    kms_key_id = params.get("KmsKeyId")
    regions = replication.checked_regions(ctx, params.get("AddReplicaRegions") or [])
    if kms_key_id:
        check_key(ctx, kms_key_id)
    with transaction(ctx) as session:
        taken = session.get(SmSecret, (ctx.account_id, ctx.region, name)) is not None
    if taken:
        return _existing(ctx, name, token, value)
    arn = new_secret_arn(ctx.region, ctx.account_id, name)
    sealed = None
    if value is not None:
        sealed = seal_value(ctx, account_id=ctx.account_id, secret_arn=arn, version_id=token,
                            kms_key_id=kms_key_id, plaintext=value.data)
    moment = now(ctx)
    secret = SmSecret(
        account_id=ctx.account_id, region=ctx.region, name=name, arn=arn, description=params.get("Description"),
        kms_key_id=kms_key_id, secret_type=params.get("Type"), tags=json.dumps(tags), created_at=moment,
        last_changed_at=moment, rotation_enabled=False,
    )
    with transaction(ctx) as session:
        if session.get(SmSecret, (ctx.account_id, ctx.region, name)) is not None:
            raise _name_taken(name)
        session.add(secret)
        if sealed is not None and value is not None:
            session.add(SmSecretVersion(
                secret_arn=arn, version_id=token, stages=json.dumps([CURRENT]), value_kind=value.kind,
                kms_key_arn=sealed.key_arn, sealed_value=sealed.sealed, created_at=moment,
            ))
    note_secret(ctx, secret)
    out: dict[str, Any] = {"ARN": arn, "Name": name}
    if value is not None:
        out["VersionId"] = token
    if regions:
        out["ReplicationStatus"] = replication.replicate(
            ctx, arn, regions, force=bool(params.get("ForceOverwriteReplicaSecret"))
        )
    return out


@service.operation("DescribeSecret")
def describe_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], deleted_ok=True)
        return describe(session, secret)


@service.operation("UpdateSecret")
def update_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    secret_id = params["SecretId"]
    value = value_from(params)
    kms_key_id = params.get("KmsKeyId")
    if kms_key_id:
        check_key(ctx, kms_key_id)
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, secret_id, replica_ok=False)
        if "Description" in params:
            secret.description = params["Description"]
        if kms_key_id is not None:
            secret.kms_key_id = kms_key_id or None
        if params.get("Type") is not None:
            secret.secret_type = params["Type"]
        secret.last_changed_at = now(ctx)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
    if value is not None:
        _secret, version, _created = add_version(ctx, secret_id, new_token(params), value, None)
        out["VersionId"] = version.version_id
    replication.sync(ctx, out["ARN"])
    return out


def _destroy(session: Any, secret_arn: str) -> None:
    session.execute(delete(SmSecretVersion).where(SmSecretVersion.secret_arn == secret_arn))
    session.execute(delete(SmSecret).where(SmSecret.arn == secret_arn))


@service.operation("DeleteSecret")
def delete_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    window = params.get("RecoveryWindowInDays")
    force = bool(params.get("ForceDeleteWithoutRecovery"))
    if force and window is not None:
        raise invalid_parameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
        )
    if window is not None and window not in RECOVERY_WINDOW:
        raise invalid_parameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    moment = now(ctx)
    with transaction(ctx) as session:
        try:
            secret = secret_for(session, ctx, params["SecretId"], deleted_ok=force, replica_ok=False)
        except ServiceError as error:
            if force and error.code == "ResourceNotFoundException":
                return {"Name": params["SecretId"], "DeletionDate": moment}
            raise
        replicas = replicas_of(session, secret)
        if replicas:
            raise invalid_request(
                f"You can't delete secret {secret.name} that still has replica regions "
                f"[{', '.join(replica.region for replica in replicas)}]"
            )
        out = {"ARN": secret.arn, "Name": secret.name}
        if force:
            _destroy(session, secret.arn)
            return {**out, "DeletionDate": moment}
        secret.deleted_at = moment
        secret.destroy_at = moment + timedelta(days=window or 30)
        return {**out, "DeletionDate": secret.destroy_at}


@service.operation("RestoreSecret")
def restore_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], deleted_ok=True, replica_ok=False)
        secret.deleted_at = None
        secret.destroy_at = None
        return {"ARN": secret.arn, "Name": secret.name}


@service.task("destroy-deleted-secrets")
def destroy_deleted_secrets(runtime: Runtime) -> None:
    """Destroy every secret whose recovery window has ended (each in its own transaction)."""
    moment = runtime.clock.now()
    with runtime.database.session() as session:
        due = list(session.scalars(select(SmSecret.arn).where(SmSecret.destroy_at <= moment)))
    for secret_arn in due:
        with runtime.database.session(writes=True) as session:
            still_due = session.scalar(
                select(SmSecret.arn).where(SmSecret.arn == secret_arn, SmSecret.destroy_at <= moment)
            )
            if still_due is not None:
                _destroy(session, secret_arn)
