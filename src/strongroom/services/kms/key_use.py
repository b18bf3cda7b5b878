"""Readying a key for a cryptographic operation: resolve it, check its state and usage, unseal material.

The key comes from `key_cache` (no transaction is open while any cryptography runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import errors as crypto_errors
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.key_cache import ciphertext_key_facts, key_facts
from strongroom.services.kms.plugin import ALIAS_OPERATIONS
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import note_key, unseal
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
    """The key `reference` names, ready for `operation`, with its current material.

    The key is the one the authorizer decided on in this request (see `key_cache`)."""
    facts = key_facts(ctx, reference, aliases=operation in ALIAS_OPERATIONS)
    key = facts.key
    check_usable(ctx, key, operation)
    current = facts.current_material()
    if current is None:
        raise crypto_errors.internal(f"{key.arn} has no current key material.")
    return KeyInUse(key, current.material_id, unseal(ctx, key, current.material_id, current.sealed))


def key_by_id(ctx: RequestContext, key_id: str) -> KmsKey:
    """The key a ciphertext names, in this region (another account's too); AWS's AccessDenied text when none."""
    facts = ciphertext_key_facts(ctx, key_id)
    if facts is None:
        raise ServiceError("AccessDeniedException", FOREIGN_CIPHERTEXT_TEXT)
    return facts.key


def use_material(ctx: RequestContext, key: KmsKey, material_id: str, operation: str) -> KeyInUse:
    """The key ready for `operation` with the (possibly older) material a ciphertext names."""
    # Normally the facts `key_by_id` found (memoized in the request); else the key as stored.
    facts = ciphertext_key_facts(ctx, key.key_id) if key.region == ctx.region else None
    if facts is None or facts.key.account_id != key.account_id:
        facts = key_facts(ctx, key.arn, aliases=False)
    fresh = facts.key
    check_usable(ctx, fresh, operation)
    row = facts.materials.get(material_id)
    if row is None:
        raise crypto_errors.invalid_ciphertext()
    return KeyInUse(fresh, row.material_id, unseal(ctx, fresh, row.material_id, row.sealed))


def stop_if_dry_run(params: dict[str, Any]) -> None:
    """Called once every check has passed and before anything is produced."""
    if params.get("DryRun"):
        raise ServiceError("DryRunOperationException", DRY_RUN_TEXT)
