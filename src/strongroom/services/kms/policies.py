"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies; the default policy and the lockout check.

A key has exactly one policy, named `default`. Authorization against key policies is done by the
request path; here policies are validated and stored.
"""

from __future__ import annotations

from typing import Any

from strongroom.auth.authorize import first_denial
from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import partition_of
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import note_key, resolve_key, transaction

POLICY_NAME = "default"
MAX_POLICY_CHARACTERS = 32768
LOCKOUT_TEXT = (
    "The new key policy will not allow you to update the key policy in the future."
)

def default_policy(account_id: str, region: str) -> str:
    """The policy CreateKey gives a key created through the API without one."""
    root = f"arn:{partition_of(region)}:iam::{account_id}:root"
    return (
        '{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",'
        f'"Effect":"Allow","Principal":{{"AWS":"{root}"}},"Action":"kms:*","Resource":"*"}}]}}'
    )


def checked_policy(ctx: RequestContext, text: str, key_arn: str, *, bypass_lockout_check: bool) -> str:
    """`text` if it is a valid key policy that (unless bypassed) still lets the caller PutKeyPolicy."""
    try:
        document = PolicyDocument.parse(text, kind=PolicyKind.RESOURCE, max_size=MAX_POLICY_CHARACTERS)
    except MalformedPolicy as error:
        code = "LimitExceededException" if error.limit_exceeded else "MalformedPolicyDocumentException"
        raise ServiceError(code, error.reason) from None
    if bypass_lockout_check:
        return text
    # The caller's real IAM policies, boundary and session policies count, as for any request.
    if first_denial(ctx, "kms:PutKeyPolicy", [key_arn], resource_policy=document, resource_policy_required=True):
        raise ServiceError("MalformedPolicyDocumentException", LOCKOUT_TEXT)
    return text


def _check_name(name: str | None) -> None:
    if name is not None and name != POLICY_NAME:
        raise ServiceError("NotFoundException", f"No such policy exists: {name}")


@service.operation("GetKeyPolicy", resources=key_resource())
def get_key_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        _check_name(params.get("PolicyName"))
        note_key(ctx, key)
        return {"Policy": key.policy, "PolicyName": POLICY_NAME}


@service.operation("PutKeyPolicy", resources=key_resource())
def put_key_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
        _check_name(params.get("PolicyName"))
        check_state(key.arn, key.state, OperationClass.ANY_STATE)
        key.policy = checked_policy(
            ctx, params["Policy"], key.arn, bypass_lockout_check=bool(params.get("BypassPolicyLockoutSafetyCheck"))
        )
    return {}


@service.operation("ListKeyPolicies", resources=key_resource())
def list_key_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = resolve_key(ctx, session, params["KeyId"])
        note_key(ctx, key)
    return {"PolicyNames": [POLICY_NAME], "Truncated": False}
