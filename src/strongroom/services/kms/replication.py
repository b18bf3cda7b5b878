"""Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and primaries waiting for their replicas' deletion.

A replica is a key of the same account with the same key id in another region of the partition; it
has its own policy, description, tags and state, and every material of its primary, each sealed
under the replica's own locator, so ciphertexts of one region decrypt in the others. Rotation of
the primary writes new material into every related region (`rotation.rotate_key_material`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import is_region, partition_of
from strongroom.services.kms import states
from strongroom.services.kms.metadata import key_metadata
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.policies import checked_policy, default_policy
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import (
    forget_material,
    key_arn,
    note_key,
    resolve_key,
    seal_material,
    transaction,
    unseal_material,
)
from strongroom.services.kms.tables import KmsKey, KmsKeyMaterial
from strongroom.services.kms.tags import add_tags, check_tags

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

PRIMARY = "PRIMARY"
REPLICA = "REPLICA"


def _not_primary(key: KmsKey) -> ServiceError:
    return ServiceError("UnsupportedOperationException", f"{key.arn} is not a multi-region primary key.")


def _check_region(key: KmsKey, region: str) -> None:
    if not is_region(region) or partition_of(region) != partition_of(key.region):
        raise ServiceError("ValidationException", f"{region} is not a valid replica region for {key.arn}.")
    if region == key.region:
        raise ServiceError("ValidationException", f"The replica region {region} is the region of {key.arn}.")


def _materials(session: Session, key: KmsKey) -> list[KmsKeyMaterial]:
    return list(session.scalars(select(KmsKeyMaterial).where(
        KmsKeyMaterial.account_id == key.account_id, KmsKeyMaterial.region == key.region,
        KmsKeyMaterial.key_id == key.key_id,
    )))


@service.operation("ReplicateKey", resources=key_resource())
def replicate_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    region = params["ReplicaRegion"]
    tags = params.get("Tags") or []
    check_tags(tags)
    with transaction(ctx) as session:
        primary = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, primary)
        if primary.multi_region_type != PRIMARY:
            raise _not_primary(primary)
        check_state(primary.arn, primary.state, OperationClass.CRYPTO)
        if primary.state == states.UPDATING:
            raise ServiceError("KMSInvalidStateException", f"{primary.arn} is updating.")
        _check_region(primary, region)
        arn = key_arn(region, primary.account_id, primary.key_id)
        if session.get(KmsKey, (primary.account_id, region, primary.key_id)) is not None:
            raise ServiceError("AlreadyExistsException", f"Key '{arn}' already exists")
        policy, principals = default_policy(primary.account_id, region), None
        if "Policy" in params:
            policy, principals = checked_policy(ctx, session, params["Policy"], arn,
                                                bypass_lockout_check=bool(params.get("BypassPolicyLockoutSafetyCheck")))
        materials = _materials(session, primary)
        replica = KmsKey(
            account_id=primary.account_id, region=region, key_id=primary.key_id, arn=arn,
            key_spec=primary.key_spec, key_usage=primary.key_usage, origin=primary.origin,
            key_manager=primary.key_manager, description=params.get("Description", ""),
            state=states.ENABLED if materials else states.PENDING_IMPORT, created_at=ctx.clock.now(),
            multi_region=True, multi_region_type=REPLICA, primary_region=primary.region, policy=policy,
            policy_principals=principals,
            rotation_period_days=primary.rotation_period_days, next_rotation_at=primary.next_rotation_at,
        )
        session.add(replica)
        for row in materials:
            material = unseal_material(ctx, primary, row)
            session.add(KmsKeyMaterial(
                account_id=replica.account_id, region=region, key_id=replica.key_id, material_id=row.material_id,
                sealed_material=seal_material(ctx, replica, row.material_id, material), created_at=row.created_at,
                state=row.state, rotation_type=row.rotation_type,
            ))
        session.flush()
        add_tags(session, replica, tags, creating=True)
        return {
            "ReplicaKeyMetadata": key_metadata(session, replica),
            "ReplicaPolicy": policy,
            "ReplicaTags": [{"TagKey": tag["TagKey"], "TagValue": tag["TagValue"]} for tag in tags],
        }


@service.operation("UpdatePrimaryRegion", resources=key_resource())
def update_primary_region(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    region = params["PrimaryRegion"]
    with transaction(ctx) as session:
        current = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, current)
        if not current.multi_region:
            raise ServiceError("UnsupportedOperationException", f"{current.arn} is not a multi-region key.")
        if current.multi_region_type != PRIMARY:
            raise _not_primary(current)
        check_state(current.arn, current.state, OperationClass.CRYPTO)
        if region == current.region:
            return {}
        target = session.get(KmsKey, (current.account_id, region, current.key_id), with_for_update=True)
        if target is None:
            raise ServiceError("NotFoundException", f"Key '{key_arn(region, current.account_id, current.key_id)}' "
                                                    "does not exist")
        check_state(target.arn, target.state, OperationClass.CRYPTO)
        # AWS passes through a transient Updating state; here the swap is one transaction.
        for key in session.scalars(select(KmsKey).where(
            KmsKey.account_id == current.account_id, KmsKey.key_id == current.key_id
        )):
            key.primary_region = region
            key.multi_region_type = PRIMARY if key.region == region else REPLICA
    return {}


def has_replicas(session: Session, key: KmsKey) -> bool:
    """Whether other regions hold keys of this multi-Region key (not yet deleted)."""
    others = select(KmsKey.key_id).where(
        KmsKey.account_id == key.account_id, KmsKey.key_id == key.key_id, KmsKey.region != key.region
    )
    return bool(session.scalar(select(exists(others))))


@service.task("start-primary-deletion")
def start_primary_deletion(runtime: Runtime) -> None:
    """A primary waiting for its replicas' deletion starts its own waiting period once the last is gone."""
    now = runtime.clock.now()
    with runtime.database.session(writes=True) as session:
        waiting = session.scalars(select(KmsKey).where(KmsKey.state == states.PENDING_REPLICA_DELETION)).all()
        for key in waiting:
            if has_replicas(session, key):
                continue
            key.state = states.PENDING_DELETION
            key.deletion_date = now + timedelta(days=key.pending_window_days or 30)
            forget_material(key)
