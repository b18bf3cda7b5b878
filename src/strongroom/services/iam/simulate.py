"""The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy, answered by the policy engine.

Each action is decided against each resource with every applicable policy together; a statement
is reported as matched by the policies that, on their own, reach the same decision (the allowing
ones for "allowed", the denying ones for "explicitDeny").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.policy import (
    AuthorizationRequest,
    ConditionValue,
    MalformedPolicy,
    PolicyDocument,
    PolicyKind,
    evaluate,
)
from strongroom.context import RequestContext
from strongroom.services.iam import errors
from strongroom.services.iam.identity import boundary_document, managed_document
from strongroom.services.iam.naming import parse_entity_arn
from strongroom.services.iam.plugin import operation, policy_arn
from strongroom.services.iam.queries import paginate, require_group, require_role, require_user, transaction
from strongroom.services.iam.tables import IamGroupMember, IamInlinePolicy, IamManagedPolicy, IamPolicyAttachment

_DECISIONS = {"Allow": "allowed", "ExplicitDeny": "explicitDeny", "ImplicitDeny": "implicitDeny"}
_LIST_TYPES = ("stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList")


@dataclass(frozen=True)
class SourcedPolicy:
    """A policy and how the simulator names it in MatchedStatements."""

    document: PolicyDocument
    source_id: str
    source_type: str  # user | group | role | user-managed | none


@dataclass(frozen=True)
class Simulation:
    principal_arn: str
    account_id: str
    policies: tuple[SourcedPolicy, ...]
    boundaries: tuple[PolicyDocument, ...]


def _parse(text: str, kind: PolicyKind) -> PolicyDocument:
    try:
        return PolicyDocument.parse(text, kind=kind)
    except MalformedPolicy as problem:
        raise errors.invalid_input(problem.reason) from None


def _given(params: dict[str, Any], member: str, kind: PolicyKind) -> list[PolicyDocument]:
    return [_parse(text, kind) for text in params.get(member) or []]


def _stored_policies(session: Session, owners: Sequence[tuple[str, str]], excluded: set[str]) -> list[SourcedPolicy]:
    """Inline and attached policies of (owner id, kind) pairs, named as the simulator names them."""
    kinds = dict(owners)
    found: list[SourcedPolicy] = []
    inline = session.scalars(select(IamInlinePolicy).where(IamInlinePolicy.owner_id.in_(kinds))).all()
    for row in sorted(inline, key=lambda row: (row.owner_id, row.policy_name)):
        found.append(SourcedPolicy(_parse(row.document, PolicyKind.IDENTITY), row.policy_name, kinds[row.owner_id]))
    attached = session.scalars(
        select(IamManagedPolicy)
        .join(IamPolicyAttachment, IamPolicyAttachment.policy_id == IamManagedPolicy.policy_id)
        .where(IamPolicyAttachment.owner_id.in_(kinds))
    ).all()
    for policy in sorted(set(attached), key=lambda policy: policy.name_key):
        if policy.arn not in excluded:
            document = managed_document(session, policy.policy_id, policy.default_version_id, PolicyKind.IDENTITY)
            found.append(SourcedPolicy(document, policy.policy_name, "user-managed"))
    return found


def _principal_simulation(session: Session, account_id: str, params: dict[str, Any]) -> Simulation:
    source = params["PolicySourceArn"]
    # Each exclusion is a PolicyIdentifier structure; the managed policies it names are left out.
    excluded = {item["PolicyArn"] for item in params.get("PolicyExclusionList") or () if item.get("PolicyArn")}
    for kind in ("user", "group", "role"):
        parsed = parse_entity_arn(source, kind)
        if parsed is not None:
            break
    else:
        raise errors.invalid_input(f"Invalid ARN: {source}")
    if parsed[0] != account_id:
        raise errors.no_such_entity(f"The {kind} with name {parsed[2]} cannot be found.")
    boundary_arn = None
    if kind == "user":
        user = require_user(session, account_id, parsed[2])
        groups = session.scalars(select(IamGroupMember.group_id).where(IamGroupMember.user_id == user.user_id))
        owners = [(user.user_id, "user"), *((group_id, "group") for group_id in groups)]
        boundary_arn = user.permissions_boundary_arn
    elif kind == "group":
        owners = [(require_group(session, account_id, parsed[2]).group_id, "group")]
    else:
        role = require_role(session, account_id, parsed[2])
        owners = [(role.role_id, "role")]
        boundary_arn = role.permissions_boundary_arn
    stored = _stored_policies(session, owners, excluded)
    boundary = boundary_document(session, account_id, boundary_arn)
    return Simulation(source, account_id, tuple(stored), (boundary,) if boundary is not None else ())


def _context(entries: Sequence[dict[str, Any]]) -> dict[str, ConditionValue]:
    context: dict[str, ConditionValue] = {}
    for entry in entries:
        values = [str(value) for value in entry.get("ContextKeyValues") or []]
        if entry.get("ContextKeyType") in _LIST_TYPES or len(values) != 1:
            context[entry["ContextKeyName"]] = values
        else:
            context[entry["ContextKeyName"]] = values[0]
    return context


def _simulate(ctx: RequestContext, simulation: Simulation, params: dict[str, Any]) -> dict[str, Any]:
    given = [
        SourcedPolicy(document, f"PolicyInputList.{index}", "none")
        for index, document in enumerate(_given(params, "PolicyInputList", PolicyKind.IDENTITY), start=1)
    ]
    policies = [*simulation.policies, *given]
    boundaries = _given(params, "PermissionsBoundaryPolicyInputList", PolicyKind.BOUNDARY) or simulation.boundaries
    resource_policy = _parse(params["ResourcePolicy"], PolicyKind.RESOURCE) if params.get("ResourcePolicy") else None
    owner = params.get("ResourceOwner")
    # ResourceOwner is an account's root ARN (arn:aws:iam::ACCOUNT:root).
    resource_account = owner.split(":")[4] if owner and owner.count(":") >= 5 else None
    context = _context(params.get("ContextEntries") or [])
    caller = params.get("CallerArn") or simulation.principal_arn
    results: list[tuple[str, dict[str, Any]]] = []
    for action in params["ActionNames"]:
        for resource in params.get("ResourceArns") or ["*"]:
            request = AuthorizationRequest(
                principal_arn=caller,
                principal_account=simulation.account_id,
                action=action,
                resource=resource,
                context=context,
                resource_account=resource_account,
            )
            results.append((f"{len(results):08d}", _result(request, policies, boundaries, resource_policy)))
    page, more = paginate(results, params, lambda numbered: numbered[0])
    return {"EvaluationResults": [result for _number, result in page], **more}


def _result(
    request: AuthorizationRequest,
    policies: Sequence[SourcedPolicy],
    boundaries: Sequence[PolicyDocument | None],
    resource_policy: PolicyDocument | None,
) -> dict[str, Any]:
    documents = [policy.document for policy in policies]
    # Every boundary given must allow; the strictest outcome stands.
    outcomes = [
        evaluate(request, identity_policies=documents, resource_policy=resource_policy, permissions_boundary=boundary)
        for boundary in (list(boundaries) or [None])
    ]
    order = ("ExplicitDeny", "ImplicitDeny", "Allow")
    decision = min(outcomes, key=lambda outcome: order.index(outcome.effect))
    matched = []
    if decision.effect != "ImplicitDeny":
        for policy in policies:
            if evaluate(request, identity_policies=[policy.document]).effect == decision.effect:
                matched.append({"SourcePolicyId": policy.source_id, "SourcePolicyType": policy.source_type})
        if resource_policy is not None and evaluate(request, resource_policy=resource_policy).effect == decision.effect:
            matched.append({"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"})
    return {
        "EvalActionName": request.action,
        "EvalResourceName": request.resource,
        "EvalDecision": _DECISIONS[decision.effect],
        "MatchedStatements": matched,
        "MissingContextValues": [],
    }


@operation("SimulatePrincipalPolicy", policy_arn("PolicySourceArn"))
def simulate_principal_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        simulation = _principal_simulation(session, ctx.account_id, params)
    return _simulate(ctx, simulation, params)


@operation("SimulateCustomPolicy")
def simulate_custom_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    assert ctx.principal is not None
    simulation = Simulation(ctx.principal.arn, ctx.account_id, (), ())
    return _simulate(ctx, simulation, params)
