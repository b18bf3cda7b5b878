"""Secret values and their labels: GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
ListSecretVersionIds. BatchGetSecretValue is in listing (it shares ListSecrets' filters).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.secretsmanager import access, read_cache, replication
from strongroom.services.secretsmanager.envelope import open_value
from strongroom.services.secretsmanager.paging import page
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.store import (
    CURRENT,
    MARKED_FOR_DELETION_TEXT,
    day_of,
    invalid_parameter,
    invalid_request,
    not_found,
    note_secret_arn,
    now,
    secret_for,
    stages_of,
    transaction,
    version_with_stage,
    versions_of,
)
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion
from strongroom.services.secretsmanager.versions import SecretValue, add_version, move_stage, new_token, value_from

STAGE_NOT_ON_VERSION_TEXT = "You provided a VersionStage that is not associated to the provided VersionId."


def _version_not_found(version_id: str) -> ServiceError:
    text = f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
    return ServiceError("ResourceNotFoundException", text)


def _stage_not_found(stage: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for staging label: {stage}"
    )


def stored_version(ctx: RequestContext, secret_arn: str, version_id: str | None,
                   stage: str | None) -> read_cache.StoredVersion:
    """The version GetSecretValue answers for (VersionId and/or VersionStage, default AWSCURRENT), read
    from the store as plain values; AWS's error when there is none."""
    if version_id is not None:
        version = read_cache.read_version(ctx, secret_arn, version_id)
        if version is None:
            raise _version_not_found(version_id)
        if stage is not None and stage not in version.stages:
            raise invalid_request(STAGE_NOT_ON_VERSION_TEXT)
        return version
    label = stage or CURRENT
    found = next((version for version in read_cache.read_versions(ctx, secret_arn) if label in version.stages), None)
    if found is None:
        raise _stage_not_found(label)
    return found


def secret_value(ctx: RequestContext, secret_id: str, version_id: str | None, stage: str | None) -> dict[str, Any]:
    """GetSecretValue's answer; records the access (to the day) on the secret and the version.

    The secret and version come from the worker's read cache, else from the store, with AWS's errors
    for a missing, deleted or mislabelled secret.
    """
    secret = read_cache.secret_of(ctx, secret_id)
    if secret is None:
        raise not_found()
    if secret.deleted:
        raise invalid_request(MARKED_FOR_DELETION_TEXT)
    note_secret_arn(ctx, secret.account_id, secret.arn)
    lookup = (secret.arn, version_id, stage)
    version = read_cache.cached_version(ctx, lookup)
    if version is None:
        version = stored_version(ctx, secret.arn, version_id, stage)
        read_cache.keep(ctx, secret_id, secret, lookup, version)
    today = ctx.received_at.date()  # UTC
    if secret.last_accessed_on != today or version.last_accessed_on != today:
        access.record(ctx, secret.arn, version.version_id, day_of(ctx.received_at))
        # Recorded, or to be with this call's audit record: this worker's next reads need not write
        # it again today while the revision holds (the write does not move it).
        read_cache.keep(ctx, secret_id, replace(secret, last_accessed_on=today), lookup,
                        replace(version, last_accessed_on=today))
    return _answer(ctx, secret, version)


def _answer(ctx: RequestContext, secret: read_cache.StoredSecret, version: read_cache.StoredVersion) -> dict[str, Any]:
    data = open_value(ctx, account_id=secret.account_id, region=secret.region, secret_arn=secret.arn,
                      version_id=version.version_id, sealed=version.sealed_value)
    return {
        "ARN": secret.arn, "Name": secret.name, "VersionId": version.version_id,
        **SecretValue(version.value_kind, data).as_output(), "VersionStages": list(version.stages),
        "CreatedDate": version.created_at,
    }


@service.operation("GetSecretValue")
def get_secret_value(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return secret_value(ctx, params["SecretId"], params.get("VersionId"), params.get("VersionStage"))


@service.operation("PutSecretValue")
def put_secret_value(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    value = value_from(params, required=True)
    assert value is not None
    secret, version, _created = add_version(
        ctx, params["SecretId"], new_token(params), value, params.get("VersionStages")
    )
    replication.sync(ctx, secret.arn)
    return {"ARN": secret.arn, "Name": secret.name, "VersionId": version.version_id,
            "VersionStages": stages_of(version)}


@service.operation("UpdateSecretVersionStage")
def update_secret_version_stage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    stage = params["VersionStage"]
    move_to, remove_from = params.get("MoveToVersionId"), params.get("RemoveFromVersionId")
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        versions = versions_of(session, secret.arn)
        by_id = {version.version_id: version for version in versions}
        for named in (move_to, remove_from):
            if named is not None and named not in by_id:
                raise _version_not_found(named)
        holder = version_with_stage(versions, stage)
        if remove_from is not None and (holder is None or holder.version_id != remove_from):
            raise invalid_parameter(
                f"The staging label {stage} is not attached to version {remove_from}, so you can't remove it."
            )
        if move_to is not None and holder is not None and holder.version_id != move_to and remove_from is None:
            raise invalid_parameter(
                f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to "
                f"version {holder.version_id}, so you must explicitly reference that version in RemoveFromVersionId."
            )
        if move_to is None and stage == CURRENT:
            raise invalid_parameter(
                "You can't remove the staging label AWSCURRENT without moving it to another version."
            )
        move_stage(versions, stage, by_id[move_to] if move_to is not None else None)
        secret.last_changed_at = now(ctx)
        out = {"ARN": secret.arn, "Name": secret.name}
    replication.sync(ctx, out["ARN"])
    return out


def _version_entry(secret: SmSecret, version: SmSecretVersion) -> dict[str, Any]:
    entry: dict[str, Any] = {"VersionId": version.version_id}
    stages = stages_of(version)
    if stages:
        entry["VersionStages"] = stages
    if version.last_accessed_at is not None:
        entry["LastAccessedDate"] = day_of(version.last_accessed_at)
    entry["CreatedDate"] = version.created_at
    entry["KmsKeyIds"] = [version.kms_key_arn if secret.kms_key_id else "DefaultEncryptionKey"]
    return entry


@service.operation("ListSecretVersionIds")
def list_secret_version_ids(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], deleted_ok=True)
        versions = [
            version for version in versions_of(session, secret.arn)
            if params.get("IncludeDeprecated") or stages_of(version)
        ]
        chosen, paging = page(versions, params.get("MaxResults"), params.get("NextToken"))
        return {"Versions": [_version_entry(secret, version) for version in chosen], **paging,
                "ARN": secret.arn, "Name": secret.name}


__all__ = ["new_token", "secret_value", "stored_version"]
