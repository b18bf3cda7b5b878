"""The KMS authorizer: key policies are the primary control, IAM counts where they delegate, grants add.

For an operation on a key, the key's policy is evaluated in key-policy mode (it must allow the caller
or the caller's account, and only in the latter case do IAM policies decide); an explicit Deny in any
policy wins; otherwise a grant on the key for the caller and the operation allows it, its encryption
context constraints checked against the request. Operations on no key (CreateKey, ListKeys,
GenerateRandom, ListAliases, custom key stores, ...) are decided by IAM alone, on "*".

The request's KMS condition keys (kms:EncryptionContext:..., kms:CallerAccount, kms:KeySpec,
aws:ResourceTag/..., ...) are put in `ctx.extra["condition_keys"]` for each key decided.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.authorize import access_denied, authorize, first_denial
from strongroom.auth.policy import AuthorizationRequest, ConditionValue, Decision, PolicyDocument, denial_message
from strongroom.auth.principal import Principal, root_arn
from strongroom.auth.request_context import CONDITION_KEYS, LazyKeys
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.base import Operation
from strongroom.services.kms import crypto
from strongroom.services.kms.grant_tables import KmsGrant
from strongroom.services.kms.grant_tokens import check_tokens
from strongroom.services.kms.key_cache import (  # noqa: F401  (KeyFacts and facts_of: their home used to be here)
    MAX_POLICY_CHARACTERS,
    KeyFacts,
    ciphertext_key_facts,
    facts_of,
    key_facts,
)
from strongroom.services.kms.store import ALIAS_OPERATIONS, alias_arn, transaction
from strongroom.services.kms.tables import KmsAlias, KmsKey

SYMMETRIC = "SYMMETRIC_DEFAULT"
# Set by `internal` on the calls KMS makes for another service, to "<service>.<region>.amazonaws.com".
VIA_SERVICE = "kms:ViaService"
_NO_CONTEXT: Mapping[str, str] = MappingProxyType({})

# Decided by IAM policies only (AWS: "IAM policy" is the only control for these).
IAM_ONLY = frozenset({
    "CreateKey", "GenerateRandom", "ListKeys", "ListAliases", "ListRetirableGrants", "CreateCustomKeyStore",
    "DescribeCustomKeyStores", "UpdateCustomKeyStore", "DeleteCustomKeyStore", "ConnectCustomKeyStore",
    "DisconnectCustomKeyStore",
})
# Constraints do not apply to these grant operations.
_UNCONSTRAINED = frozenset({"DescribeKey", "RetireGrant", "GetPublicKey", "Sign", "Verify", "GenerateMac",
                            "VerifyMac", "DeriveSharedSecret", "Encapsulate", "Decapsulate"})


class GrantAsk(NamedTuple):
    """What a grant must cover: an operation, the request's encryption context, or a grant to create."""

    operation: str
    context: Mapping[str, str] = _NO_CONTEXT
    new_operations: Sequence[str] = ()
    new_constraints: Mapping[str, Mapping[str, str]] | None = None


def key_for_ciphertext(session: Session, ctx: RequestContext, key_id: str) -> KmsKey | None:
    """The key a symmetric ciphertext names, in the caller's region: its own account's first, else another's."""
    own = session.get(KmsKey, (ctx.account_id, ctx.region, key_id))
    if own is not None:
        return own
    return session.scalars(
        select(KmsKey).where(KmsKey.region == ctx.region, KmsKey.key_id == key_id).order_by(KmsKey.account_id)
    ).first()


# --- condition keys ----------------------------------------------------------------------------


def context_keys(context: Mapping[str, str] | None) -> dict[str, ConditionValue]:
    if not context:
        return {}
    keys: dict[str, ConditionValue] = {f"kms:EncryptionContext:{name}": value for name, value in context.items()}
    keys["kms:EncryptionContextKeys"] = list(context)
    return keys


def key_keys(facts: KeyFacts) -> dict[str, ConditionValue]:
    """The condition keys the key itself sets (a fresh dict)."""
    return dict(_shared_key_keys(facts))


def _shared_key_keys(facts: KeyFacts) -> Mapping[str, ConditionValue]:
    """key_keys computed once per KeyFacts, shared: only ever merged into a new mapping."""
    cached = facts.derived.get("condition_keys")
    if cached is None:
        cached = facts.derived["condition_keys"] = _key_keys(facts)
    return cached


def _key_keys(facts: KeyFacts) -> dict[str, ConditionValue]:
    key = facts.key
    keys: dict[str, ConditionValue] = {
        "kms:KeySpec": key.key_spec, "kms:KeyUsage": key.key_usage, "kms:KeyOrigin": key.origin,
        "kms:MultiRegion": key.multi_region, "kms:ResourceAliases": facts.aliases,
    }
    if key.multi_region_type:
        keys["kms:MultiRegionKeyType"] = key.multi_region_type
    for name, value in facts.tags.items():
        keys[f"aws:ResourceTag/{name}"] = value
    return keys


def _request_alias(reference: Any) -> str | None:
    if not isinstance(reference, str):
        return None
    if reference.startswith("alias/"):
        return reference
    if reference.startswith("arn:") and ":alias/" in reference:
        return "alias/" + reference.split(":alias/", 1)[1]
    return None


def constraints_context(constraints: Mapping[str, Any] | None) -> dict[str, str]:
    if not constraints:
        return {}
    return {**constraints.get("EncryptionContextSubset", {}), **constraints.get("EncryptionContextEquals", {})}


def request_keys(ctx: RequestContext, name: str, params: Mapping[str, Any]) -> dict[str, ConditionValue]:
    """The KMS condition keys the request's own parameters set."""
    assert ctx.principal is not None
    return _request_keys(ctx.principal.account_id, ctx.extra.get(VIA_SERVICE), name, params)


def _request_keys(
    caller_account: str, via: str | None, name: str, params: Mapping[str, Any]
) -> dict[str, ConditionValue]:
    """`request_keys` from the caller's account and the service the call came through (if any)."""
    keys: dict[str, ConditionValue] = {"kms:CallerAccount": caller_account}
    keys.update(context_keys(params.get("EncryptionContext")))
    if name in ("Encrypt", "Decrypt"):
        keys["kms:EncryptionAlgorithm"] = params.get("EncryptionAlgorithm", SYMMETRIC)
    elif name.startswith("GenerateDataKey"):
        keys["kms:EncryptionAlgorithm"] = SYMMETRIC
    if params.get("SigningAlgorithm"):
        keys["kms:SigningAlgorithm"] = params["SigningAlgorithm"]
    if params.get("MacAlgorithm"):
        keys["kms:MacAlgorithm"] = params["MacAlgorithm"]
    alias = _request_alias(params.get("KeyId"))
    if alias is not None:
        keys["kms:RequestAlias"] = alias
    if name == "CreateGrant":
        keys["kms:GrantOperations"] = list(params.get("Operations") or [])
        grantee = params.get("GranteePrincipal") or params.get("GranteeServicePrincipal")
        if grantee:
            keys["kms:GranteePrincipal"] = grantee
        retiring = params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal")
        if retiring:
            keys["kms:RetiringPrincipal"] = retiring
        keys["kms:GrantIsForAWSResource"] = bool(via)
        constraints = params.get("Constraints") or {}
        if constraints:
            keys["kms:GrantConstraintType"] = list(constraints)
        keys.update(context_keys(constraints_context(constraints)))
    if name == "ListGrants" and params.get("GranteePrincipal"):
        keys["kms:GranteePrincipal"] = params["GranteePrincipal"]
    if name == "EnableKeyRotation":
        keys["kms:RotationPeriodInDays"] = int(params.get("RotationPeriodInDays", 365))
    if name == "ScheduleKeyDeletion":
        keys["kms:ScheduleKeyDeletionPendingWindowInDays"] = int(params.get("PendingWindowInDays", 30))
    if name in ("CreateKey", "PutKeyPolicy", "ReplicateKey"):
        keys["kms:BypassPolicyLockoutSafetyCheck"] = bool(params.get("BypassPolicyLockoutSafetyCheck"))
    if name == "CreateKey":
        keys["kms:KeySpec"] = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or SYMMETRIC
        keys["kms:KeyUsage"] = params.get("KeyUsage") or "ENCRYPT_DECRYPT"
        keys["kms:KeyOrigin"] = params.get("Origin") or "AWS_KMS"
        keys["kms:MultiRegion"] = bool(params.get("MultiRegion"))
    if name == "ReplicateKey" and params.get("ReplicaRegion"):
        keys["kms:ReplicaRegion"] = params["ReplicaRegion"]
    if name == "UpdatePrimaryRegion" and params.get("PrimaryRegion"):
        keys["kms:PrimaryRegion"] = params["PrimaryRegion"]
    if via:
        keys[VIA_SERVICE] = via
    return keys


def _set_condition_keys(ctx: RequestContext, keys: Mapping[str, ConditionValue],
                        key_keys: Mapping[str, ConditionValue] | None = None) -> None:
    ctx.extra[CONDITION_KEYS] = {**keys, **key_keys} if key_keys else dict(keys)


def _request_keys_on_key(
    caller_account: str, via: str | None, name: str, params: Mapping[str, Any], facts: KeyFacts
) -> dict[str, ConditionValue]:
    return {**_request_keys(caller_account, via, name, params), **_shared_key_keys(facts)}


# --- grants ------------------------------------------------------------------------------------


def grantee_names(principal: Principal) -> list[str]:
    """The grantee principals a caller answers to: itself, and for a role session its role."""
    names = [principal.arn]
    if principal.role_arn:
        names.append(principal.role_arn)
    if principal.is_root:
        names.append(root_arn(principal.account_id))
    return names


def _context_satisfies(constraints: Mapping[str, Mapping[str, str]], context: Mapping[str, str]) -> bool:
    equals = constraints.get("EncryptionContextEquals")
    if equals is not None and dict(equals) != dict(context):
        return False
    subset = constraints.get("EncryptionContextSubset")
    return subset is None or all(context.get(name) == value for name, value in subset.items())


def at_least_as_constrained(
    parent: Mapping[str, Mapping[str, str]] | None, child: Mapping[str, Mapping[str, str]] | None
) -> bool:
    """A grant made through a grant must allow no encryption context its parent refuses."""
    if not parent:
        return True
    if not child:
        return False
    parent_equals, parent_subset = parent.get("EncryptionContextEquals"), parent.get("EncryptionContextSubset")
    child_equals, child_subset = child.get("EncryptionContextEquals"), child.get("EncryptionContextSubset")
    if parent_equals is not None:
        return child_equals is not None and dict(child_equals) == dict(parent_equals)
    assert parent_subset is not None
    narrower = child_equals if child_equals is not None else child_subset or {}
    return all(narrower.get(name) == value for name, value in parent_subset.items())


def grant_covers(grant: KmsGrant, ask: GrantAsk) -> bool:
    operations = json.loads(grant.operations)
    if ask.operation not in operations:
        return False
    constraints = json.loads(grant.constraints) if grant.constraints else None
    if ask.operation == "CreateGrant":
        return set(ask.new_operations) <= set(operations) and at_least_as_constrained(
            constraints, ask.new_constraints
        )
    if not constraints or ask.operation in _UNCONSTRAINED:
        return True
    return _context_satisfies(constraints, ask.context)


def grants_allow(session: Session, key: KmsKey, principal: Principal, ask: GrantAsk) -> bool:
    grants = session.scalars(select(KmsGrant).where(
        KmsGrant.account_id == key.account_id, KmsGrant.region == key.region, KmsGrant.key_id == key.key_id,
        KmsGrant.grantee_principal.in_(grantee_names(principal)),
    ))
    return any(grant_covers(grant, ask) for grant in grants)


# --- deciding ----------------------------------------------------------------------------------


def authorize_key(
    ctx: RequestContext,
    action: str,
    facts: KeyFacts,
    keys: Mapping[str, ConditionValue],
    grant: GrantAsk | None = None,
) -> None:
    """Allow `action` on the key, or raise AccessDeniedException in AWS's words."""
    _set_condition_keys(ctx, keys, _shared_key_keys(facts))
    denied = _policy_denial(ctx, action, facts)
    if denied is not None:
        _grant_or_deny(ctx, facts, denied, grant)


def _authorize_request_on_key(
    ctx: RequestContext, action: str, name: str, facts: KeyFacts, params: Mapping[str, Any]
) -> None:
    """authorize_key for operation `name` on one key with the request's own condition keys and encryption
    context, the keys built only if a policy reads them and the grant ask made only if the policies deny."""
    # Params are not changed once parsed, so the keys are the same whenever they are built. The builder
    # holds no reference to ctx: kept in ctx.extra, it would make a cycle that outlives the request.
    assert ctx.principal is not None
    ctx.extra[CONDITION_KEYS] = LazyKeys(functools.partial(
        _request_keys_on_key, ctx.principal.account_id, ctx.extra.get(VIA_SERVICE), name, params, facts
    ))
    denied = _policy_denial(ctx, action, facts)
    if denied is not None:
        _grant_or_deny(ctx, facts, denied, GrantAsk(_grant_op(action), params.get("EncryptionContext") or {}))


_POLICY_TARGET = "authorization.policy_target"


def _policy_denial(ctx: RequestContext, action: str, facts: KeyFacts) -> tuple[AuthorizationRequest, Decision] | None:
    """What first_denial answers for `action` on the key, under its key policy (condition keys already set)."""
    # The key's ARN, account and policy, as plain values kept with the facts (their row is never changed).
    target: tuple[tuple[str], str, PolicyDocument] | None = facts.derived.get(_POLICY_TARGET)
    if target is None:
        target = facts.derived[_POLICY_TARGET] = ((facts.arn,), facts.key.account_id, facts.policy())
    resources, account, policy = target
    return first_denial(
        ctx, action, resources, resource_policy=policy, resource_policy_required=True, resource_account=account
    )


def _grant_or_deny(
    ctx: RequestContext, facts: KeyFacts, denied: tuple[AuthorizationRequest, Decision], grant: GrantAsk | None
) -> None:
    """Return if a grant allows what the policies denied (an explicit deny aside); else raise AccessDenied."""
    request, decision = denied
    if grant is not None and decision.effect != "ExplicitDeny":
        assert ctx.principal is not None
        with transaction(ctx) as session:
            if grants_allow(session, facts.key, ctx.principal, grant):
                return
    raise access_denied(ctx, denial_message(request, decision))


def allowed_by_policies(ctx: RequestContext, action: str, facts: KeyFacts, keys: Mapping[str, ConditionValue]) -> bool:
    """Whether the key policy (and IAM where it delegates) allows `action`, grants aside."""
    _set_condition_keys(ctx, keys, _shared_key_keys(facts))
    return _policy_denial(ctx, action, facts) is None


def _iam_only(ctx: RequestContext, action: str, keys: Mapping[str, ConditionValue], resource: str = "*") -> None:
    _set_condition_keys(ctx, keys)
    authorize(ctx, action, [resource])


def _grant_op(action: str) -> str:
    return action.split(":", 1)[1]


def _ciphertext_facts(ctx: RequestContext, params: Mapping[str, Any], member: str) -> KeyFacts | None:
    """The key named by `member`, else the key the symmetric ciphertext names (None when unreadable)."""
    if params.get(member) is not None:
        return key_facts(ctx, params[member], aliases=True)
    try:
        header = crypto.read_header(params["CiphertextBlob"])
    except ServiceError:
        return None
    facts = ciphertext_key_facts(ctx, header.key_id)
    if facts is None:
        raise access_denied(ctx, _foreign_ciphertext_text())
    return facts


def _foreign_ciphertext_text() -> str:
    return (
        "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
        "or you are not allowed to access."
    )


def _decrypt(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    facts = _ciphertext_facts(ctx, params, "KeyId")
    if facts is None:
        # The handler answers InvalidCiphertextException.
        _iam_only(ctx, operation.action, request_keys(ctx, "Decrypt", params))
        return
    _authorize_request_on_key(ctx, "kms:Decrypt", "Decrypt", facts, params)


def _re_encrypt(ctx: RequestContext, _operation: Operation, params: dict[str, Any]) -> None:
    base = request_keys(ctx, "ReEncrypt", {k: v for k, v in params.items() if k != "KeyId"})
    source_context = params.get("SourceEncryptionContext") or {}
    source_keys = {**base, **context_keys(source_context),
                   "kms:EncryptionAlgorithm": params.get("SourceEncryptionAlgorithm", SYMMETRIC)}
    alias = _request_alias(params.get("SourceKeyId"))
    if alias:
        source_keys["kms:RequestAlias"] = alias
    source = _ciphertext_facts(ctx, params, "SourceKeyId")
    if source is None:
        _iam_only(ctx, "kms:ReEncryptFrom", source_keys)
    else:
        authorize_key(ctx, "kms:ReEncryptFrom", source, source_keys, GrantAsk("ReEncryptFrom", source_context))
    destination_context = params.get("DestinationEncryptionContext") or {}
    destination_keys = {**base, **context_keys(destination_context),
                        "kms:EncryptionAlgorithm": params.get("DestinationEncryptionAlgorithm", SYMMETRIC)}
    alias = _request_alias(params.get("DestinationKeyId"))
    if alias:
        destination_keys["kms:RequestAlias"] = alias
    destination = key_facts(ctx, params["DestinationKeyId"], aliases=True)
    authorize_key(ctx, "kms:ReEncryptTo", destination, destination_keys,
                  GrantAsk("ReEncryptTo", destination_context))


def _alias_keys(ctx: RequestContext, params: dict[str, Any]) -> dict[str, ConditionValue]:
    return request_keys(ctx, "Alias", params)


def _create_alias(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    keys = _alias_keys(ctx, params)
    _iam_only(ctx, operation.action, keys, alias_arn(ctx.region, ctx.account_id, params["AliasName"]))
    authorize_key(ctx, operation.action, key_facts(ctx, params["TargetKeyId"], aliases=False), keys)


def _current_alias_target(ctx: RequestContext, name: str) -> KeyFacts | None:
    with transaction(ctx) as session:
        alias = session.get(KmsAlias, (ctx.account_id, ctx.region, name))
        key = None if alias is None else session.get(KmsKey, (ctx.account_id, ctx.region, alias.key_id))
        return None if key is None else facts_of(session, key)


def _update_alias(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    _create_alias(ctx, operation, params)
    current = _current_alias_target(ctx, params["AliasName"])
    if current is not None:
        authorize_key(ctx, operation.action, current, _alias_keys(ctx, params))


def _delete_alias(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    keys = _alias_keys(ctx, params)
    _iam_only(ctx, operation.action, keys, alias_arn(ctx.region, ctx.account_id, params["AliasName"]))
    current = _current_alias_target(ctx, params["AliasName"])
    if current is not None:
        authorize_key(ctx, operation.action, current, keys)


def _create_grant(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    check_tokens(ctx, params.get("GrantTokens"))
    facts = key_facts(ctx, params["KeyId"], aliases=False)
    ask = GrantAsk("CreateGrant", new_operations=list(params.get("Operations") or []),
                   new_constraints=params.get("Constraints") or None)
    authorize_key(ctx, operation.action, facts, request_keys(ctx, "CreateGrant", params), ask)


def _replicate_key(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    keys = request_keys(ctx, "ReplicateKey", params)
    authorize_key(ctx, operation.action, key_facts(ctx, params["KeyId"], aliases=False), keys)
    # The replica is a new key in its region: creating it is the caller's IAM's to allow.
    _iam_only(ctx, "kms:CreateKey", keys)


def _update_primary_region(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    keys = request_keys(ctx, "UpdatePrimaryRegion", params)
    facts = key_facts(ctx, params["KeyId"], aliases=False)
    authorize_key(ctx, operation.action, facts, keys)
    with transaction(ctx) as session:
        other = session.get(KmsKey, (facts.key.account_id, params["PrimaryRegion"], facts.key.key_id))
        other_facts = None if other is None else facts_of(session, other)
    if other_facts is not None:
        authorize_key(ctx, operation.action, other_facts, keys)


def _retire_grant(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    # Who may retire is decided by the grant itself (see grants.retire_grant); policies are asked
    # there only for callers the grant does not name.
    from strongroom.services.kms.grants import authorize_retirement

    authorize_retirement(ctx, operation, params)


_SPECIAL: dict[str, Callable[[RequestContext, Operation, dict[str, Any]], None]] = {
    "Decrypt": _decrypt,
    "ReEncrypt": _re_encrypt,
    "CreateAlias": _create_alias,
    "UpdateAlias": _update_alias,
    "DeleteAlias": _delete_alias,
    "CreateGrant": _create_grant,
    "RetireGrant": _retire_grant,
    "ReplicateKey": _replicate_key,
    "UpdatePrimaryRegion": _update_primary_region,
}


def authorize_kms_request(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    """The KMS service's authorizer (see the module's docstring)."""
    tokens = params.get("GrantTokens")
    if tokens is not None:
        check_tokens(ctx, tokens)
    name = operation.name
    special = _SPECIAL.get(name)
    if special is not None:
        special(ctx, operation, params)
        return
    if name in IAM_ONLY or params.get("KeyId") is None:
        _iam_only(ctx, operation.action, request_keys(ctx, name, params))
        return
    facts = key_facts(ctx, params["KeyId"], aliases=name in ALIAS_OPERATIONS)
    _authorize_request_on_key(ctx, operation.action, name, facts, params)
