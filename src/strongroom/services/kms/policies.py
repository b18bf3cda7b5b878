"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies; the default policy and the lockout check.

A key has exactly one policy, named `default`. Authorization against key policies is done by the
request path; here policies are validated and stored, the users and roles they name bound to their
unique ids (strongroom.auth.policy.binding): they must exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from strongroom.auth.authorize import first_denial
from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.auth.policy.binding import stored_bindings
from strongroom.auth.policy.principals import INVALID_PRINCIPAL
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import partition_of
from strongroom.services.iam.principal_ids import UnknownPrincipal, bind_principals, shown
from strongroom.services.kms.key_cache import key_policy_document
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import note_key, resolve_key, transaction

POLICY_NAME = "default"
MAX_POLICY_CHARACTERS = 32768
LOCKOUT_TEXT = (
    "The new key policy will not allow you to update the key policy in the future."
)
INVALID_PRINCIPALS_TEXT = "Policy contains a statement with one or more invalid principals."


def default_policy(account_id: str, region: str) -> str:
    """The policy CreateKey gives a key created through the API without one."""
    root = f"arn:{partition_of(region)}:iam::{account_id}:root"
    return (
        '{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",'
        f'"Effect":"Allow","Principal":{{"AWS":"{root}"}},"Action":"kms:*","Resource":"*"}}]}}'
    )


def checked_policy(
    ctx: RequestContext, session: Session, text: str, key_arn: str, *, bypass_lockout_check: bool
) -> tuple[str, str | None]:
    """`text` and its principals' stored bindings, if it is a valid key policy naming users and roles
    that exist and (unless bypassed) still lets the caller PutKeyPolicy."""
    try:
        PolicyDocument.parse(text, kind=PolicyKind.RESOURCE, max_size=MAX_POLICY_CHARACTERS)
        principals = stored_bindings(bind_principals(session, text))
    except MalformedPolicy as error:
        code = "LimitExceededException" if error.limit_exceeded else "MalformedPolicyDocumentException"
        # KMS words every principal it cannot accept alike, malformed or naming no one.
        reason = INVALID_PRINCIPALS_TEXT if error.reason == INVALID_PRINCIPAL else error.reason
        raise ServiceError(code, reason) from None
    except UnknownPrincipal:
        raise ServiceError("MalformedPolicyDocumentException", INVALID_PRINCIPALS_TEXT) from None
    if bypass_lockout_check:
        return text, principals
    # The caller's real IAM policies, boundary and session policies count, as for any request.
    document = key_policy_document(text, principals)
    if first_denial(ctx, "kms:PutKeyPolicy", [key_arn], resource_policy=document, resource_policy_required=True):
        raise ServiceError("MalformedPolicyDocumentException", LOCKOUT_TEXT)
    return text, principals


def _check_name(name: str | None) -> None:
    if name is not None and name != POLICY_NAME:
        raise ServiceError("NotFoundException", f"No such policy exists: {name}")


@service.operation("GetKeyPolicy", resources=key_resource())
def get_key_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        _check_name(params.get("PolicyName"))
        note_key(ctx, key)
        return {"Policy": shown(session, key.policy, key.policy_principals), "PolicyName": POLICY_NAME}


@service.operation("PutKeyPolicy", resources=key_resource())
def put_key_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        _check_name(params.get("PolicyName"))
        check_state(key.arn, key.state, OperationClass.ANY_STATE)
        key.policy, key.policy_principals = checked_policy(
            ctx, session, params["Policy"], key.arn,
            bypass_lockout_check=bool(params.get("BypassPolicyLockoutSafetyCheck")),
        )
    return {}


@service.operation("ListKeyPolicies", resources=key_resource())
def list_key_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
    return {"PolicyNames": [POLICY_NAME], "Truncated": False}
