"""Resource policies: Put/Get/Delete/List/ValidateResourcePolicy, and the BlockPublicPolicy check.

A secret has one policy, named `default`. The policy engine validates it; the plugin's authorizer
enforces it. A policy is public when an Allow statement grants any principal (`*`) without a
condition narrowing who may use it. The users and roles it names are bound to their unique ids when
it is saved, and must exist (strongroom.auth.policy.binding).
"""

from __future__ import annotations

import json
from typing import Any

from strongroom.auth.policy import MalformedPolicy
from strongroom.auth.policy.binding import stored_bindings
from strongroom.auth.policy.principals import INVALID_PRINCIPAL
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.iam.principal_ids import UnknownPrincipal, bind_principals, shown
from strongroom.services.secretsmanager import replication
from strongroom.services.secretsmanager.plugin import policy_document, service
from strongroom.services.secretsmanager.store import secret_for, transaction

POLICY_NAME = "default"
PUBLIC_TEXT = (
    "BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret."
)
UNSUPPORTED_PRINCIPAL_TEXT = "This resource policy contains an unsupported principal."


def _check_name(name: str | None) -> None:
    if name is not None and name != POLICY_NAME:
        raise ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified resource policy.")


def _principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS", [])
        return "*" in (values if isinstance(values, list) else [values])
    return False


def is_public(text: str) -> bool:
    body = json.loads(text)
    statements = body.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        broad = _principal_is_public(statement.get("Principal")) or "NotPrincipal" in statement
        if statement.get("Effect") == "Allow" and not statement.get("Condition") and broad:
            return True
    return False


def _malformed(reason: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocumentException", reason)


def checked_policy(text: str) -> str:
    try:
        policy_document(text)
    except MalformedPolicy as error:
        raise _malformed(UNSUPPORTED_PRINCIPAL_TEXT if error.reason == INVALID_PRINCIPAL else error.reason) from None
    return text


@service.operation("PutResourcePolicy")
def put_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_name(params.get("PolicyName"))
    text = checked_policy(params["ResourcePolicy"])
    if params.get("BlockPublicPolicy") and is_public(text):
        raise ServiceError("PublicPolicyException", PUBLIC_TEXT)
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        try:
            bindings = bind_principals(session, text)
        except UnknownPrincipal:
            raise _malformed(UNSUPPORTED_PRINCIPAL_TEXT) from None
        secret.policy, secret.policy_principals = text, stored_bindings(bindings)
        out = {"ARN": secret.arn, "Name": secret.name, "PolicyName": POLICY_NAME}
    replication.sync(ctx, out["ARN"])
    return out


@service.operation("GetResourcePolicy")
def get_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], deleted_ok=True)
        _check_name(params.get("PolicyName"))
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.policy is not None:
            out["ResourcePolicy"] = shown(session, secret.policy, secret.policy_principals)
            out["PolicyName"] = POLICY_NAME
        return out


@service.operation("DeleteResourcePolicy")
def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_name(params.get("PolicyName"))
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        secret.policy = secret.policy_principals = None
        out = {"ARN": secret.arn, "Name": secret.name, "PolicyName": POLICY_NAME}
    replication.sync(ctx, out["ARN"])
    return out


@service.operation("ListResourcePolicies")
def list_resource_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], deleted_ok=True)
        return {"ResourcePolicies": [{"PolicyName": POLICY_NAME}] if secret.policy is not None else []}


@service.operation("ValidateResourcePolicy")
def validate_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("SecretId") is not None:
        with transaction(ctx) as session:
            secret_for(session, ctx, params["SecretId"], deleted_ok=True)
    try:
        policy_document(params["ResourcePolicy"])
    except MalformedPolicy as error:
        return {
            "PolicyValidationPassed": False,
            "ValidationErrors": [{"CheckName": "POLICY_SYNTAX_CHECK", "ErrorMessage": error.reason}],
        }
    return {"PolicyValidationPassed": True, "ValidationErrors": []}
