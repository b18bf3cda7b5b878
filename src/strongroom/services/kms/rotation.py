"""Key rotation: Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations,
and the scheduled task that rotates keys whose automatic rotation date has passed.

Rotation adds a new CURRENT material and turns the previous one NON_CURRENT; old materials stay so
ciphertexts they produced keep decrypting. A multi-Region key set shares its material: rotating the
primary writes the new material into every related replica too (`rotate_key_material`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import states
from strongroom.services.kms.crypto.material import generate_material
from strongroom.services.kms.events import KEY_ROTATION, emit_key_event
from strongroom.services.kms.metadata import aware
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.rotation_tables import KmsImportedMaterial
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import (
    CURRENT,
    NON_CURRENT,
    decode_marker,
    encode_marker,
    forget_material,
    material_cache,
    material_locator,
    note_key,
    resolve_key,
    runtime_of,
    transaction,
)
from strongroom.services.kms.tables import KmsKey, KmsKeyMaterial

if TYPE_CHECKING:
    from strongroom.barrier import Barrier
    from strongroom.runtime import Runtime

AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"
PENDING_ROTATION = "PENDING_ROTATION"
DEFAULT_ROTATION_PERIOD_DAYS = 365
ON_DEMAND_ROTATION_LIMIT = 25
SYMMETRIC = "SYMMETRIC_DEFAULT"
NOT_SYMMETRIC_TEXT = (
    "You cannot perform this operation on a non-symmetric key or a key with non-ENCRYPT_DECRYPT key usage."
)


def _related_keys(session: Session, key: KmsKey) -> list[KmsKey]:
    """The key and, for a multi-Region key, every replica that shares its material."""
    if not key.multi_region:
        return [key]
    related = session.scalars(
        select(KmsKey).where(KmsKey.account_id == key.account_id, KmsKey.key_id == key.key_id)
    ).all()
    return [key, *(k for k in related if k.region != key.region)]


def _flip_current(session: Session, key: KmsKey, new_material_id: str) -> None:
    for row in session.scalars(
        select(KmsKeyMaterial).where(
            KmsKeyMaterial.account_id == key.account_id,
            KmsKeyMaterial.region == key.region,
            KmsKeyMaterial.key_id == key.key_id,
            KmsKeyMaterial.state == CURRENT,
        )
    ):
        if row.material_id != new_material_id:
            row.state = NON_CURRENT


def rotate_key_material(session: Session, key: KmsKey, rotation_type: str, now: datetime, *, barrier: Barrier) -> str:
    """Give `key` (and its multi-Region replicas) fresh CURRENT material; returns the new material id.

    Runs inside the caller's transaction, so the flip is all or nothing. Each region's copy of the
    material is sealed under that region's own locator.
    """
    from strongroom.services.kms.keys import new_material_id  # keys imports nothing of ours; avoid a cycle

    material_id = new_material_id()
    material = generate_material(key.key_spec)
    for target in _related_keys(session, key):
        _flip_current(session, target, material_id)
        session.add(
            KmsKeyMaterial(
                account_id=target.account_id,
                region=target.region,
                key_id=target.key_id,
                material_id=material_id,
                sealed_material=barrier.seal(material, material_locator(target, material_id)),
                created_at=now,
                state=CURRENT,
                rotation_type=rotation_type,
            )
        )
        material_cache.forget_key(target.account_id, target.region, target.key_id)
    return material_id


def _emit_rotation(runtime: Runtime, session: Session, key: KmsKey, now: datetime) -> None:
    """The "KMS CMK Rotation" event of the key whose rotation `session` holds."""
    emit_key_event(runtime, session, KEY_ROTATION, account_id=key.account_id, region=key.region, key_id=key.key_id,
                   time=now)


def _check_rotatable(key: KmsKey) -> None:
    """Rotation is for symmetric encryption keys with KMS-generated material."""
    if key.key_spec != SYMMETRIC:
        raise ServiceError("UnsupportedOperationException", NOT_SYMMETRIC_TEXT)
    if key.origin != "AWS_KMS":
        raise ServiceError(
            "UnsupportedOperationException", f"{key.arn} origin is {key.origin} which is not valid for this operation."
        )


def _last_rotation_anchor(key: KmsKey) -> datetime | None:
    """The start of the current automatic period: the scheduled date minus the period."""
    if key.next_rotation_at is None or key.rotation_period_days is None:
        return None
    return aware(key.next_rotation_at) - timedelta(days=key.rotation_period_days)


@service.operation("EnableKeyRotation", resources=key_resource())
def enable_key_rotation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    period = params.get("RotationPeriodInDays", DEFAULT_ROTATION_PERIOD_DAYS)
    now = ctx.clock.now()
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        _check_rotatable(key)
        check_state(key.arn, key.state, OperationClass.CRYPTO)
        anchor = _last_rotation_anchor(key)
        # A changed period counts from the last rotation (or enabling); a date already past rotates soon.
        due = (anchor or now) + timedelta(days=period)
        key.rotation_period_days = period
        key.next_rotation_at = max(due, now)
    return {}


@service.operation("DisableKeyRotation", resources=key_resource())
def disable_key_rotation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        _check_rotatable(key)
        check_state(key.arn, key.state, OperationClass.CRYPTO)
        key.rotation_period_days = None
        key.next_rotation_at = None
    return {}


@service.operation("GetKeyRotationStatus", resources=key_resource())
def get_key_rotation_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.MANAGE)
        answer: dict[str, Any] = {"KeyId": key.arn, "KeyRotationEnabled": key.rotation_period_days is not None}
        if key.rotation_period_days is not None and key.next_rotation_at is not None:
            answer["RotationPeriodInDays"] = key.rotation_period_days
            answer["NextRotationDate"] = aware(key.next_rotation_at)
    # On-demand rotations complete within the request, so none is ever in progress (no OnDemandRotationStartDate).
    return answer


def _on_demand_count(session: Session, key: KmsKey) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(KmsKeyMaterial)
            .where(
                KmsKeyMaterial.account_id == key.account_id,
                KmsKeyMaterial.region == key.region,
                KmsKeyMaterial.key_id == key.key_id,
                KmsKeyMaterial.rotation_type == ON_DEMAND,
            )
        )
        or 0
    )


def _promote_pending_import(session: Session, key: KmsKey, now: datetime) -> None:
    """On-demand rotation of imported material: the material waiting in PENDING_ROTATION becomes current."""
    pending = session.scalar(
        select(KmsKeyMaterial).where(
            KmsKeyMaterial.account_id == key.account_id,
            KmsKeyMaterial.region == key.region,
            KmsKeyMaterial.key_id == key.key_id,
            KmsKeyMaterial.state == PENDING_ROTATION,
        )
    )
    if pending is None:
        raise ServiceError(
            "KMSInvalidStateException", f"No available key material pending rotation for the key: {key.arn}."
        )
    _flip_current(session, key, pending.material_id)
    pending.state = CURRENT
    pending.rotation_type = ON_DEMAND
    record = session.get(KmsImportedMaterial, (key.account_id, key.region, key.key_id, pending.material_id))
    if record is not None:
        record.rotated_at = now


@service.operation("RotateKeyOnDemand", resources=key_resource())
def rotate_key_on_demand(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        if key.key_spec != SYMMETRIC or key.origin not in ("AWS_KMS", "EXTERNAL"):
            raise ServiceError("UnsupportedOperationException", "")
        check_state(key.arn, key.state, OperationClass.CRYPTO)
        if _on_demand_count(session, key) >= ON_DEMAND_ROTATION_LIMIT:
            raise ServiceError(
                "LimitExceededException",
                "The on-demand rotations limit has been reached for the given keyId. "
                f"No more on-demand rotations can be performed for this key: {key.arn}",
            )
        if key.origin == "EXTERNAL":
            _promote_pending_import(session, key, now)
        else:
            rotate_key_material(session, key, ON_DEMAND, now, barrier=runtime_of(ctx).barrier)
        _emit_rotation(runtime_of(ctx), session, key, now)
    forget_material(key)
    return {"KeyId": key.arn}


def _rotation_entry(key: KmsKey, row: KmsKeyMaterial, imported: KmsImportedMaterial | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"KeyId": key.key_id, "KeyMaterialId": row.material_id, "KeyMaterialState": row.state}
    if row.rotation_type is not None:
        entry["RotationType"] = row.rotation_type
        rotated = imported.rotated_at if imported is not None and imported.rotated_at else row.created_at
        entry["RotationDate"] = aware(rotated)
    if imported is not None:
        entry["ImportState"] = imported.import_state
        entry["ExpirationModel"] = imported.expiration_model
        if imported.valid_to is not None:
            entry["ValidTo"] = aware(imported.valid_to)
        if imported.description is not None:
            entry["KeyMaterialDescription"] = imported.description
    return entry


@service.operation("ListKeyRotations", resources=key_resource())
def list_key_rotations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = params.get("Limit", 100)
    include_all = params.get("IncludeKeyMaterial", "ROTATIONS_ONLY") == "ALL_KEY_MATERIAL"
    position = decode_marker(params.get("Marker"))
    start = int(position) if position is not None and position.isdigit() else None
    if position is not None and start is None:
        raise ServiceError("InvalidMarkerException", "Invalid marker")
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        if key.key_spec != SYMMETRIC:
            raise ServiceError("UnsupportedOperationException", NOT_SYMMETRIC_TEXT)
        check_state(key.arn, key.state, OperationClass.MANAGE)
        scope = (
            KmsKeyMaterial.account_id == key.account_id,
            KmsKeyMaterial.region == key.region,
            KmsKeyMaterial.key_id == key.key_id,
        )
        rows = list(session.scalars(select(KmsKeyMaterial).where(*scope)))
        imports = {
            r.material_id: r
            for r in session.scalars(
                select(KmsImportedMaterial).where(
                    KmsImportedMaterial.account_id == key.account_id,
                    KmsImportedMaterial.region == key.region,
                    KmsImportedMaterial.key_id == key.key_id,
                )
            )
        }
        rows.sort(key=lambda r: (aware(r.created_at), r.material_id))
        if not include_all:
            rows = [r for r in rows if r.rotation_type is not None]
        entries = [_rotation_entry(key, r, imports.get(r.material_id)) for r in rows]
    offset = start or 0
    chosen = entries[offset : offset + limit]
    if offset + limit < len(entries):
        return {"Rotations": chosen, "Truncated": True, "NextMarker": encode_marker(str(offset + limit))}
    return {"Rotations": chosen, "Truncated": False}


@service.task("rotate-keys")
def rotate_due_keys(runtime: Runtime) -> None:
    """Rotate every enabled key whose automatic rotation date has passed on the server clock.

    Each key is re-read under lock in its own transaction and its date moved on in the same one, so
    workers racing over a key rotate it once. Replicas follow their primary and are not scheduled.
    """
    now = runtime.clock.now()
    with runtime.database.session() as session:
        due = session.execute(
            select(KmsKey.account_id, KmsKey.region, KmsKey.key_id).where(
                KmsKey.next_rotation_at <= now,
                KmsKey.state == states.ENABLED,
            )
        ).all()
    for scope in due:
        with runtime.database.session(writes=True) as session:
            key = session.get(KmsKey, tuple(scope), with_for_update=True)
            if key is None or key.state != states.ENABLED or key.rotation_period_days is None:
                continue
            if key.next_rotation_at is None or aware(key.next_rotation_at) > now or key.multi_region_type == "REPLICA":
                continue
            rotate_key_material(session, key, AUTOMATIC, now, barrier=runtime.barrier)
            _emit_rotation(runtime, session, key, now)
            # Keep the schedule on its own grid even if this run came late.
            period = timedelta(days=key.rotation_period_days)
            following = aware(key.next_rotation_at) + period
            while following <= now:
                following += period
            key.next_rotation_at = following
