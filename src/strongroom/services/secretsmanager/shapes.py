"""Secrets as the API shows them: DescribeSecret, ListSecrets entries, replication status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.services.secretsmanager.store import day_of, rules_of, stages_of, tags_of, versions_of
from strongroom.services.secretsmanager.tables import SmSecret


def replicas_of(session: Session, secret: SmSecret) -> list[SmSecret]:
    """The replicas of a primary secret, by region."""
    return list(session.scalars(
        select(SmSecret)
        .where(SmSecret.account_id == secret.account_id, SmSecret.name == secret.name,
               SmSecret.primary_region == secret.region)
        .order_by(SmSecret.region)
    ))


def replication_status(replicas: list[SmSecret]) -> list[dict[str, Any]]:
    entries = []
    for replica in replicas:
        entry: dict[str, Any] = {
            "Region": replica.region,
            "KmsKeyId": replica.kms_key_id or "alias/aws/secretsmanager",
            "Status": replica.replication_status or "InSync",
        }
        if replica.replication_message:
            entry["StatusMessage"] = replica.replication_message
        if replica.last_accessed_at is not None:
            entry["LastAccessedDate"] = day_of(replica.last_accessed_at)
        entries.append(entry)
    return entries


def _common(secret: SmSecret) -> dict[str, Any]:
    out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
    if secret.secret_type:
        out["Type"] = secret.secret_type
    if secret.description:  # AWS leaves an empty description out, as it does one never given
        out["Description"] = secret.description
    if secret.kms_key_id:
        out["KmsKeyId"] = secret.kms_key_id
    if secret.rotation_lambda_arn is not None or secret.rotation_enabled:
        out["RotationEnabled"] = secret.rotation_enabled
    if secret.rotation_lambda_arn:
        out["RotationLambdaARN"] = secret.rotation_lambda_arn
    rules = rules_of(secret)
    if rules:
        out["RotationRules"] = rules
    if secret.last_rotated_at is not None:
        out["LastRotatedDate"] = secret.last_rotated_at
    out["LastChangedDate"] = secret.last_changed_at
    if secret.last_accessed_at is not None:
        out["LastAccessedDate"] = day_of(secret.last_accessed_at)
    if secret.deleted_at is not None:
        out["DeletedDate"] = secret.deleted_at
    if secret.rotation_enabled and secret.next_rotation_at is not None:
        out["NextRotationDate"] = secret.next_rotation_at
    tags = tags_of(secret)
    if tags:
        out["Tags"] = tags
    out["CreatedDate"] = secret.created_at
    return out


def stages_map(session: Session, secret: SmSecret) -> dict[str, list[str]]:
    return {
        version.version_id: stages_of(version)
        for version in versions_of(session, secret.arn)
        if stages_of(version)
    }


def describe(session: Session, secret: SmSecret) -> dict[str, Any]:
    out = _common(secret)
    stages = stages_map(session, secret)
    if stages:  # a secret without versions (created without a value) has none to show, as in AWS
        out["VersionIdsToStages"] = stages
    if secret.primary_region is not None:
        out["PrimaryRegion"] = secret.primary_region
    else:
        replicas = replicas_of(session, secret)
        if replicas:
            out["PrimaryRegion"] = secret.region
            out["ReplicationStatus"] = replication_status(replicas)
    return out


def list_entry(session: Session, secret: SmSecret) -> dict[str, Any]:
    out = _common(secret)
    stages = stages_map(session, secret)
    if stages:
        out["SecretVersionsToStages"] = stages
    if secret.primary_region is not None:
        out["PrimaryRegion"] = secret.primary_region
    return out
