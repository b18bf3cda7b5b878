"""Replication: ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica.

A replica is a secret of the same name and suffix in another region of the same account, whose
values are re-encrypted under a key of that region (the one asked for, else that region's
alias/aws/secretsmanager). After every change to a primary, `sync` brings its replicas up to date:
metadata, versions (new ones decrypted and re-encrypted, removed ones removed) and labels. Writes
to a replica are refused; StopReplicationToReplica makes it a standalone secret.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import delete

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import is_region
from strongroom.services.secretsmanager.envelope import open_value, seal_value
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.shapes import replicas_of, replication_status
from strongroom.services.secretsmanager.store import (
    invalid_parameter,
    invalid_request,
    replica_arn,
    secret_for,
    transaction,
    versions_of,
)
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion

SAME_NAME_TEXT = "Replication failed: Secret name already exists in the destination Region."
_COPIED = ("description", "secret_type", "tags", "policy", "policy_principals", "rotation_enabled",
           "rotation_lambda_arn", "rotation_rules", "last_rotated_at", "next_rotation_at", "last_changed_at",
           "deleted_at")


def checked_regions(ctx: RequestContext, entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    regions: dict[str, str | None] = {}
    for entry in entries:
        region = entry.get("Region")
        if not region or not is_region(region):
            raise invalid_parameter(f"Invalid replica Region: {region}")
        if region == ctx.region:
            raise invalid_parameter("Invalid replica Region: a secret can't be replicated to its own Region.")
        if region in regions:
            raise invalid_parameter(f"Region {region} is listed more than once.")
        regions[region] = entry.get("KmsKeyId")
    return list(regions.items())


def _in_region(ctx: RequestContext, region: str) -> RequestContext:
    return dataclasses.replace(ctx, region=region, resources=[], extra={})


def replicate(ctx: RequestContext, primary_arn: str, regions: list[tuple[str, str | None]], *, force: bool
              ) -> list[dict[str, Any]]:
    """Create replicas of the primary in `regions`, fill them, and answer the replication status."""
    with transaction(ctx) as session:
        primary = session.query(SmSecret).filter(SmSecret.arn == primary_arn).one()
        for region, kms_key_id in regions:
            existing = session.get(SmSecret, (primary.account_id, region, primary.name))
            if existing is not None and existing.primary_region == primary.region:
                continue
            if existing is not None and not force:
                raise invalid_request(f"{SAME_NAME_TEXT} ({region})")
            if existing is not None:
                session.execute(delete(SmSecretVersion).where(SmSecretVersion.secret_arn == existing.arn))
                session.delete(existing)
                session.flush()
            session.add(SmSecret(
                account_id=primary.account_id, region=region, name=primary.name,
                arn=replica_arn(primary.arn, region), kms_key_id=kms_key_id, tags=primary.tags,
                created_at=primary.created_at, last_changed_at=primary.last_changed_at, rotation_enabled=False,
                primary_region=primary.region, replication_status="InProgress",
            ))
    sync(ctx, primary_arn)
    with transaction(ctx) as session:
        primary = session.query(SmSecret).filter(SmSecret.arn == primary_arn).one()
        return replication_status(replicas_of(session, primary))


def sync(ctx: RequestContext, primary_arn: str) -> None:
    """Bring every replica of the primary up to date with it."""
    with transaction(ctx) as session:
        primary = session.query(SmSecret).filter(SmSecret.arn == primary_arn).one_or_none()
        if primary is None or primary.primary_region is not None:
            return
        replicas = replicas_of(session, primary)
        if not replicas:
            return
        versions = versions_of(session, primary.arn)
        session.expunge_all()
    for replica in replicas:
        try:
            _sync_one(ctx, primary, versions, replica)
            status, message = "InSync", None
        except ServiceError as error:
            status, message = "Failed", f"Replication failed: {error.message or error.code}"
        with transaction(ctx) as session:
            row = session.get(SmSecret, (replica.account_id, replica.region, replica.name))
            if row is not None:
                row.replication_status, row.replication_message = status, message


def _sync_one(ctx: RequestContext, primary: SmSecret, versions: list[SmSecretVersion], replica: SmSecret) -> None:
    replica_ctx = _in_region(ctx, replica.region)
    with transaction(ctx) as session:
        present = {version.version_id for version in versions_of(session, replica.arn)}
    fresh = []
    for version in versions:
        if version.version_id in present:
            continue
        plaintext = open_value(ctx, account_id=primary.account_id, region=primary.region, secret_arn=primary.arn,
                               version_id=version.version_id, sealed=version.sealed_value)
        sealed = seal_value(replica_ctx, account_id=replica.account_id, secret_arn=replica.arn,
                            version_id=version.version_id, kms_key_id=replica.kms_key_id, plaintext=plaintext)
        fresh.append(SmSecretVersion(
            secret_arn=replica.arn, version_id=version.version_id, stages=version.stages,
            value_kind=version.value_kind, kms_key_arn=sealed.key_arn, sealed_value=sealed.sealed,
            created_at=version.created_at,
        ))
    stages = {version.version_id: version.stages for version in versions}
    with transaction(ctx) as session:
        row = session.get(SmSecret, (replica.account_id, replica.region, replica.name))
        if row is None:
            return
        for name in _COPIED:
            setattr(row, name, getattr(primary, name))
        session.add_all(fresh)
        for version in versions_of(session, replica.arn):
            if version.version_id not in stages:
                session.delete(version)
            else:
                version.stages = stages[version.version_id]


@service.operation("ReplicateSecretToRegions")
def replicate_secret_to_regions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    regions = checked_regions(ctx, params["AddReplicaRegions"])
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        primary_arn = secret.arn
    status = replicate(ctx, primary_arn, regions, force=bool(params.get("ForceOverwriteReplicaSecret")))
    return {"ARN": primary_arn, "ReplicationStatus": status}


@service.operation("RemoveRegionsFromReplication")
def remove_regions_from_replication(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    removed = set(params["RemoveReplicaRegions"])
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        replicas = replicas_of(session, secret)
        known = {replica.region for replica in replicas}
        unknown = sorted(removed - known)
        if unknown:
            raise invalid_parameter(f"Invalid replica Region: {unknown[0]} is not a replica Region of this secret.")
        for replica in replicas:
            if replica.region in removed:
                session.execute(delete(SmSecretVersion).where(SmSecretVersion.secret_arn == replica.arn))
                session.delete(replica)
        session.flush()
        return {"ARN": secret.arn, "ReplicationStatus": replication_status(replicas_of(session, secret))}


@service.operation("StopReplicationToReplica")
def stop_replication_to_replica(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"])
        if secret.primary_region is None:
            raise invalid_request("StopReplicationToReplica is only valid for a replica secret.")
        secret.primary_region = None
        secret.replication_status = secret.replication_message = None
        secret.kms_key_id = secret.kms_key_id or None
        return {"ARN": secret.arn}


@service.operation("AssociateCrossAccountReplica")
def associate_cross_account_replica(_ctx: RequestContext, _params: dict[str, Any]) -> dict[str, Any]:
    raise invalid_request("Cross-account replicas are not supported by this server.")


@service.operation("DisassociateCrossAccountReplica")
def disassociate_cross_account_replica(_ctx: RequestContext, _params: dict[str, Any]) -> dict[str, Any]:
    raise invalid_request("Cross-account replicas are not supported by this server.")



