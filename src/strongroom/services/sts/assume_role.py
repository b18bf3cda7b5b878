"""AssumeRole: temporary credentials of a role, for a caller its trust policy lets in.

The trust policy is the role's resource policy and is required: it must allow the caller, directly
(then nothing else is needed in the role's account) or through the caller's account (then the
caller's identity policies must allow sts:AssumeRole too, as they must for any caller from another
account). Session tags need sts:TagSession and a source identity sts:SetSourceIdentity, decided
the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strongroom.auth.authorize import first_denial
from strongroom.auth.request_context import CONDITION_KEYS
from strongroom.auth.sessions import SessionGrant
from strongroom.context import RequestContext
from strongroom.services.iam import role_for_assume
from strongroom.services.iam.queries import tags_of
from strongroom.services.request_store import transaction
from strongroom.services.sts.plugin import (
    access_denied,
    credentials_shape,
    issue_session,
    no_resources,
    packed_policy_too_large,
    service,
    validation_error,
)
from strongroom.services.sts.session_terms import packed_policy_size, session_policies, session_tags

DEFAULT_DURATION = 3600
ROLE_CHAINING_LIMIT = 3600
ROLE_TYPE = "AWS::IAM::Role"


def _trust_keys(ctx: RequestContext, params: dict[str, Any], source_identity: str | None) -> dict[str, Any]:
    """The STS condition keys a trust policy may test, beside the global ones."""
    keys: dict[str, Any] = {"sts:RoleSessionName": params["RoleSessionName"]}
    if params.get("ExternalId") is not None:
        keys["sts:ExternalId"] = params["ExternalId"]
    if source_identity is not None:
        keys["sts:SourceIdentity"] = source_identity
    if params.get("TransitiveTagKeys"):
        keys["sts:TransitiveTagKeys"] = list(params["TransitiveTagKeys"])
    return keys


def _actions(params: dict[str, Any]) -> list[str]:
    actions = ["sts:AssumeRole"]
    if params.get("Tags"):
        actions.append("sts:TagSession")
    if params.get("SourceIdentity") is not None:
        actions.append("sts:SetSourceIdentity")
    return actions


# The trust policy decides, in the handler: the request path has no policy of the role to pass.
@service.operation("AssumeRole", resources=no_resources)
def assume_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = ctx.principal
    assert caller is not None and ctx.runtime is not None
    if caller.is_root:
        raise access_denied("Roles may not be assumed by root accounts.")
    role_arn = params["RoleArn"]
    session_name = params["RoleSessionName"]
    # A source identity, once set, stays with every session chained from it.
    source_identity = caller.source_identity or params.get("SourceIdentity")
    with transaction(ctx) as session:
        found = role_for_assume(session, role_arn)
        role_tags = tags_of(session, found[0].role_id) if found is not None else []
    if found is None:
        # No such role reads exactly as a trust policy that does not let the caller in.
        raise access_denied(f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    role, trust, max_duration = found
    ctx.extra.setdefault(CONDITION_KEYS, {}).update(_trust_keys(ctx, params, source_identity))
    for action in _actions(params):
        denied = first_denial(
            ctx, action, [role_arn], resource_policy=trust, resource_policy_required=True,
            resource_account=role.account_id,
        )
        if denied is not None:
            raise access_denied(f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}")

    duration = params.get("DurationSeconds", DEFAULT_DURATION)
    if caller.type == "AssumedRole" and duration > ROLE_CHAINING_LIMIT:
        raise validation_error(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    if duration > max_duration:
        raise validation_error("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    with transaction(ctx) as session:
        policies = session_policies(session, role.account_id, params)
    tags, transitive = session_tags(caller, role_tags, params)
    packed = packed_policy_size(params)
    if packed is not None and packed > 100:
        raise packed_policy_too_large(packed)

    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_name}/{session_name}"
    assumed_role_id = f"{role.role_id}:{session_name}"
    issued = issue_session(ctx, SessionGrant(
        account_id=role.account_id,
        principal_type="AssumedRole",
        principal_arn=session_arn,
        principal_id=assumed_role_id,
        duration=timedelta(seconds=duration),
        role_arn=role_arn,
        session_name=session_name,
        session_policies=policies,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=source_identity,
        minimum_token_size=params.get("MinimumSessionTokenSize") or 0,
    ))
    ctx.resources.append({"accountId": role.account_id, "type": ROLE_TYPE, "ARN": role_arn})
    answer: dict[str, Any] = {
        "Credentials": credentials_shape(issued),
        "AssumedRoleUser": {"AssumedRoleId": assumed_role_id, "Arn": session_arn},
    }
    if packed is not None:
        answer["PackedPolicySize"] = packed
    if source_identity is not None:
        answer["SourceIdentity"] = source_identity
    return answer

