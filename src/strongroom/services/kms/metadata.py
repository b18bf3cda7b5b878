"""KeyMetadata as DescribeKey and CreateKey answer it, from a key's row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.services.kms.crypto.specs import algorithm_lists
from strongroom.services.kms.rotation_tables import KmsImportedMaterial
from strongroom.services.kms.store import current_material
from strongroom.services.kms.tables import KmsKey


def aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _multi_region_configuration(session: Session, key: KmsKey) -> dict[str, Any]:
    related = session.scalars(
        select(KmsKey).where(KmsKey.account_id == key.account_id, KmsKey.key_id == key.key_id)
    ).all()
    primary = next((k for k in related if k.multi_region_type == "PRIMARY"), key)
    return {
        "MultiRegionKeyType": key.multi_region_type or "PRIMARY",
        "PrimaryKey": {"Arn": primary.arn, "Region": primary.region},
        "ReplicaKeys": [
            {"Arn": k.arn, "Region": k.region} for k in sorted(related, key=lambda k: k.region) if k is not primary
        ],
    }


def key_metadata(session: Session, key: KmsKey) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": aware(key.created_at),
        "Enabled": key.enabled,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "MultiRegion": key.multi_region,
        **algorithm_lists(key.key_spec, key.key_usage),
    }
    material = current_material(session, key)
    if material is not None and _shows_material_id(key):
        metadata["CurrentKeyMaterialId"] = material.material_id
    if key.origin == "EXTERNAL" and material is not None:
        imported = session.get(
            KmsImportedMaterial, (key.account_id, key.region, key.key_id, material.material_id)
        )
        if imported is not None:
            metadata["ExpirationModel"] = imported.expiration_model
            if imported.valid_to is not None:
                metadata["ValidTo"] = aware(imported.valid_to)
    if key.deletion_date is not None:
        metadata["DeletionDate"] = aware(key.deletion_date)
    if key.pending_window_days is not None:
        metadata["PendingDeletionWindowInDays"] = key.pending_window_days
    if key.multi_region:
        metadata["MultiRegionConfiguration"] = _multi_region_configuration(session, key)
    return metadata


def _shows_material_id(key: KmsKey) -> bool:
    """AWS shows CurrentKeyMaterialId only for the keys that can hold several materials: symmetric
    encryption keys of origin AWS_KMS, and single-Region ones of origin EXTERNAL."""
    if key.key_spec != "SYMMETRIC_DEFAULT":
        return False
    return key.origin == "AWS_KMS" or (key.origin == "EXTERNAL" and not key.multi_region)
