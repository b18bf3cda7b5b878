"""Readying a key for a cryptographic operation: resolve it, check its state and usage, unseal material.

The key comes from `key_cache` (no transaction is open while any cryptography runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import errors as crypto_errors
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.key_cache import KeyFacts, MaterialRef, ciphertext_key_facts, key_facts
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import ALIAS_OPERATIONS, note_key_arn, unseal_named
from strongroom.services.kms.tables import KmsKey

DRY_RUN_TEXT = "The request would have succeeded, but the DryRun option is set."
FOREIGN_CIPHERTEXT_TEXT = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
    "or you are not allowed to access."
)


class KeyInUse(NamedTuple):
    """A key checked for one operation, with the material it will use (already unsealed)."""

    key: KmsKey
    material_id: str
    material: bytes
    arn: str
    spec: str
    key_id: str


@dataclass(frozen=True, slots=True)
class _KeyView:
    """What each cryptographic use of a key reads from its row, as plain values read once per cached row
    (an ORM attribute read costs about a microsecond), and the state check, a function of the state alone."""

    arn: str
    spec: str
    usage: str
    key_id: str
    # (account, region, key id): the material cache's name for the key, less the material id.
    name: tuple[str, str, str]
    usable_for_crypto: bool
    current: MaterialRef | None
    # The material cache's name for the current material.
    current_name: tuple[str, str, str, str] | None


# Kept in the facts' `derived`, which is safe: the facts' row is never changed once read, and the key cache
# replaces (never updates) facts when the store's revision moves, so a changed key gets a fresh view.
_VIEW = "key_use.view"


def _view(facts: KeyFacts) -> _KeyView:
    view: _KeyView | None = facts.derived.get(_VIEW)
    if view is None:
        key = facts.key
        try:
            check_state(key.arn, key.state, OperationClass.CRYPTO)
            usable = True
        except ServiceError:
            usable = False
        name = (key.account_id, key.region, key.key_id)
        current = facts.current_material()
        view = _KeyView(
            key.arn, key.key_spec, key.key_usage, key.key_id, name, usable, current,
            None if current is None else (*name, current.material_id),
        )
        facts.derived[_VIEW] = view
    return view


def _check_usable(ctx: RequestContext, facts: KeyFacts, view: _KeyView, operation: str) -> None:
    note_key_arn(ctx, view.name[0], view.arn)
    if not view.usable_for_crypto:
        check_state(view.arn, facts.key.state, OperationClass.CRYPTO)  # raises the state's error
    specs.check_operation_usage(view.arn, view.usage, operation)


def _in_use(
    ctx: RequestContext, facts: KeyFacts, view: _KeyView, material: MaterialRef, name: tuple[str, str, str, str]
) -> KeyInUse:
    unsealed = unseal_named(ctx, name, material.sealed)
    return KeyInUse(facts.key, material.material_id, unsealed, view.arn, view.spec, view.key_id)


def use_key(ctx: RequestContext, reference: str, operation: str) -> KeyInUse:
    """The key `reference` names, ready for `operation`, with its current material.

    The key is the one the authorizer decided on in this request (see `key_cache`)."""
    facts = key_facts(ctx, reference, aliases=operation in ALIAS_OPERATIONS)
    view = _view(facts)
    _check_usable(ctx, facts, view, operation)
    if view.current is None or view.current_name is None:
        raise crypto_errors.internal(f"{view.arn} has no current key material.")
    return _in_use(ctx, facts, view, view.current, view.current_name)


def ciphertext_key_arn(ctx: RequestContext, key_id: str) -> str:
    """The ARN of the key a ciphertext names, in this region (another account's too); AWS's AccessDenied text
    when none."""
    return _view(_ciphertext_key_facts(ctx, key_id)).arn


def _ciphertext_key_facts(ctx: RequestContext, key_id: str) -> KeyFacts:
    facts = ciphertext_key_facts(ctx, key_id)
    if facts is None:
        raise ServiceError("AccessDeniedException", FOREIGN_CIPHERTEXT_TEXT)
    return facts


def use_material(ctx: RequestContext, key_id: str, material_id: str, operation: str) -> KeyInUse:
    """The key a ciphertext names (as `ciphertext_key_arn` finds it, memoized in the request), ready for `operation`
    with the (possibly older) material the ciphertext names."""
    facts = _ciphertext_key_facts(ctx, key_id)
    view = _view(facts)
    _check_usable(ctx, facts, view, operation)
    material = facts.materials.get(material_id)
    if material is None:
        raise crypto_errors.invalid_ciphertext()
    return _in_use(ctx, facts, view, material, (*view.name, material_id))


def stop_if_dry_run(params: dict[str, Any]) -> None:
    """Called once every check has passed and before anything is produced."""
    if params.get("DryRun"):
        raise ServiceError("DryRunOperationException", DRY_RUN_TEXT)
