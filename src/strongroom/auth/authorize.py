"""The one authorization gate: every operation's action on each of its resources, decided by the policy engine.

What is weighed, as AWS weighs it: the caller's identity policies and permissions boundary (from
IAM; the account root has none and is not limited by them), the session policies its temporary
credentials were issued with, and the resource's own policy when the service passes one. The
account root may do anything in its own account that no resource policy denies.

Cost per request: nothing for the root acting in its own account without a resource policy; for
anyone else the policies that apply and, for IAM users, their tags, read from the store once and
then kept until IAM changes (the "iam" cache revision, bumped by triggers). Decisions are remembered
(`strongroom.auth.decisions`) with the condition keys they read and what those held, and not
evaluated again for the same policies while a request's keys hold the same.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence

from strongroom.auth.decisions import decisions, documents_key, for_any_context, recall, recorded
from strongroom.auth.policy import (
    AuthorizationRequest,
    ConditionValue,
    Decision,
    PolicyDocument,
    PolicyKind,
    denial_message,
    evaluate,
)
from strongroom.auth.policy.principals import Caller
from strongroom.auth.policy.request import lowered_keys
from strongroom.auth.principal import Principal
from strongroom.auth.request_context import LazyKeys, condition_context
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.iam.identity import NO_POLICIES, IdentityPolicies, identity_policies_for
from strongroom.services.iam.queries import tags_of
from strongroom.services.request_store import request_revision
from strongroom.store.revision_cache import RevisionCache
from strongroom.wire.specs import protocol_of

STORED_SESSION_POLICY_LIMIT = 131072
IAM_REVISION = "iam"


def account_of(arn: str) -> str | None:
    """The account field of an ARN; None for "*", non-ARNs and ARNs without one (S3 buckets)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[4]:
        return None
    return parts[4]


def access_denied(ctx: RequestContext, message: str) -> ServiceError:
    """AccessDenied as the caller's protocol spells it."""
    protocol = protocol_of(ctx.service) if ctx.service is not None else "json"
    if protocol == "json":
        return ServiceError("AccessDeniedException", message, status=400)
    if protocol == "rest-json":
        return ServiceError("AccessDeniedException", message, status=403)
    return ServiceError("AccessDenied", message, status=403)


def session_documents(principal: Principal) -> tuple[PolicyDocument, ...] | None:
    """The session policies of temporary credentials, compiled (None: none apply)."""
    if principal.session_policies is None:
        return None
    # Checked when the session was issued (a managed one may be longer than an inline session policy);
    # PolicyDocument.parse caches compiled documents by text.
    return tuple(
        PolicyDocument.parse(text, kind=PolicyKind.SESSION, max_size=STORED_SESSION_POLICY_LIMIT)
        for text in principal.session_policies
    )


# (identity policies and boundary, an IAM user's tags, the policies' part of a decision key).
StoredIdentity = tuple[IdentityPolicies, Mapping[str, str] | None, Hashable]
# What applies to each caller, for as long as nothing in IAM changes (the "iam" cache revision).
_identities: RevisionCache[tuple[str, str, str], StoredIdentity] = RevisionCache()
_ROOT_IDENTITY: StoredIdentity = (NO_POLICIES, None, (documents_key(NO_POLICIES.identity), None))


def _stored_identity(ctx: RequestContext, principal: Principal) -> StoredIdentity:
    """The caller's identity policies and boundary, and an IAM user's current tags, in one transaction
    (see `identity_policies_for`: a deleted user's or role's are GONE)."""
    if principal.is_root:
        return _ROOT_IDENTITY
    revision = request_revision(ctx, IAM_REVISION)
    key = (principal.account_id, principal.type, principal.user_id)
    cached = _identities.get(revision, key)
    if cached is not None:
        return cached
    assert ctx.runtime is not None
    with ctx.runtime.database.session() as session:
        policies = identity_policies_for(session, principal)
        tags = None
        if principal.type == "IAMUser":
            tags = {tag["Key"]: tag["Value"] for tag in tags_of(session, principal.user_id)}
    stored = (policies, tags, (documents_key(policies.identity), documents_key(policies.boundary)))
    _identities.put(revision, key, stored)
    return stored


def principal_exists(ctx: RequestContext, principal: Principal) -> bool:
    """Whether the user or role `principal` acts as still exists (the very one: its unique id), as of the
    request's "iam" revision; the account root always does."""
    return _stored_identity(ctx, principal)[0].exists


def authorize(
    ctx: RequestContext,
    action: str,
    resources: Sequence[str],
    *,
    resource_policy: PolicyDocument | None = None,
    resource_policy_required: bool = False,
    resource_account: str | None = None,
) -> None:
    """Allow `action` on every one of `resources`, or raise the protocol's AccessDenied.

    `resource_policy` is the resource's own policy (a key policy, a trust policy); with
    `resource_policy_required` it must allow the caller (or its account) for anything to be
    allowed, as KMS key policies and role trust policies do. `resource_account` is the account
    owning the resources when their ARNs do not say it.
    """
    denied = first_denial(
        ctx,
        action,
        resources,
        resource_policy=resource_policy,
        resource_policy_required=resource_policy_required,
        resource_account=resource_account,
    )
    if denied is not None:
        raise access_denied(ctx, denial_message(*denied))


def first_denial(
    ctx: RequestContext,
    action: str,
    resources: Sequence[str],
    *,
    resource_policy: PolicyDocument | None = None,
    resource_policy_required: bool = False,
    resource_account: str | None = None,
) -> tuple[AuthorizationRequest, Decision] | None:
    """The first resource the engine denies `action` on, as (request, decision); None if all are allowed.

    For callers that answer a denial in their own words (STS AssumeRole); see `authorize`.
    """
    principal = ctx.principal
    if principal is None:
        raise access_denied(ctx, "Missing principal")
    if not resources:
        return None
    owners: list[str | None]
    if resource_account:
        owners = [resource_account] * len(resources)
    else:
        owners = [account_of(resource) for resource in resources]
    is_root = principal.is_root
    if (
        is_root
        and resource_policy is None
        and not resource_policy_required
        and all(owner in (None, principal.account_id) for owner in owners)
    ):
        return None
    policies, user_tags, policies_key = _ROOT_IDENTITY if is_root else _stored_identity(ctx, principal)
    sessions = None if principal.session_policies is None else session_documents(principal)
    # The unique id too: a user or role created again under a deleted one's name has its ARN, and saved
    # resource policies tell the two apart.
    shared_key = (
        principal.arn, principal.user_id, principal.account_id, is_root, principal.role_arn, action, policies_key,
        None if sessions is None else documents_key(sessions),
        None if resource_policy is None else id(resource_policy), resource_policy_required,
    )
    # Built on the first resource whose decision is not remembered to hold whatever the context (usually
    # none): the condition keys, and the same lower-cased as evaluation reads them, to match remembered ones.
    context: LazyKeys | None = None
    lowered: dict[str, ConditionValue] | None = None
    for resource, owner in zip(resources, owners, strict=True):
        key = (*shared_key, resource, owner)
        remembered = decisions.variants(key)
        decision = for_any_context(remembered)
        if decision is not None and decision.allowed:
            continue
        if context is None:
            context = LazyKeys(functools.partial(condition_context, ctx, principal_tags=user_tags))
        if decision is None and remembered:
            if lowered is None:
                caller = Caller.of(principal.arn, principal.account_id, is_root=is_root,
                                   issuer_arn=principal.role_arn, principal_id=principal.user_id)
                lowered = lowered_keys(context, caller)
            decision = recall(remembered, lowered)
            if decision is not None and decision.allowed:
                continue
        request = AuthorizationRequest(
            principal_arn=principal.arn,
            principal_account=principal.account_id,
            action=action,
            resource=resource,
            context=context,
            principal_is_root=is_root,
            resource_account=owner,
            session_issuer_arn=principal.role_arn,
            principal_id=principal.user_id,
        )
        if decision is None:
            decision = evaluate(
                request,
                identity_policies=policies.identity,
                resource_policy=resource_policy,
                session_policies=sessions,
                permissions_boundary=policies.boundary,
                resource_policy_required=resource_policy_required,
            )
            reads = recorded(request.context_reads)
            if reads is not None:
                documents = (policies.identity, policies.boundary, sessions, resource_policy)
                decisions.put(key, decision, documents, reads)
        if not decision.allowed:
            context.materialize()  # what the request was decided on, whatever ctx becomes later
            return request, decision
    return None
