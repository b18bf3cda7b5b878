"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

A grant lets its grantee use a key for the grant's operations (see `authorization`, which consults
grants where policies do not allow). Strongroom's grants take effect at once; grant tokens are still
accepted, checked, and returned as AWS returns them (sealed grant ids: see `grant_tokens`).
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from strongroom.auth.principal import root_arn
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.base import Operation
from strongroom.services.kms.authorization import (
    SYMMETRIC,
    authorize_key,
    grantee_names,
    request_keys,
)
from strongroom.services.kms.grant_tables import KmsGrant
from strongroom.services.kms.grant_tokens import grant_id_of, issue_token
from strongroom.services.kms.key_cache import facts_of
from strongroom.services.kms.key_use import stop_if_dry_run
from strongroom.services.kms.metadata import aware
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import key_arn, note_key, page, resolve_key, transaction
from strongroom.services.kms.tables import KmsKey

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

MAX_GRANTS_PER_KEY = 50000
MAX_CONSTRAINT_PAIRS = 8
MAX_CONSTRAINT_VALUE = 384
_COMMON = {"CreateGrant", "RetireGrant", "DescribeKey"}
# The grant operations each kind of key can take (AWS: "grant operations must fit the key type").
_BY_USAGE = {
    "ENCRYPT_DECRYPT": {"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"},
    "SIGN_VERIFY": {"Sign", "Verify", "GetPublicKey"},
    "GENERATE_VERIFY_MAC": {"GenerateMac", "VerifyMac"},
    "KEY_AGREEMENT": {"DeriveSharedSecret", "GetPublicKey"},
    "ENCAPSULATE_DECAPSULATE": {"Encapsulate", "Decapsulate", "GetPublicKey"},
}
_SYMMETRIC_ONLY = {"GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
                   "GenerateDataKeyPairWithoutPlaintext"}


def _allowed_operations(key: KmsKey) -> set[str]:
    allowed = _COMMON | _BY_USAGE.get(key.key_usage, set())
    if key.key_spec == SYMMETRIC:
        allowed = (allowed | _SYMMETRIC_ONLY) - {"GetPublicKey"}
    return allowed


def _check_operations(key: KmsKey, operations: list[str]) -> None:
    if not operations:
        raise ServiceError("ValidationException", "Grant operations must not be empty.")
    invalid = [operation for operation in operations if operation not in _allowed_operations(key)]
    if invalid:
        raise ServiceError(
            "ValidationException",
            f"Grant operations {', '.join(invalid)} are not valid for {key.arn} with key usage {key.key_usage} "
            f"and key spec {key.key_spec}.",
        )


def _check_constraints(key: KmsKey, constraints: dict[str, dict[str, str]] | None) -> None:
    if not constraints:
        return
    if key.key_spec != SYMMETRIC:
        raise ServiceError(
            "ValidationException", "Grant constraints are supported only for symmetric encryption KMS keys."
        )
    for pairs in constraints.values():
        if len(pairs) > MAX_CONSTRAINT_PAIRS:
            raise ServiceError("ValidationException", "A grant constraint may have at most 8 encryption context pairs.")
        if any(len(value) > MAX_CONSTRAINT_VALUE for value in pairs.values()):
            raise ServiceError("ValidationException", "Encryption context values in grant constraints are limited "
                                                      "to 384 characters.")


def _normal_constraints(constraints: dict[str, Any] | None) -> dict[str, dict[str, str]] | None:
    cleaned = {name: dict(pairs) for name, pairs in (constraints or {}).items() if pairs is not None}
    return cleaned or None


def _same_grant(grant: KmsGrant, grantee: str, retiring: str | None, operations: list[str],
                constraints: dict[str, dict[str, str]] | None) -> bool:
    stored = json.loads(grant.constraints) if grant.constraints else None
    return (grant.grantee_principal == grantee and grant.retiring_principal == retiring
            and sorted(json.loads(grant.operations)) == sorted(operations) and stored == constraints)


def _grants_of(key: KmsKey) -> Any:
    return select(KmsGrant).where(
        KmsGrant.account_id == key.account_id, KmsGrant.region == key.region, KmsGrant.key_id == key.key_id
    )


@service.operation("CreateGrant", resources=key_resource())
def create_grant(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    grantee = params.get("GranteePrincipal")
    service_grantee = params.get("GranteeServicePrincipal")
    if (grantee is None) == (service_grantee is None):
        raise ServiceError("ValidationException", "Specify either GranteePrincipal or GranteeServicePrincipal.")
    if params.get("RetiringPrincipal") and params.get("RetiringServicePrincipal"):
        raise ServiceError("ValidationException", "Specify either RetiringPrincipal or RetiringServicePrincipal.")
    retiring = params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal")
    operations = list(dict.fromkeys(params.get("Operations") or []))
    constraints = _normal_constraints(params.get("Constraints"))
    name = params.get("Name")
    assert ctx.principal is not None
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        check_state(key.arn, key.state, OperationClass.CRYPTO)
        _check_operations(key, operations)
        _check_constraints(key, constraints)
        stop_if_dry_run(params)
        who = grantee or service_grantee
        assert who is not None
        if name is not None:
            for existing in session.scalars(_grants_of(key).where(KmsGrant.name == name)):
                if _same_grant(existing, who, retiring, operations, constraints):
                    return {"GrantId": existing.grant_id, "GrantToken": issue_token(ctx, existing.grant_id)}
        count = session.scalar(select(func.count()).select_from(_grants_of(key).subquery())) or 0
        if count >= MAX_GRANTS_PER_KEY:
            raise ServiceError("LimitExceededException", f"The number of grants for {key.arn} has reached the limit.")
        grant = KmsGrant(
            grant_id=secrets.token_hex(32), account_id=key.account_id, region=key.region, key_id=key.key_id,
            name=name, grantee_principal=who, retiring_principal=retiring, issuing_account=ctx.principal.account_id,
            operations=json.dumps(operations), constraints=json.dumps(constraints) if constraints else None,
            created_at=ctx.clock.now(),
        )
        session.add(grant)
    return {"GrantId": grant.grant_id, "GrantToken": issue_token(ctx, grant.grant_id)}


def _is_service_principal(name: str) -> bool:
    return not name.startswith("arn:")


def grant_entry(grant: KmsGrant) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "KeyId": key_arn(grant.region, grant.account_id, grant.key_id),
        "GrantId": grant.grant_id,
        "CreationDate": aware(grant.created_at),
        "IssuingAccount": root_arn(grant.issuing_account),
        "Operations": json.loads(grant.operations),
    }
    if grant.name is not None:
        entry["Name"] = grant.name
    member = "GranteeServicePrincipal" if _is_service_principal(grant.grantee_principal) else "GranteePrincipal"
    entry[member] = grant.grantee_principal
    if grant.retiring_principal is not None:
        member = "RetiringServicePrincipal" if _is_service_principal(grant.retiring_principal) else "RetiringPrincipal"
        entry[member] = grant.retiring_principal
    if grant.constraints:
        entry["Constraints"] = json.loads(grant.constraints)
    return entry


@service.operation("ListGrants", resources=key_resource())
def list_grants(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        query = _grants_of(key)
        if params.get("GrantId") is not None:
            query = query.where(KmsGrant.grant_id == params["GrantId"])
        grantee = params.get("GranteePrincipal") or params.get("GranteeServicePrincipal")
        if grantee is not None:
            query = query.where(KmsGrant.grantee_principal == grantee)
        rows, paging = page(session, query, KmsGrant.grant_id, params.get("Limit", 50), params.get("Marker"))
        return {"Grants": [grant_entry(row) for row in rows], **paging}


@service.operation("ListRetirableGrants")
def list_retirable_grants(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    retiring = params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal")
    if retiring is None:
        raise ServiceError("ValidationException", "RetiringPrincipal is required.")
    query = select(KmsGrant).where(KmsGrant.region == ctx.region, KmsGrant.retiring_principal == retiring)
    if not _is_service_principal(retiring) and retiring.split(":")[4:5] != [ctx.account_id]:
        # Only the caller's own account's principals' retirable grants are listed.
        return {"Grants": [], "Truncated": False}
    with transaction(ctx) as session:
        rows, paging = page(session, query, KmsGrant.grant_id, params.get("Limit", 50), params.get("Marker"))
        return {"Grants": [grant_entry(row) for row in rows], **paging}


def _grant_for_retirement(ctx: RequestContext, session: Session, params: dict[str, Any]) -> KmsGrant:
    token, grant_id = params.get("GrantToken"), params.get("GrantId")
    if token is not None:
        grant_id = grant_id_of(ctx, token)
        grant = session.get(KmsGrant, grant_id)
        if grant is None or (params.get("GrantId") not in (None, grant_id)):
            raise ServiceError("NotFoundException", "Grant ID not found.")
        return grant
    if grant_id is None or params.get("KeyId") is None:
        raise ServiceError("ValidationException", "Specify either a GrantToken, or both a KeyId and a GrantId.")
    key = resolve_key(ctx, session, params["KeyId"])
    grant = session.get(KmsGrant, grant_id)
    if grant is None or (grant.account_id, grant.region, grant.key_id) != (key.account_id, key.region, key.key_id):
        raise ServiceError("NotFoundException", "Grant ID not found.")
    return grant


def authorize_retirement(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    """RetireGrant: the grant's retiring principal, its grantee if it may RetireGrant, or the key's policies."""
    principal = ctx.principal
    assert principal is not None
    with transaction(ctx) as session:
        grant = _grant_for_retirement(ctx, session, params)
        names = set(grantee_names(principal))
        if grant.retiring_principal in names:
            return
        if grant.grantee_principal in names and "RetireGrant" in json.loads(grant.operations):
            return
        key = session.get(KmsKey, (grant.account_id, grant.region, grant.key_id))
        facts = None if key is None else facts_of(session, key)
    if facts is None:
        raise ServiceError("NotFoundException", "Grant ID not found.")
    authorize_key(ctx, operation.action, facts, request_keys(ctx, operation.name, params))


@service.operation("RetireGrant")
def retire_grant(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        grant = _grant_for_retirement(ctx, session, params)
        stop_if_dry_run(params)
        session.delete(grant)
    return {}


@service.operation("RevokeGrant", resources=key_resource())
def revoke_grant(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        grant = session.get(KmsGrant, params["GrantId"])
        if grant is None or (grant.account_id, grant.region, grant.key_id) != (key.account_id, key.region, key.key_id):
            raise ServiceError("NotFoundException", "Grant ID not found.")
        stop_if_dry_run(params)
        session.delete(grant)
    return {}


@service.task("delete-orphaned-grants")
def delete_orphaned_grants(runtime: Runtime) -> None:
    """Grants go with their key: remove those whose key has been deleted."""
    with runtime.database.session() as session:
        orphans = select(KmsGrant.grant_id).where(~exists().where(
            KmsKey.account_id == KmsGrant.account_id, KmsKey.region == KmsGrant.region,
            KmsKey.key_id == KmsGrant.key_id,
        ))
        session.execute(delete(KmsGrant).where(KmsGrant.grant_id.in_(orphans)))
