"""Keys and their lifecycle: CreateKey, DescribeKey, ListKeys, Enable/DisableKey, UpdateKeyDescription,
Schedule/CancelKeyDeletion, and the scheduled task that destroys keys whose waiting period is over.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import states
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.crypto.material import generate_material
from strongroom.services.kms.events import KEY_DELETION, emit_key_event
from strongroom.services.kms.key_stores import refuse_key_in_store
from strongroom.services.kms.metadata import aware, key_metadata
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.policies import checked_policy, default_policy
from strongroom.services.kms.replication import has_replicas
from strongroom.services.kms.rotation_tables import KmsImportedMaterial, KmsKeyLastUsage
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import (
    CURRENT,
    forget_material,
    key_arn,
    material_cache,
    note_key,
    page,
    resolve_key,
    seal_material,
    transaction,
)
from strongroom.services.kms.tables import KmsAlias, KmsKey, KmsKeyMaterial, KmsTag
from strongroom.services.kms.tags import add_tags, check_tags

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

DEFAULT_PENDING_WINDOW_DAYS = 30
PENDING_WINDOW_RANGE = range(7, 31)
CUSTOM_ORIGINS = ("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")


def new_material_id() -> str:
    return secrets.token_hex(32)


def _key_spec_and_usage(params: dict[str, Any]) -> tuple[str, str]:
    if params.get("KeySpec") and params.get("CustomerMasterKeySpec"):
        raise ServiceError(
            "ValidationException", "You cannot specify KeySpec and CustomerMasterKeySpec in the same request."
        )
    key_spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    key_usage = params.get("KeyUsage")
    if key_usage is None:
        if key_spec != "SYMMETRIC_DEFAULT":
            raise ServiceError(
                "ValidationException",
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
            )
        key_usage = specs.ENCRYPT_DECRYPT
    return key_spec, key_usage


@service.operation("CreateKey")
def create_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key_spec, key_usage = _key_spec_and_usage(params)
    specs.check_region(key_spec, ctx.region)
    specs.check_usage(key_spec, key_usage)
    origin = params.get("Origin") or "AWS_KMS"
    if params.get("CustomKeyStoreId") is not None:
        refuse_key_in_store(ctx, params["CustomKeyStoreId"])
    if origin in CUSTOM_ORIGINS:
        raise ServiceError("UnsupportedOperationException", f"Origin {origin} requires a custom key store.")
    multi_region = bool(params.get("MultiRegion"))
    key_id = f"mrk-{uuid.uuid4().hex}" if multi_region else str(uuid.uuid4())
    arn = key_arn(ctx.region, ctx.account_id, key_id)
    tags = params.get("Tags") or []
    check_tags(tags)
    now = ctx.clock.now()
    with transaction(ctx) as session:
        policy, principals = default_policy(ctx.account_id, ctx.region), None
        if "Policy" in params:
            policy, principals = checked_policy(
                ctx, session, params["Policy"], arn,
                bypass_lockout_check=bool(params.get("BypassPolicyLockoutSafetyCheck")),
            )
        key = KmsKey(
            account_id=ctx.account_id, region=ctx.region, key_id=key_id, arn=arn, key_spec=key_spec,
            key_usage=key_usage, origin=origin, key_manager="CUSTOMER", description=params.get("Description", ""),
            state=states.PENDING_IMPORT if origin == "EXTERNAL" else states.ENABLED, created_at=now,
            multi_region=multi_region, multi_region_type="PRIMARY" if multi_region else None,
            primary_region=ctx.region if multi_region else None, policy=policy, policy_principals=principals,
        )
        session.add(key)
        if origin == "AWS_KMS":
            material_id = new_material_id()
            session.add(KmsKeyMaterial(
                account_id=ctx.account_id, region=ctx.region, key_id=key_id, material_id=material_id,
                sealed_material=seal_material(ctx, key, material_id, generate_material(key_spec)),
                created_at=now, state=CURRENT,
            ))
        session.flush()
        add_tags(session, key, tags, creating=True)
        note_key(ctx, key)
        return {"KeyMetadata": key_metadata(session, key)}


@service.operation("DescribeKey", resources=key_resource(aliases=True))
def describe_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"], aliases=True)
        note_key(ctx, key)
        return {"KeyMetadata": key_metadata(session, key)}


@service.operation("ListKeys")
def list_keys(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    query = select(KmsKey).where(KmsKey.account_id == ctx.account_id, KmsKey.region == ctx.region)
    with transaction(ctx) as session:
        rows, paging = page(session, query, KmsKey.key_id, params.get("Limit", 100), params.get("Marker"))
    return {"Keys": [{"KeyId": key.key_id, "KeyArn": key.arn} for key in rows], **paging}


def _set_state(ctx: RequestContext, params: dict[str, Any], state: str) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.ENABLE_DISABLE)
        key.state = state
    forget_material(key)
    return {}


@service.operation("EnableKey", resources=key_resource())
def enable_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, params, states.ENABLED)


@service.operation("DisableKey", resources=key_resource())
def disable_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, params, states.DISABLED)


@service.operation("UpdateKeyDescription", resources=key_resource())
def update_key_description(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.MANAGE)
        key.description = params["Description"]
    return {}


@service.operation("ScheduleKeyDeletion", resources=key_resource())
def schedule_key_deletion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    window = params.get("PendingWindowInDays", DEFAULT_PENDING_WINDOW_DAYS)
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.SCHEDULE_DELETION)
        # Checked after the key: AWS reports a missing key before a bad window.
        if window not in PENDING_WINDOW_RANGE:
            raise ServiceError("ValidationException", "PendingWindowInDays must be between 7 and 30")
        key.pending_window_days = window
        if key.multi_region_type == "PRIMARY" and has_replicas(session, key):
            # The primary's own waiting period starts once its last replica is deleted.
            key.state = states.PENDING_REPLICA_DELETION
            forget_material(key)
            return {"KeyId": key.arn, "KeyState": key.state, "PendingWindowInDays": window}
        key.state = states.PENDING_DELETION
        key.deletion_date = ctx.clock.now() + timedelta(days=window)
        deletion_date = key.deletion_date
    forget_material(key)
    return {
        "KeyId": key.arn, "DeletionDate": deletion_date, "KeyState": states.PENDING_DELETION,
        "PendingWindowInDays": window,
    }


@service.operation("CancelKeyDeletion", resources=key_resource())
def cancel_key_deletion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.CANCEL_DELETION)
        key.state = states.DISABLED
        key.deletion_date = None
        key.pending_window_days = None
    return {"KeyId": key.arn}


@service.task("delete-keys")
def delete_due_keys(runtime: Runtime) -> None:
    """Destroy keys whose deletion date has passed, with their material, aliases and tags.

    Each key goes in its own transaction, re-checked there, so workers racing over the same key
    delete it once and a key cancelled meanwhile survives.
    """
    now = runtime.clock.now()
    with runtime.database.session() as session:
        due = session.execute(
            select(KmsKey.account_id, KmsKey.region, KmsKey.key_id).where(
                KmsKey.state == states.PENDING_DELETION, KmsKey.deletion_date <= now
            )
        ).all()
    for account_id, region, key_id in due:
        with runtime.database.session(writes=True) as session:
            key = session.get(KmsKey, (account_id, region, key_id), with_for_update=True)
            if key is None or key.state != states.PENDING_DELETION or key.deletion_date is None:
                continue  # cancelled, or deleted by another worker
            if aware(key.deletion_date) > now:
                continue  # cancelled and scheduled again meanwhile
            scope = (account_id, region, key_id)
            for table in (KmsKeyMaterial, KmsAlias, KmsTag, KmsImportedMaterial, KmsKeyLastUsage):
                session.execute(delete(table).where(
                    table.account_id == scope[0], table.region == scope[1], table.key_id == scope[2]
                ))
            session.delete(key)
            emit_key_event(runtime, session, KEY_DELETION, account_id=account_id, region=region, key_id=key_id,
                           time=now)
        material_cache.forget_key(account_id, region, key_id)
