"""Readying a key for a cryptographic operation: resolve it, check its state and usage, unseal material.

The transaction ends before any cryptography runs, so no database connection is held across it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms.authorization import key_for_ciphertext
from strongroom.services.kms.crypto import errors as crypto_errors
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.plugin import ALIAS_OPERATIONS
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import (
    current_material,
    material_of,
    note_key,
    resolve_key,
    transaction,
    unseal_material,
)
from strongroom.services.kms.tables import KmsKey

DRY_RUN_TEXT = "The request would have succeeded, but the DryRun option is set."
FOREIGN_CIPHERTEXT_TEXT = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)


@dataclass(frozen=True, slots=True)
class KeyInUse:
    """A key checked for one operation, with the material it will use (already unsealed)."""

    key: KmsKey
    material_id: str
    material: bytes

    @property
    def arn(self) -> str:
        return self.key.arn

    @property
    def spec(self) -> str:
        return self.key.key_spec


def check_usable(ctx: RequestContext, key: KmsKey, operation: str) -> None:
    note_key(ctx, key)
    check_state(key.arn, key.state, OperationClass.CRYPTO)
    specs.check_operation_usage(key.arn, key.key_usage, operation)


def use_key(ctx: RequestContext, reference: str, operation: str) -> KeyInUse:
    """The key `reference` names, ready for `operation`, with its current material."""
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, reference, aliases=operation in ALIAS_OPERATIONS)
        check_usable(ctx, key, operation)
        row = current_material(session, key)
        if row is None:
            raise crypto_errors.internal(f"{key.arn} has no current key material.")
        return KeyInUse(key, row.material_id, unseal_material(ctx, key, row))


def key_by_id(ctx: RequestContext, key_id: str) -> KmsKey:
    """The key a ciphertext names, in this region (another account's too); AWS's AccessDenied text when none."""
    with transaction(ctx) as session:
        key = key_for_ciphertext(session, ctx, key_id)
        if key is None:
            raise ServiceError("AccessDeniedException", FOREIGN_CIPHERTEXT_TEXT)
        return key


def use_material(ctx: RequestContext, key: KmsKey, material_id: str, operation: str) -> KeyInUse:
    """The key ready for `operation` with the (possibly older) material a ciphertext names."""
    with transaction(ctx) as session:
        fresh = session.get(KmsKey, (key.account_id, key.region, key.key_id))
        if fresh is None:
            raise ServiceError("AccessDeniedException", FOREIGN_CIPHERTEXT_TEXT)
        check_usable(ctx, fresh, operation)
        row = material_of(session, fresh, material_id)
        if row is None:
            raise crypto_errors.invalid_ciphertext()
        return KeyInUse(fresh, row.material_id, unseal_material(ctx, fresh, row))


def stop_if_dry_run(params: dict[str, Any]) -> None:
    """Called once every check has passed and before anything is produced."""
    if params.get("DryRun"):
        raise ServiceError("DryRunOperationException", DRY_RUN_TEXT)
